/* The synchronization objects ringlet leaves to glibc: robust, priority-
 * inheritance and process-shared mutexes, process-shared condition
 * variables, barriers, read-write locks and semaphores (unnamed in shared
 * memory, and named with sem_open, posted from another process). Under
 * contention with blocking calls inside the critical sections, their
 * results must be the native ones, and a thread waiting on one must not
 * stop the others: a ticker thread keeps counting meanwhile. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "report.h"

static volatile long ticks;
static volatile int ticking = 1;
static void *ticker(void *x) {
  (void)x;
  while (ticking) {
    usleep(1000);
    ticks++;
  }
  return NULL;
}
/* The ticker must have moved while `fn` waited. */
#define WHILE_TICKING(what, fn)                                  \
  do {                                                           \
    long t0_ = ticks;                                            \
    fn;                                                          \
    printf("%s: ticker kept running: %s\n", what, ticks - t0_ >= 3 ? "yes" : "no"); \
  } while (0)

/* ---- mutexes under contention ---------------------------------------- */
#define WORKERS 6
#define ROUNDS 40
static pthread_mutex_t cm;
static long counter;
static int recursive;

static void *contend(void *x) {
  (void)x;
  for (int i = 0; i < ROUNDS; i++) {
    int r = pthread_mutex_lock(&cm);
    CHECK(r == 0);
    if (recursive) CHECK_RC(pthread_mutex_lock(&cm), 0);
    long v = counter;
    usleep(100); /* a blocking call inside the critical section */
    counter = v + 1;
    if (recursive) CHECK_RC(pthread_mutex_unlock(&cm), 0);
    CHECK_RC(pthread_mutex_unlock(&cm), 0);
  }
  return NULL;
}

static void contention(const char *name, int type, int robust, int proto, int pshared) {
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_settype(&a, type);
  pthread_mutexattr_setrobust(&a, robust);
  pthread_mutexattr_setprotocol(&a, proto);
  pthread_mutexattr_setpshared(&a, pshared);
  CHECK_RC(pthread_mutex_init(&cm, &a), 0);
  recursive = type == PTHREAD_MUTEX_RECURSIVE;
  counter = 0;
  pthread_t t[WORKERS];
  for (int i = 0; i < WORKERS; i++) CHECK_RC(pthread_create(&t[i], NULL, contend, NULL), 0);
  for (int i = 0; i < WORKERS; i++) CHECK_RC(pthread_join(t[i], NULL), 0);
  printf("%-22s counter=%ld\n", name, counter);
  CHECK_RC(pthread_mutex_destroy(&cm), 0);
}

/* ---- robust: the owner dies ------------------------------------------ */
static pthread_mutex_t rm;
static void *lock_and_die(void *x) {
  (void)x;
  CHECK_RC(pthread_mutex_lock(&rm), 0);
  return NULL; /* exits holding it */
}
static void *other_unlocks(void *x) {
  (void)x;
  return (void *)(intptr_t)pthread_mutex_unlock(&rm);
}

static void robust_owner_died(void) {
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
  CHECK_RC(pthread_mutex_init(&rm, &a), 0);
  pthread_t t;
  CHECK_RC(pthread_create(&t, NULL, lock_and_die, NULL), 0);
  CHECK_RC(pthread_join(t, NULL), 0);
  int r1 = pthread_mutex_lock(&rm);
  int r2 = pthread_mutex_lock(&rm); /* relock by the owner */
  void *r3;
  CHECK_RC(pthread_create(&t, NULL, other_unlocks, NULL), 0);
  CHECK_RC(pthread_join(t, &r3), 0);
  CHECK_RC(pthread_mutex_consistent(&rm), 0);
  CHECK_RC(pthread_mutex_unlock(&rm), 0);
  int r4 = pthread_mutex_lock(&rm);
  CHECK_RC(pthread_mutex_unlock(&rm), 0);
  /* Dies again; this time the next owner does not make it consistent. */
  CHECK_RC(pthread_create(&t, NULL, lock_and_die, NULL), 0);
  CHECK_RC(pthread_join(t, NULL), 0);
  int r5 = pthread_mutex_lock(&rm);
  CHECK_RC(pthread_mutex_unlock(&rm), 0);
  int r6 = pthread_mutex_lock(&rm);
  printf("robust: owner died -> %s, relock -> %s, unlock by other -> %s, after consistent -> %d, "
         "not made consistent -> %s then %s\n",
         strerror(r1), strerror(r2), strerror((int)(intptr_t)r3), r4, strerror(r5), strerror(r6));
}

/* ---- process-shared condition variable ------------------------------- */
static pthread_mutex_t sm;
static pthread_cond_t sc;
static int items, consumed, done_producing;

static void *consumer(void *x) {
  (void)x;
  int mine = 0;
  pthread_mutex_lock(&sm);
  for (;;) {
    while (items == 0 && !done_producing) pthread_cond_wait(&sc, &sm);
    if (items == 0) break;
    items--;
    consumed++;
    mine++;
    pthread_mutex_unlock(&sm);
    usleep(300);
    pthread_mutex_lock(&sm);
  }
  pthread_mutex_unlock(&sm);
  return (void *)(intptr_t)mine;
}

static void shared_cond(void) {
  pthread_mutexattr_t ma;
  pthread_mutexattr_init(&ma);
  pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK);
  CHECK_RC(pthread_mutex_init(&sm, &ma), 0);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  CHECK_RC(pthread_cond_init(&sc, &ca), 0);
  /* Under ringlet each fiber waiting on a process-shared condition variable
   * holds a helper thread: 3 consumers, at most 1 + 3 OS threads. */
  pthread_t t[3];
  for (int i = 0; i < 3; i++) CHECK_RC(pthread_create(&t[i], NULL, consumer, NULL), 0);
  for (int i = 0; i < 40; i++) {
    usleep(1000);
    if (i == 20) report_os_threads();
    pthread_mutex_lock(&sm);
    items++;
    pthread_cond_signal(&sc);
    pthread_mutex_unlock(&sm);
  }
  /* A timed wait that times out, on the monotonic clock chosen at init. */
  struct timespec abs;
  clock_gettime(CLOCK_MONOTONIC, &abs);
  abs.tv_nsec += 20000000;
  if (abs.tv_nsec >= 1000000000) abs.tv_sec++, abs.tv_nsec -= 1000000000;
  pthread_mutex_lock(&sm);
  int tr = 0;
  while (tr != ETIMEDOUT) tr = pthread_cond_timedwait(&sc, &sm, &abs);
  done_producing = 1;
  pthread_cond_broadcast(&sc);
  pthread_mutex_unlock(&sm);
  long sum = 0;
  for (int i = 0; i < 3; i++) {
    void *r;
    pthread_join(t[i], &r);
    sum += (intptr_t)r;
  }
  printf("shared cond: consumed=%d (sum %ld), timed wait: %s\n", consumed, sum, strerror(tr));
}

/* ---- process-shared barrier and read-write lock ----------------------- */
static pthread_barrier_t sb;
static pthread_rwlock_t srw;
static int readers_in, writer_in, rw_bad;
static long serials;

static void *barrier_worker(void *x) {
  (void)x;
  for (int r = 0; r < 5; r++) {
    usleep(500);
    if (pthread_barrier_wait(&sb) == PTHREAD_BARRIER_SERIAL_THREAD) __atomic_fetch_add(&serials, 1, __ATOMIC_RELAXED);
  }
  return NULL;
}

static void *rw_worker(void *x) {
  int writer = (int)(intptr_t)x;
  for (int i = 0; i < 20; i++) {
    if (writer) {
      CHECK_RC(pthread_rwlock_wrlock(&srw), 0);
      if (writer_in || readers_in) rw_bad++;
      writer_in = 1;
      usleep(200);
      writer_in = 0;
    } else {
      CHECK_RC(pthread_rwlock_rdlock(&srw), 0);
      if (writer_in) rw_bad++;
      __atomic_fetch_add(&readers_in, 1, __ATOMIC_RELAXED);
      usleep(200);
      __atomic_fetch_sub(&readers_in, 1, __ATOMIC_RELAXED);
    }
    CHECK_RC(pthread_rwlock_unlock(&srw), 0);
    usleep(100);
  }
  return NULL;
}

static void shared_barrier_rwlock(void) {
  pthread_barrierattr_t ba;
  pthread_barrierattr_init(&ba);
  pthread_barrierattr_setpshared(&ba, PTHREAD_PROCESS_SHARED);
  CHECK_RC(pthread_barrier_init(&sb, &ba, 4), 0);
  pthread_t t[6];
  for (int i = 0; i < 4; i++) CHECK_RC(pthread_create(&t[i], NULL, barrier_worker, NULL), 0);
  for (int i = 0; i < 4; i++) CHECK_RC(pthread_join(t[i], NULL), 0);
  printf("shared barrier: serial threads=%ld\n", serials);

  pthread_rwlockattr_t ra;
  pthread_rwlockattr_init(&ra);
  pthread_rwlockattr_setpshared(&ra, PTHREAD_PROCESS_SHARED);
  CHECK_RC(pthread_rwlock_init(&srw, &ra), 0);
  CHECK_RC(pthread_rwlock_wrlock(&srw), 0);
  int dl = pthread_rwlock_wrlock(&srw);
  CHECK_RC(pthread_rwlock_unlock(&srw), 0);
  for (int i = 0; i < 6; i++) CHECK_RC(pthread_create(&t[i], NULL, rw_worker, (void *)(intptr_t)(i < 2)), 0);
  for (int i = 0; i < 6; i++) CHECK_RC(pthread_join(t[i], NULL), 0);
  printf("shared rwlock: relock -> %s, exclusion violations=%d\n", strerror(dl), rw_bad);
}

/* ---- a robust mutex with an ordinary condition variable ----------------- */
static pthread_mutex_t rbm;
static pthread_cond_t rbc = PTHREAD_COND_INITIALIZER;
static int rb_ready;
static void *rb_waiter(void *x) {
  (void)x;
  pthread_mutex_lock(&rbm);
  while (!rb_ready) pthread_cond_wait(&rbc, &rbm);
  pthread_mutex_unlock(&rbm);
  return (void *)1;
}

static void robust_with_private_cond(void) {
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  CHECK_RC(pthread_mutex_init(&rbm, &a), 0);
  pthread_t t;
  CHECK_RC(pthread_create(&t, NULL, rb_waiter, NULL), 0);
  usleep(20000);
  pthread_mutex_lock(&rbm);
  rb_ready = 1;
  pthread_cond_signal(&rbc);
  pthread_mutex_unlock(&rbm);
  void *r;
  CHECK_RC(pthread_join(t, &r), 0);
  printf("robust mutex with a private condition variable: waiter %s\n", r ? "woken" : "lost");
}

/* ---- a process-shared barrier between two processes --------------------- */
static void barrier_across_processes(void) {
  pthread_barrier_t *b = mmap(NULL, sizeof *b, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  CHECK(b != MAP_FAILED);
  pthread_barrierattr_t ba;
  pthread_barrierattr_init(&ba);
  pthread_barrierattr_setpshared(&ba, PTHREAD_PROCESS_SHARED);
  CHECK_RC(pthread_barrier_init(b, &ba, 2), 0);
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    usleep(20000);
    int r = pthread_barrier_wait(b);
    _exit(r == 0 || r == PTHREAD_BARRIER_SERIAL_THREAD ? 0 : 1);
  }
  int r = 0;
  WHILE_TICKING("barrier across processes", r = pthread_barrier_wait(b));
  int st;
  CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
  printf("barrier across processes: passed (%s)\n", r == 0 || r == PTHREAD_BARRIER_SERIAL_THREAD ? "ok" : "error");
}

/* ---- semaphores posted by another process ----------------------------- */
static sem_t *psem;
static void *sem_taker(void *x) {
  (void)x;
  for (int i = 0; i < 5; i++) CHECK(sem_wait(psem) == 0);
  return NULL;
}

static void posted_by_child(const char *what) {
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    for (int i = 0; i < 10; i++) {
      usleep(5000);
      sem_post(psem);
    }
    _exit(0);
  }
  pthread_t t[2];
  WHILE_TICKING(what, {
    for (int i = 0; i < 2; i++) CHECK_RC(pthread_create(&t[i], NULL, sem_taker, NULL), 0);
    for (int i = 0; i < 2; i++) CHECK_RC(pthread_join(t[i], NULL), 0);
  });
  int st;
  CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st));
  int v = -1;
  sem_getvalue(psem, &v);
  printf("%s: value after 10 posts and 10 waits = %d\n", what, v);
}

int main(void) {
  pthread_t tk;
  CHECK_RC(pthread_create(&tk, NULL, ticker, NULL), 0);
  report_os_threads();
  contention("robust", PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_ROBUST, PTHREAD_PRIO_NONE, PTHREAD_PROCESS_PRIVATE);
  contention("priority inheritance", PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_STALLED, PTHREAD_PRIO_INHERIT,
             PTHREAD_PROCESS_PRIVATE);
  contention("shared", PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_STALLED, PTHREAD_PRIO_NONE, PTHREAD_PROCESS_SHARED);
  contention("shared errorcheck", PTHREAD_MUTEX_ERRORCHECK, PTHREAD_MUTEX_STALLED, PTHREAD_PRIO_NONE,
             PTHREAD_PROCESS_SHARED);
  contention("shared recursive", PTHREAD_MUTEX_RECURSIVE, PTHREAD_MUTEX_STALLED, PTHREAD_PRIO_NONE,
             PTHREAD_PROCESS_SHARED);
  contention("robust shared PI", PTHREAD_MUTEX_ERRORCHECK, PTHREAD_MUTEX_ROBUST, PTHREAD_PRIO_INHERIT,
             PTHREAD_PROCESS_SHARED);
  robust_owner_died();
  WHILE_TICKING("shared cond", shared_cond());
  shared_barrier_rwlock();
  robust_with_private_cond();
  barrier_across_processes();

  psem = mmap(NULL, sizeof(sem_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  CHECK(psem != MAP_FAILED);
  CHECK(sem_init(psem, 1, 0) == 0);
  posted_by_child("unnamed shared semaphore");
  char name[64];
  snprintf(name, sizeof name, "/ringlet-test-%d", (int)getpid());
  psem = sem_open(name, O_CREAT | O_EXCL, 0600, 0);
  CHECK(psem != SEM_FAILED);
  sem_unlink(name);
  posted_by_child("named semaphore");
  sem_close(psem);
  ticking = 0;
  pthread_join(tk, NULL);
  return 0;
}
