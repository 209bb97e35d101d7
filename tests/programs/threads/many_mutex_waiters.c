/* Many waiters on one lock: N threads block on a mutex main holds for
 * 200 ms; once main unlocks, each locks, increments and unlocks. Then N
 * threads wait on one condition variable until main sets a flag and
 * broadcasts. Counts must be exact; nobody may get through early. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "report.h"


#define N 1000

static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t start_cv = PTHREAD_COND_INITIALIZER;
static int started;

static void count_started(void) {
  CHECK_RC(pthread_mutex_lock(&start_lock), 0);
  if (++started == N) CHECK_RC(pthread_cond_signal(&start_cv), 0);
  CHECK_RC(pthread_mutex_unlock(&start_lock), 0);
}

static void wait_all_started(void) {
  CHECK_RC(pthread_mutex_lock(&start_lock), 0);
  while (started < N) CHECK_RC(pthread_cond_wait(&start_cv, &start_lock), 0);
  started = 0;
  CHECK_RC(pthread_mutex_unlock(&start_lock), 0);
}

/* Part 1: the mutex. */
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *locker(void *arg) {
  count_started();
  CHECK_RC(pthread_mutex_lock(&m), 0);
  counter++;
  CHECK_RC(pthread_mutex_unlock(&m), 0);
  return NULL;
}

/* Part 2: the condition variable. */
static pthread_mutex_t cm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int go, waiting, woken;

static void *cond_waiter(void *arg) {
  CHECK_RC(pthread_mutex_lock(&cm), 0);
  waiting++;
  while (!go) CHECK_RC(pthread_cond_wait(&cv, &cm), 0);
  woken++;
  CHECK_RC(pthread_mutex_unlock(&cm), 0);
  return NULL;
}

static void create_all(pthread_t *t, void *(*fn)(void *)) {
  for (int i = 0; i < N; i++) {
    int rc = pthread_create(&t[i], NULL, fn, NULL);
    if (rc != 0) FAIL("pthread_create #%d: %s", i, strerror(rc));
  }
}

int main(void) {
  static pthread_t t[N];

  CHECK_RC(pthread_mutex_lock(&m), 0);
  create_all(t, locker);
  wait_all_started();
  usleep(200000);  /* they are (very likely) all blocked in pthread_mutex_lock */
  report_os_threads();
  CHECK(counter == 0);
  CHECK_RC(pthread_mutex_unlock(&m), 0);
  for (int i = 0; i < N; i++) CHECK_RC(pthread_join(t[i], NULL), 0);
  CHECK(counter == N);
  printf("mutex: %ld waiters each got the lock once\n", counter);

  create_all(t, cond_waiter);
  for (;;) {  /* waiting is counted under cm, so N means all are in the wait */
    CHECK_RC(pthread_mutex_lock(&cm), 0);
    if (waiting == N) break;
    CHECK_RC(pthread_mutex_unlock(&cm), 0);
    usleep(1000);
  }
  report_os_threads();
  CHECK(woken == 0);
  go = 1;
  CHECK_RC(pthread_cond_broadcast(&cv), 0);
  CHECK_RC(pthread_mutex_unlock(&cm), 0);
  for (int i = 0; i < N; i++) CHECK_RC(pthread_join(t[i], NULL), 0);
  CHECK(woken == N);
  printf("condvar: %d waiters released by one broadcast\n", woken);
  return 0;
}
