/* Mutexes: the three types from static initializers and from
 * pthread_mutexattr_settype, their error codes (EDEADLK, EPERM, EBUSY),
 * timedlock/clocklock timeouts and wake-ups, destroy, and then 16 threads
 * contending for one mutex with blocking calls inside the critical section.
 * Other-thread probes run in a fresh thread each (in_thread). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "clock.h"
#include "report.h"


/* Runs fn(arg) in a new thread, returns its result as an int. */
static int in_thread(void *(*fn)(void *), void *arg) {
  pthread_t t;
  void *ret;
  CHECK_RC(pthread_create(&t, NULL, fn, arg), 0);
  CHECK_RC(pthread_join(t, &ret), 0);
  return (int)(intptr_t)ret;
}
static void *try_fn(void *m) {
  int rc = pthread_mutex_trylock(m);
  if (rc == 0) CHECK_RC(pthread_mutex_unlock(m), 0);
  return (void *)(intptr_t)rc;
}
static void *unlock_fn(void *m) { return (void *)(intptr_t)pthread_mutex_unlock(m); }

static void check_normal(pthread_mutex_t *m) {
  CHECK_RC(pthread_mutex_lock(m), 0);
  CHECK_RC(pthread_mutex_trylock(m), EBUSY);
  CHECK_RC(in_thread(try_fn, m), EBUSY);
  CHECK_RC(pthread_mutex_unlock(m), 0);
  CHECK_RC(in_thread(try_fn, m), 0);
}

static void check_errorcheck(pthread_mutex_t *m) {
  CHECK_RC(pthread_mutex_lock(m), 0);
  CHECK_RC(pthread_mutex_lock(m), EDEADLK);
  CHECK_RC(pthread_mutex_trylock(m), EBUSY);
  struct timespec ts = deadline_ms(CLOCK_REALTIME, 1000);
  CHECK_RC(pthread_mutex_timedlock(m, &ts), EDEADLK);
  CHECK_RC(in_thread(unlock_fn, m), EPERM);
  CHECK_RC(in_thread(try_fn, m), EBUSY);
  CHECK_RC(pthread_mutex_unlock(m), 0);
  CHECK_RC(pthread_mutex_unlock(m), EPERM);
  CHECK_RC(in_thread(try_fn, m), 0);
}

static void check_recursive(pthread_mutex_t *m) {
  CHECK_RC(pthread_mutex_lock(m), 0);
  CHECK_RC(pthread_mutex_trylock(m), 0);
  CHECK_RC(pthread_mutex_lock(m), 0);
  CHECK_RC(in_thread(try_fn, m), EBUSY);
  CHECK_RC(in_thread(unlock_fn, m), EPERM);
  CHECK_RC(pthread_mutex_unlock(m), 0);
  CHECK_RC(pthread_mutex_unlock(m), 0);
  CHECK_RC(in_thread(try_fn, m), EBUSY);  /* still held once */
  CHECK_RC(pthread_mutex_unlock(m), 0);
  CHECK_RC(pthread_mutex_unlock(m), EPERM);
  CHECK_RC(in_thread(try_fn, m), 0);
}

static void check_type(int type, void (*check)(pthread_mutex_t *)) {
  pthread_mutexattr_t a;
  pthread_mutex_t m;
  int got = -1;
  CHECK_RC(pthread_mutexattr_init(&a), 0);
  CHECK_RC(pthread_mutexattr_settype(&a, type), 0);
  CHECK_RC(pthread_mutexattr_gettype(&a, &got), 0);
  CHECK(got == type);
  CHECK_RC(pthread_mutex_init(&m, &a), 0);
  CHECK_RC(pthread_mutexattr_destroy(&a), 0);
  check(&m);
  CHECK_RC(pthread_mutex_lock(&m), 0);
  CHECK_RC(pthread_mutex_destroy(&m), EBUSY);  /* glibc: a locked mutex */
  CHECK_RC(pthread_mutex_unlock(&m), 0);
  CHECK_RC(pthread_mutex_destroy(&m), 0);
}

/* Timed locks on a mutex held by main. */
enum { TL_REALTIME, TL_CLOCK_MONO, TL_CLOCK_REAL, TL_BAD, TL_LONG };
static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;

static void *timed_fn(void *arg) {
  int kind = (int)(intptr_t)arg, rc;
  double t = mono_now();
  if (kind == TL_REALTIME) {
    struct timespec ts = deadline_ms(CLOCK_REALTIME, 200);
    rc = pthread_mutex_timedlock(&held, &ts);
  } else if (kind == TL_CLOCK_MONO) {
    struct timespec ts = deadline_ms(CLOCK_MONOTONIC, 200);
    rc = pthread_mutex_clocklock(&held, CLOCK_MONOTONIC, &ts);
  } else if (kind == TL_CLOCK_REAL) {
    struct timespec ts = deadline_ms(CLOCK_REALTIME, 200);
    rc = pthread_mutex_clocklock(&held, CLOCK_REALTIME, &ts);
  } else if (kind == TL_BAD) {
    struct timespec bad = {0, 2000000000L}, ts = deadline_ms(CLOCK_MONOTONIC, 100);
    CHECK_RC(pthread_mutex_clocklock(&held, CLOCK_PROCESS_CPUTIME_ID, &ts), EINVAL);
    return (void *)(intptr_t)pthread_mutex_timedlock(&held, &bad);
  } else {
    struct timespec ts = deadline_ms(CLOCK_REALTIME, 20000);
    rc = pthread_mutex_timedlock(&held, &ts);
    if (rc == 0) CHECK_RC(pthread_mutex_unlock(&held), 0);
    return (void *)(intptr_t)rc;
  }
  double el = mono_now() - t;
  fprintf(stderr, "timed lock kind %d: %s after %.3f s\n", kind, strerror(rc), el);
  if (rc == ETIMEDOUT && el < 0.18) FAIL("timed out after only %.3f s", el);
  return (void *)(intptr_t)rc;
}

static void check_timed(void) {
  CHECK_RC(pthread_mutex_lock(&held), 0);
  CHECK_RC(in_thread(timed_fn, (void *)TL_REALTIME), ETIMEDOUT);
  CHECK_RC(in_thread(timed_fn, (void *)TL_CLOCK_MONO), ETIMEDOUT);
  CHECK_RC(in_thread(timed_fn, (void *)TL_CLOCK_REAL), ETIMEDOUT);
  CHECK_RC(in_thread(timed_fn, (void *)TL_BAD), EINVAL);

  /* A long timed lock is granted when main unlocks. */
  pthread_t t;
  void *ret;
  CHECK_RC(pthread_create(&t, NULL, timed_fn, (void *)TL_LONG), 0);
  usleep(100000);
  CHECK_RC(pthread_mutex_unlock(&held), 0);
  CHECK_RC(pthread_join(t, &ret), 0);
  CHECK_RC((int)(intptr_t)ret, 0);
  CHECK_RC(pthread_mutex_destroy(&held), 0);
}

/* Contention: NTHREADS x ITERS non-atomic increments under one mutex,
 * sometimes blocking inside the critical section. */
#define NTHREADS 16
#define ITERS 10000
static pthread_mutex_t *shared;
static int nested;              /* lock twice per iteration (recursive) */
static long counter;
static atomic_int holders;
static int pipefd[2];

static void *contend(void *arg) {
  int id = (int)(intptr_t)arg;
  for (int i = 0; i < ITERS; i++) {
    if (id % 3 == 0) {
      CHECK_RC(pthread_mutex_lock(shared), 0);
    } else if (id % 3 == 1) {
      struct timespec ts = deadline_ms(CLOCK_REALTIME, 60000);
      CHECK_RC(pthread_mutex_timedlock(shared, &ts), 0);
    } else {
      while (pthread_mutex_trylock(shared) == EBUSY) sched_yield();
    }
    if (nested) CHECK_RC(pthread_mutex_lock(shared), 0);
    if (atomic_fetch_add(&holders, 1) != 0) FAIL("two threads inside the mutex");
    long v = counter;
    if (i % 1000 == 999) usleep(200);
    if (i % 1000 == 499) {
      char c = 'x';
      CHECK(write(pipefd[1], &c, 1) == 1);
      CHECK(read(pipefd[0], &c, 1) == 1 && c == 'x');
    }
    counter = v + 1;
    atomic_fetch_sub(&holders, 1);
    if (nested) CHECK_RC(pthread_mutex_unlock(shared), 0);
    CHECK_RC(pthread_mutex_unlock(shared), 0);
  }
  return NULL;
}

static void check_contention(pthread_mutex_t *m, int nest, const char *name) {
  pthread_t t[NTHREADS];
  shared = m;
  nested = nest;
  counter = 0;
  double t0 = mono_now();
  for (int i = 0; i < NTHREADS; i++)
    CHECK_RC(pthread_create(&t[i], NULL, contend, (void *)(intptr_t)i), 0);
  report_os_threads();
  for (int i = 0; i < NTHREADS; i++) CHECK_RC(pthread_join(t[i], NULL), 0);
  fprintf(stderr, "contention %s: %.3f s\n", name, mono_now() - t0);
  CHECK(counter == (long)NTHREADS * ITERS);
  printf("contention %s: %ld increments\n", name, counter);
}

int main(void) {
  static pthread_mutex_t normal = PTHREAD_MUTEX_INITIALIZER;
  static pthread_mutex_t recursive = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
  static pthread_mutex_t errorcheck = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;

  check_normal(&normal);
  check_errorcheck(&errorcheck);
  check_recursive(&recursive);
  printf("static initializers: ok\n");

  check_type(PTHREAD_MUTEX_NORMAL, check_normal);
  check_type(PTHREAD_MUTEX_DEFAULT, check_normal);
  check_type(PTHREAD_MUTEX_ERRORCHECK, check_errorcheck);
  check_type(PTHREAD_MUTEX_RECURSIVE, check_recursive);
  pthread_mutexattr_t a;
  CHECK_RC(pthread_mutexattr_init(&a), 0);
  CHECK_RC(pthread_mutexattr_settype(&a, 12345), EINVAL);
  CHECK_RC(pthread_mutexattr_destroy(&a), 0);
  printf("attribute types: ok\n");

  check_timed();
  printf("timed locks: ok\n");

  CHECK(pipe(pipefd) == 0);
  check_contention(&normal, 0, "normal");
  check_contention(&errorcheck, 0, "errorcheck");
  check_contention(&recursive, 1, "recursive nested");
  CHECK_RC(pthread_mutex_destroy(&normal), 0);
  CHECK_RC(pthread_mutex_destroy(&errorcheck), 0);
  CHECK_RC(pthread_mutex_destroy(&recursive), 0);
  return 0;
}
