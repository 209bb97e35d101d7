/* Per-thread CPU-time clocks: a busy thread's CLOCK_THREAD_CPUTIME_ID grows
 * with its own work, an idle thread's does not grow with the busy one's, and
 * the clock pthread_getcpuclockid gives for a thread reads that thread's
 * time from another thread. Bounds are loose on purpose (a shared machine):
 * what must hold is "its own, not its neighbour's". */
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "report.h"

static pthread_barrier_t done_working, looked;

static double secs(clockid_t c) {
  struct timespec ts;
  CHECK(clock_gettime(c, &ts) == 0);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *busy(void *x) {
  double *used = x;
  double c0 = secs(CLOCK_THREAD_CPUTIME_ID), w0 = secs(CLOCK_MONOTONIC);
  volatile unsigned long n = 0;
  while (secs(CLOCK_MONOTONIC) - w0 < 0.2) n++;
  *used = secs(CLOCK_THREAD_CPUTIME_ID) - c0;
  pthread_barrier_wait(&done_working);
  pthread_barrier_wait(&looked); /* alive while main reads its clock */
  return NULL;
}

static void *idle(void *x) {
  double *used = x;
  double c0 = secs(CLOCK_THREAD_CPUTIME_ID);
  usleep(300000);
  *used = secs(CLOCK_THREAD_CPUTIME_ID) - c0;
  return NULL;
}

int main(void) {
  pthread_barrier_init(&done_working, NULL, 2);
  pthread_barrier_init(&looked, NULL, 2);
  double busy_used = 0, idle_used = 0;
  pthread_t b, i;
  CHECK_RC(pthread_create(&i, NULL, idle, &idle_used), 0);
  CHECK_RC(pthread_create(&b, NULL, busy, &busy_used), 0);
  report_os_threads();
  pthread_barrier_wait(&done_working);
  clockid_t bc;
  CHECK_RC(pthread_getcpuclockid(b, &bc), 0);
  double seen = secs(bc);
  struct timespec res;
  CHECK(clock_getres(bc, &res) == 0);
  pthread_barrier_wait(&looked);
  CHECK_RC(pthread_join(b, NULL), 0);
  CHECK_RC(pthread_join(i, NULL), 0);
  printf("busy thread's own clock grew with its work: %s\n", busy_used >= 0.02 ? "yes" : "no");
  printf("idle thread's clock stayed small: %s\n", idle_used < 0.1 ? "yes" : "no");
  printf("busy thread's clock read from main: %s\n", seen >= busy_used * 0.9 && seen >= 0.02 ? "yes" : "no");
  printf("its resolution: %s\n", res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 1000000 ? "fine" : "odd");
  return 0;
}
