/* Condition variables: a bounded buffer with 4 producers and 4 consumers,
 * run twice: with static PTHREAD_COND_INITIALIZER conditions (timed waits on
 * CLOCK_REALTIME) and with CLOCK_MONOTONIC conditions from a condattr (timed
 * waits through pthread_cond_timedwait and pthread_cond_clockwait). Half the
 * consumers use plain waits, half short timed waits in a loop; a broadcast
 * releases them all at the end. Then timeouts with nobody signalling, and a
 * long timed wait ended by a signal. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "clock.h"
#include "report.h"


#define PRODUCERS 4
#define CONSUMERS 4
#define ITEMS 5000 /* per producer */
#define CAP 8

struct queue {
  pthread_mutex_t lock;
  pthread_cond_t not_empty, not_full;
  clockid_t clock;              /* clock of the two conditions */
  uint64_t buf[CAP];
  int head, count, done;
  long consumed;
  uint64_t sum, sumsq;          /* of consumed items */
  long timeouts;                /* nondeterministic: stderr only */
};

static struct queue qs = {
  .lock = PTHREAD_MUTEX_INITIALIZER,
  .not_empty = PTHREAD_COND_INITIALIZER,
  .not_full = PTHREAD_COND_INITIALIZER,
  .clock = CLOCK_REALTIME,
};
static struct queue qm;

struct role { struct queue *q; int id; };

static uint64_t item(int producer, int i) { return (uint64_t)producer * 1000003u + i * 7u + 1; }

static void *producer(void *arg) {
  struct role *r = arg;
  struct queue *q = r->q;
  for (int i = 0; i < ITEMS; i++) {
    if (i % 500 == 499) usleep(10000);  /* let timed waits time out */
    CHECK_RC(pthread_mutex_lock(&q->lock), 0);
    while (q->count == CAP) CHECK_RC(pthread_cond_wait(&q->not_full, &q->lock), 0);
    q->buf[(q->head + q->count) % CAP] = item(r->id, i);
    q->count++;
    CHECK_RC(pthread_cond_signal(&q->not_empty), 0);
    CHECK_RC(pthread_mutex_unlock(&q->lock), 0);
  }
  return NULL;
}

/* Waits for not_empty; consumers 0,1 plain, 2 timedwait, 3 clockwait. */
static void wait_not_empty(struct queue *q, int id, int n) {
  if (id < 2) {
    CHECK_RC(pthread_cond_wait(&q->not_empty, &q->lock), 0);
    return;
  }
  long us = 1000 + (n % 5) * 1000;  /* 1..5 ms */
  struct timespec ts = deadline_us(q->clock, us);
  int rc = id == 2 ? pthread_cond_timedwait(&q->not_empty, &q->lock, &ts)
                   : pthread_cond_clockwait(&q->not_empty, &q->lock, q->clock, &ts);
  if (rc == ETIMEDOUT) q->timeouts++;
  else CHECK_RC(rc, 0);
}

static void *consumer(void *arg) {
  struct role *r = arg;
  struct queue *q = r->q;
  CHECK_RC(pthread_mutex_lock(&q->lock), 0);
  for (int n = 0;; n++) {
    while (q->count == 0 && !q->done) wait_not_empty(q, r->id, n);
    if (q->count == 0) break;
    uint64_t v = q->buf[q->head];
    q->head = (q->head + 1) % CAP;
    q->count--;
    q->consumed++;
    q->sum += v;
    q->sumsq += v * v;
    CHECK_RC(pthread_cond_signal(&q->not_full), 0);
  }
  CHECK_RC(pthread_mutex_unlock(&q->lock), 0);
  return NULL;
}

static void run_queue(struct queue *q, const char *name) {
  pthread_t p[PRODUCERS], c[CONSUMERS];
  struct role pr[PRODUCERS], cr[CONSUMERS];
  for (int i = 0; i < CONSUMERS; i++) {
    cr[i] = (struct role){q, i};
    CHECK_RC(pthread_create(&c[i], NULL, consumer, &cr[i]), 0);
  }
  for (int i = 0; i < PRODUCERS; i++) {
    pr[i] = (struct role){q, i};
    CHECK_RC(pthread_create(&p[i], NULL, producer, &pr[i]), 0);
  }
  report_os_threads();
  for (int i = 0; i < PRODUCERS; i++) CHECK_RC(pthread_join(p[i], NULL), 0);
  CHECK_RC(pthread_mutex_lock(&q->lock), 0);
  q->done = 1;
  CHECK_RC(pthread_cond_broadcast(&q->not_empty), 0);
  CHECK_RC(pthread_mutex_unlock(&q->lock), 0);
  for (int i = 0; i < CONSUMERS; i++) CHECK_RC(pthread_join(c[i], NULL), 0);

  uint64_t sum = 0, sumsq = 0;
  for (int p = 0; p < PRODUCERS; p++)
    for (int i = 0; i < ITEMS; i++) sum += item(p, i), sumsq += item(p, i) * item(p, i);
  fprintf(stderr, "%s: %ld consumer timeouts\n", name, q->timeouts);
  CHECK(q->count == 0);
  CHECK(q->consumed == (long)PRODUCERS * ITEMS);
  CHECK(q->sum == sum && q->sumsq == sumsq);
  printf("%s: %ld items, checksum %llu/%llu\n", name, q->consumed,
         (unsigned long long)q->sum, (unsigned long long)q->sumsq);
}

static void init_monotonic_queue(struct queue *q) {
  pthread_condattr_t a;
  clockid_t clk = -1;
  CHECK_RC(pthread_condattr_init(&a), 0);
  CHECK_RC(pthread_condattr_setclock(&a, CLOCK_MONOTONIC), 0);
  CHECK_RC(pthread_condattr_getclock(&a, &clk), 0);
  CHECK(clk == CLOCK_MONOTONIC);
  CHECK_RC(pthread_condattr_setclock(&a, CLOCK_PROCESS_CPUTIME_ID), EINVAL);
  CHECK_RC(pthread_cond_init(&q->not_empty, &a), 0);
  CHECK_RC(pthread_cond_init(&q->not_full, &a), 0);
  CHECK_RC(pthread_condattr_destroy(&a), 0);
  CHECK_RC(pthread_mutex_init(&q->lock, NULL), 0);
  q->clock = CLOCK_MONOTONIC;
}

/* A 200 ms wait nobody signals times out, after >= 180 ms, owning the
 * (errorcheck) mutex again. how: 0 timedwait, 1 clockwait. */
static void check_timeout(pthread_cond_t *cv, clockid_t clk, int how, const char *name) {
  pthread_mutex_t m = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
  CHECK_RC(pthread_mutex_lock(&m), 0);
  double t = mono_now();
  struct timespec ts = deadline_us(clk, 200000);
  int rc = how == 0 ? pthread_cond_timedwait(cv, &m, &ts)
                    : pthread_cond_clockwait(cv, &m, clk, &ts);
  double el = mono_now() - t;
  fprintf(stderr, "%s: %s after %.3f s\n", name, strerror(rc), el);
  CHECK_RC(rc, ETIMEDOUT);
  if (el < 0.18) FAIL("%s timed out after only %.3f s", name, el);
  CHECK_RC(pthread_mutex_lock(&m), EDEADLK);  /* we own it again */
  CHECK_RC(pthread_mutex_unlock(&m), 0);
  CHECK_RC(pthread_mutex_destroy(&m), 0);
  printf("%s: timed out\n", name);
}

/* A long timed wait ended by a signal from another thread. */
static pthread_mutex_t flag_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t flag_cv = PTHREAD_COND_INITIALIZER;
static int flag;

static void *set_flag(void *arg) {
  usleep(50000);
  CHECK_RC(pthread_mutex_lock(&flag_lock), 0);
  flag = 1;
  CHECK_RC(pthread_cond_signal(&flag_cv), 0);
  CHECK_RC(pthread_mutex_unlock(&flag_lock), 0);
  return NULL;
}

static void check_signalled_wait(void) {
  pthread_t t;
  CHECK_RC(pthread_mutex_lock(&flag_lock), 0);
  CHECK_RC(pthread_create(&t, NULL, set_flag, NULL), 0);
  struct timespec ts = deadline_us(CLOCK_REALTIME, 20000000);
  while (!flag) CHECK_RC(pthread_cond_timedwait(&flag_cv, &flag_lock, &ts), 0);
  CHECK_RC(pthread_mutex_unlock(&flag_lock), 0);
  CHECK_RC(pthread_join(t, NULL), 0);
  printf("signalled timed wait: woken\n");
}

int main(void) {
  run_queue(&qs, "static realtime");
  init_monotonic_queue(&qm);
  run_queue(&qm, "attr monotonic");

  static pthread_cond_t plain = PTHREAD_COND_INITIALIZER;
  check_timeout(&plain, CLOCK_REALTIME, 0, "timedwait realtime");
  check_timeout(&qm.not_empty, CLOCK_MONOTONIC, 0, "timedwait monotonic");
  check_timeout(&plain, CLOCK_MONOTONIC, 1, "clockwait monotonic");
  check_timeout(&plain, CLOCK_REALTIME, 1, "clockwait realtime");
  check_signalled_wait();

  CHECK_RC(pthread_cond_destroy(&qs.not_empty), 0);
  CHECK_RC(pthread_cond_destroy(&qs.not_full), 0);
  CHECK_RC(pthread_cond_destroy(&qm.not_empty), 0);
  CHECK_RC(pthread_cond_destroy(&qm.not_full), 0);
  CHECK_RC(pthread_cond_destroy(&plain), 0);
  return 0;
}
