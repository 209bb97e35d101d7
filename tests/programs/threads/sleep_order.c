/* The eventlet example: thread A sleeps 2 s, thread B sleeps 1 s, main sleeps
 * 3 s. Each prints a line when it wakes; the order must be B, A, main, and
 * each sleep must last at least as long as asked. The three sleeps use
 * different entry points: sleep(), usleep() + nanosleep(), clock_nanosleep().
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "clock.h"
#include "report.h"


static double t0;

static void woke(const char *who, double min_s) {
  double el = mono_now() - t0;
  printf("%s woke\n", who);
  fprintf(stderr, "%s woke after %.3f s\n", who, el);
  if (el < min_s) FAIL("%s woke after %.3f s, wanted >= %.3f s", who, el, min_s);
}

static void *thread_a(void *arg) {
  unsigned left = sleep(2);
  if (left != 0) FAIL("sleep(2) returned %u", left);
  woke("A", 2.0);
  return NULL;
}

static void *thread_b(void *arg) {
  /* 1 s in two halves: usleep() then nanosleep(). */
  if (usleep(500000) != 0) FAIL("usleep: %s", strerror(errno));
  struct timespec half = {0, 500000000}, rem = {7, 7};
  if (nanosleep(&half, &rem) != 0) FAIL("nanosleep: %s", strerror(errno));
  woke("B", 1.0);
  return NULL;
}

int main(void) {
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  t0 = start.tv_sec + start.tv_nsec / 1e9;

  pthread_t a, b;
  CHECK(pthread_create(&a, NULL, thread_a, NULL) == 0);
  CHECK(pthread_create(&b, NULL, thread_b, NULL) == 0);
  report_os_threads();

  /* Absolute monotonic deadline three seconds after start. */
  struct timespec deadline = start;
  deadline.tv_sec += 3;
  int rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL);
  if (rc != 0) FAIL("clock_nanosleep: %s", strerror(rc));
  woke("main", 3.0);

  CHECK(pthread_join(a, NULL) == 0);
  CHECK(pthread_join(b, NULL) == 0);
  return 0;
}
