/* Unnamed semaphores: trywait/getvalue, a ping-pong between two threads,
 * timedwait/clockwait timeouts and a timed wait ended by a post, waiters
 * released one post each, and a counting semaphore bounding concurrency. */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
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


static int value(sem_t *s) {
  int v = -1;
  CHECK_ERRNO(sem_getvalue(s, &v), 0);
  return v;
}

static void check_basics(void) {
  sem_t s;
  CHECK_ERRNO(sem_init(&s, 0, 0), 0);
  CHECK(value(&s) == 0);
  CHECK_ERRNO(sem_trywait(&s), EAGAIN);
  CHECK_ERRNO(sem_post(&s), 0);
  CHECK_ERRNO(sem_post(&s), 0);
  CHECK(value(&s) == 2);
  CHECK_ERRNO(sem_trywait(&s), 0);
  CHECK_ERRNO(sem_wait(&s), 0);
  CHECK(value(&s) == 0);
  CHECK_ERRNO(sem_trywait(&s), EAGAIN);
  struct timespec bad = {0, -1};
  CHECK_ERRNO(sem_timedwait(&s, &bad), EINVAL);
  CHECK_ERRNO(sem_destroy(&s), 0);
  printf("basics: ok\n");
}

/* Ping-pong: strict alternation on a shared, non-atomic counter. */
#define ROUNDS 2000
static sem_t ping, pong;
static long turn;

static void *ponger(void *arg) {
  for (int i = 0; i < ROUNDS; i++) {
    CHECK_ERRNO(sem_wait(&ping), 0);
    if (turn != 2 * i + 1) FAIL("pong saw turn %ld in round %d", turn, i);
    turn++;
    CHECK_ERRNO(sem_post(&pong), 0);
  }
  return NULL;
}

static void check_ping_pong(void) {
  pthread_t t;
  CHECK_ERRNO(sem_init(&ping, 0, 0), 0);
  CHECK_ERRNO(sem_init(&pong, 0, 0), 0);
  CHECK_RC(pthread_create(&t, NULL, ponger, NULL), 0);
  for (int i = 0; i < ROUNDS; i++) {
    if (turn != 2 * i) FAIL("ping saw turn %ld in round %d", turn, i);
    turn++;
    CHECK_ERRNO(sem_post(&ping), 0);
    CHECK_ERRNO(sem_wait(&pong), 0);
  }
  CHECK_RC(pthread_join(t, NULL), 0);
  CHECK(turn == 2 * ROUNDS);
  CHECK_ERRNO(sem_destroy(&ping), 0);
  CHECK_ERRNO(sem_destroy(&pong), 0);
  printf("ping-pong: %ld turns\n", turn);
}

/* Timeouts on a semaphore nobody posts; then a timed wait ended by a post. */
static sem_t late;

static void *post_late(void *arg) {
  usleep(50000);
  CHECK_ERRNO(sem_post(&late), 0);
  return NULL;
}

static void check_timeouts(void) {
  sem_t s;
  CHECK_ERRNO(sem_init(&s, 0, 0), 0);
  for (int how = 0; how < 3; how++) {
    clockid_t clk = how == 1 ? CLOCK_MONOTONIC : CLOCK_REALTIME;
    struct timespec ts = deadline_ms(clk, 200);
    double t = mono_now();
    if (how == 0) CHECK_ERRNO(sem_timedwait(&s, &ts), ETIMEDOUT);
    else CHECK_ERRNO(sem_clockwait(&s, clk, &ts), ETIMEDOUT);
    double el = mono_now() - t;
    fprintf(stderr, "timeout %d after %.3f s\n", how, el);
    if (el < 0.18) FAIL("wait %d timed out after only %.3f s", how, el);
  }
  CHECK(value(&s) == 0);
  CHECK_ERRNO(sem_destroy(&s), 0);

  pthread_t t;
  CHECK_ERRNO(sem_init(&late, 0, 0), 0);
  CHECK_RC(pthread_create(&t, NULL, post_late, NULL), 0);
  struct timespec ts = deadline_ms(CLOCK_MONOTONIC, 20000);
  CHECK_ERRNO(sem_clockwait(&late, CLOCK_MONOTONIC, &ts), 0);
  CHECK_RC(pthread_join(t, NULL), 0);
  CHECK_ERRNO(sem_destroy(&late), 0);
  printf("timeouts: ok\n");
}

/* WAITERS threads block on one semaphore; each post releases one. */
#define WAITERS 8
static sem_t gate, started, finished;

static void *gate_waiter(void *arg) {
  CHECK_ERRNO(sem_post(&started), 0);
  CHECK_ERRNO(sem_wait(&gate), 0);
  CHECK_ERRNO(sem_post(&finished), 0);
  return NULL;
}

static void check_waiters(void) {
  pthread_t t[WAITERS];
  CHECK_ERRNO(sem_init(&gate, 0, 0), 0);
  CHECK_ERRNO(sem_init(&started, 0, 0), 0);
  CHECK_ERRNO(sem_init(&finished, 0, 0), 0);
  for (int i = 0; i < WAITERS; i++) CHECK_RC(pthread_create(&t[i], NULL, gate_waiter, NULL), 0);
  for (int i = 0; i < WAITERS; i++) CHECK_ERRNO(sem_wait(&started), 0);
  usleep(50000);
  report_os_threads();
  CHECK(value(&finished) == 0);
  for (int i = 1; i <= WAITERS; i++) {
    CHECK_ERRNO(sem_post(&gate), 0);
    CHECK_ERRNO(sem_wait(&finished), 0);  /* exactly one more got through */
    usleep(1000);
    CHECK(value(&finished) == 0);
  }
  for (int i = 0; i < WAITERS; i++) CHECK_RC(pthread_join(t[i], NULL), 0);
  CHECK(value(&gate) == 0);
  CHECK_ERRNO(sem_destroy(&gate), 0);
  CHECK_ERRNO(sem_destroy(&started), 0);
  CHECK_ERRNO(sem_destroy(&finished), 0);
  printf("waiters: %d released one by one\n", WAITERS);
}

/* A counting semaphore of SLOTS bounds how many threads are inside. */
#define SLOTS 3
#define WORKERS 12
static sem_t slots;
static atomic_int inside, max_inside;

static void *worker(void *arg) {
  for (int i = 0; i < 20; i++) {
    CHECK_ERRNO(sem_wait(&slots), 0);
    int n = atomic_fetch_add(&inside, 1) + 1;
    int m = atomic_load(&max_inside);
    while (n > m && !atomic_compare_exchange_weak(&max_inside, &m, n)) {}
    usleep(1000);
    atomic_fetch_sub(&inside, 1);
    CHECK_ERRNO(sem_post(&slots), 0);
  }
  return NULL;
}

static void check_counting(void) {
  pthread_t t[WORKERS];
  CHECK_ERRNO(sem_init(&slots, 0, SLOTS), 0);
  CHECK(value(&slots) == SLOTS);
  for (int i = 0; i < WORKERS; i++) CHECK_RC(pthread_create(&t[i], NULL, worker, NULL), 0);
  for (int i = 0; i < WORKERS; i++) CHECK_RC(pthread_join(t[i], NULL), 0);
  fprintf(stderr, "counting: at most %d inside\n", max_inside);
  CHECK(max_inside >= 1 && max_inside <= SLOTS);
  CHECK(value(&slots) == SLOTS);
  CHECK_ERRNO(sem_destroy(&slots), 0);
  printf("counting: at most %d of %d workers inside\n", SLOTS, WORKERS);
}

int main(void) {
  check_basics();
  check_ping_pong();
  check_timeouts();
  check_waiters();
  check_counting();
  return 0;
}
