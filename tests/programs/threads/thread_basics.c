/* pthread basics: create/join return values, pthread_exit, detach (by call
 * and by attribute), self/equal, join errors, stack size and program-given
 * stacks as seen from inside the thread, pthread_once under contention, and
 * thread-specific data with destructors. */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "report.h"


/* create/join, pthread_exit, self/equal */
#define N 8
static pthread_t selves[N];
static pthread_barrier_t barrier;

static void exit_deep(int i) { pthread_exit((void *)(intptr_t)(i * 10 + 1)); }

static void *numbered(void *arg) {
  int i = (int)(intptr_t)arg;
  selves[i] = pthread_self();
  for (int k = 0; k < 2; k++) {  /* all started; main has reported */
    int rc = pthread_barrier_wait(&barrier);
    CHECK(rc == 0 || rc == PTHREAD_BARRIER_SERIAL_THREAD);
  }
  if (i % 2) exit_deep(i);
  return (void *)(intptr_t)(i * 10);
}

static void check_create_join(void) {
  pthread_t t[N];
  CHECK_RC(pthread_barrier_init(&barrier, NULL, N + 1), 0);
  for (int i = 0; i < N; i++) CHECK_RC(pthread_create(&t[i], NULL, numbered, (void *)(intptr_t)i), 0);
  for (int k = 0; k < 2; k++) {
    int rc = pthread_barrier_wait(&barrier);
    CHECK(rc == 0 || rc == PTHREAD_BARRIER_SERIAL_THREAD);
    if (k == 0) report_os_threads();
  }
  for (int i = 0; i < N; i++) {
    void *ret = NULL;
    CHECK_RC(pthread_join(t[i], &ret), 0);
    CHECK((intptr_t)ret == i * 10 + i % 2);
  }
  for (int i = 0; i < N; i++) {
    CHECK(pthread_equal(selves[i], t[i]));
    CHECK(!pthread_equal(selves[i], pthread_self()));
    for (int j = 0; j < i; j++) CHECK(!pthread_equal(selves[i], selves[j]));
  }
  CHECK_RC(pthread_barrier_destroy(&barrier), 0);
  CHECK(pthread_equal(pthread_self(), pthread_self()));
  CHECK_RC(pthread_join(pthread_self(), NULL), EDEADLK);
  printf("create/join/exit/self: ok\n");
}

/* Detached threads: joining them gives EINVAL (while they still run); they
 * report completion through a semaphore. */
static sem_t go, done;

static void *detached(void *arg) {
  CHECK(sem_wait(&go) == 0);
  CHECK(sem_post(&done) == 0);
  return NULL;
}

static void check_detach(void) {
  pthread_t t1, t2;
  pthread_attr_t a;
  int state = -1;
  CHECK(sem_init(&go, 0, 0) == 0 && sem_init(&done, 0, 0) == 0);
  CHECK_RC(pthread_create(&t1, NULL, detached, NULL), 0);
  CHECK_RC(pthread_detach(t1), 0);
  CHECK_RC(pthread_join(t1, NULL), EINVAL);

  CHECK_RC(pthread_attr_init(&a), 0);
  CHECK_RC(pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED), 0);
  CHECK_RC(pthread_attr_getdetachstate(&a, &state), 0);
  CHECK(state == PTHREAD_CREATE_DETACHED);
  CHECK_RC(pthread_create(&t2, &a, detached, NULL), 0);
  CHECK_RC(pthread_attr_destroy(&a), 0);
  CHECK_RC(pthread_join(t2, NULL), EINVAL);

  CHECK(sem_post(&go) == 0 && sem_post(&go) == 0);
  CHECK(sem_wait(&done) == 0 && sem_wait(&done) == 0);
  printf("detach: ok\n");
}

/* The thread's own view of its stack. */
static void *stack_lo, *stack_hi;  /* where locals must lie */
static size_t want_size;

static void *stack_probe(void *arg) {
  volatile char local = 1;
  pthread_attr_t a;
  void *addr;
  size_t size, size2;
  CHECK_RC(pthread_getattr_np(pthread_self(), &a), 0);
  CHECK_RC(pthread_attr_getstack(&a, &addr, &size), 0);
  CHECK_RC(pthread_attr_getstacksize(&a, &size2), 0);
  CHECK_RC(pthread_attr_destroy(&a), 0);
  fprintf(stderr, "stack %p + %zu, local at %p\n", addr, size, (void *)&local);
  CHECK(size == size2);
  CHECK(size >= want_size);
  CHECK((char *)&local >= (char *)addr && (char *)&local < (char *)addr + size);
  if (stack_lo) {  /* a program-given stack: locals and reported stack inside it */
    CHECK((char *)&local >= (char *)stack_lo && (char *)&local < (char *)stack_hi);
    CHECK((char *)addr >= (char *)stack_lo && (char *)addr + size <= (char *)stack_hi);
  }
  return NULL;
}

static void check_stacks(void) {
  pthread_t t;
  pthread_attr_t a;
  size_t got = 0;
  CHECK_RC(pthread_attr_init(&a), 0);
  CHECK_RC(pthread_attr_setstacksize(&a, 1 << 20), 0);
  CHECK_RC(pthread_attr_getstacksize(&a, &got), 0);
  CHECK(got == 1 << 20);
  want_size = 1 << 20;
  CHECK_RC(pthread_create(&t, &a, stack_probe, NULL), 0);
  CHECK_RC(pthread_join(t, NULL), 0);
  CHECK_RC(pthread_attr_destroy(&a), 0);

  size_t len = 512 * 1024;
  char *buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(buf != MAP_FAILED);
  CHECK_RC(pthread_attr_init(&a), 0);
  CHECK_RC(pthread_attr_setstack(&a, buf, len), 0);
  stack_lo = buf;
  stack_hi = buf + len;
  want_size = 0;
  CHECK_RC(pthread_create(&t, &a, stack_probe, NULL), 0);
  CHECK_RC(pthread_join(t, NULL), 0);
  CHECK_RC(pthread_attr_destroy(&a), 0);
  CHECK(munmap(buf, len) == 0);
  printf("stacks: ok\n");
}

/* pthread_once from N threads released together by a barrier. */
static pthread_once_t once = PTHREAD_ONCE_INIT;
static atomic_int once_runs, once_done;

static void once_init(void) {
  atomic_fetch_add(&once_runs, 1);
  struct timespec ts = {0, 100000000};
  nanosleep(&ts, NULL);
  atomic_store(&once_done, 1);
}

static void *once_caller(void *arg) {
  int rc = pthread_barrier_wait(&barrier);
  CHECK(rc == 0 || rc == PTHREAD_BARRIER_SERIAL_THREAD);
  CHECK_RC(pthread_once(&once, once_init), 0);
  if (!atomic_load(&once_done)) FAIL("pthread_once returned before init finished");
  return NULL;
}

static void check_once(void) {
  pthread_t t[N];
  CHECK_RC(pthread_barrier_init(&barrier, NULL, N), 0);
  for (int i = 0; i < N; i++) CHECK_RC(pthread_create(&t[i], NULL, once_caller, NULL), 0);
  for (int i = 0; i < N; i++) CHECK_RC(pthread_join(t[i], NULL), 0);
  CHECK_RC(pthread_barrier_destroy(&barrier), 0);
  CHECK_RC(pthread_once(&once, once_init), 0);
  CHECK(once_runs == 1);
  printf("once: init ran %d time\n", (int)once_runs);
}

/* Thread-specific data. */
static pthread_key_t key, unset_key;
static int values[N + 1];
static atomic_int dtor_calls, dtor_seen[N + 1];

static void dtor(void *v) {
  atomic_fetch_add(&dtor_calls, 1);
  atomic_fetch_add(&dtor_seen[(int *)v - values], 1);
}

static void *tsd_user(void *arg) {
  int i = (int)(intptr_t)arg;
  CHECK(pthread_getspecific(key) == NULL);
  CHECK_RC(pthread_setspecific(key, &values[i]), 0);
  int rc = pthread_barrier_wait(&barrier);  /* all have set theirs */
  CHECK(rc == 0 || rc == PTHREAD_BARRIER_SERIAL_THREAD);
  usleep(1000);
  CHECK(pthread_getspecific(key) == &values[i]);
  CHECK(pthread_getspecific(unset_key) == NULL);
  if (i == N) CHECK_RC(pthread_setspecific(key, NULL), 0);  /* no destructor */
  return NULL;
}

static void check_keys(void) {
  pthread_t t[N + 1];
  CHECK_RC(pthread_key_create(&key, dtor), 0);
  CHECK_RC(pthread_key_create(&unset_key, NULL), 0);
  CHECK_RC(pthread_setspecific(key, &values[0]), 0);  /* main's own */
  CHECK_RC(pthread_barrier_init(&barrier, NULL, N), 0);
  for (int i = 1; i <= N; i++) CHECK_RC(pthread_create(&t[i], NULL, tsd_user, (void *)(intptr_t)i), 0);
  for (int i = 1; i <= N; i++) CHECK_RC(pthread_join(t[i], NULL), 0);
  CHECK_RC(pthread_barrier_destroy(&barrier), 0);
  CHECK(pthread_getspecific(key) == &values[0]);
  CHECK(dtor_calls == N - 1);
  for (int i = 0; i <= N; i++) CHECK(dtor_seen[i] == (i >= 1 && i < N));
  CHECK_RC(pthread_key_delete(key), 0);
  CHECK_RC(pthread_key_delete(unset_key), 0);
  CHECK(dtor_calls == N - 1);  /* delete runs no destructors */
  printf("keys: %d destructor calls\n", (int)dtor_calls);
}

int main(void) {
  check_create_join();
  check_detach();
  check_stacks();
  check_once();
  check_keys();
  return 0;
}
