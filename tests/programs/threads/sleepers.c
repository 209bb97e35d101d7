/* sleepers N SECONDS: N threads with default attributes each sleep SECONDS
 * (nanosleep). Main reports the OS threads once all have started, joins
 * them all and prints one line. Each thread checks that its own sleep
 * lasted at least SECONDS. Elapsed time goes to stderr. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "clock.h"
#include "report.h"


static long nthreads, seconds;
static long started;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t all_started = PTHREAD_COND_INITIALIZER;

static void *sleeper(void *arg) {
  pthread_mutex_lock(&lock);
  if (++started == nthreads) pthread_cond_signal(&all_started);
  pthread_mutex_unlock(&lock);

  double t = mono_now();
  struct timespec ts = {seconds, 0};
  while (nanosleep(&ts, &ts) != 0) {
    if (errno != EINTR) FAIL("nanosleep: %s", strerror(errno));
  }
  double el = mono_now() - t;
  if (el < seconds) FAIL("a thread slept %.3f s, asked %ld s", el, seconds);
  return arg;
}

int main(int argc, char **argv) {
  if (argc != 3) FAIL("usage: sleepers N SECONDS");
  nthreads = atol(argv[1]);
  seconds = atol(argv[2]);
  if (nthreads < 1 || seconds < 0) FAIL("bad arguments");

  pthread_t *tids = calloc(nthreads, sizeof *tids);
  if (!tids) FAIL("out of memory");
  double t0 = mono_now();
  for (long i = 0; i < nthreads; i++) {
    int rc = pthread_create(&tids[i], NULL, sleeper, (void *)i);
    if (rc != 0) FAIL("pthread_create #%ld: %s", i, strerror(rc));
  }
  fprintf(stderr, "created %ld threads in %.3f s\n", nthreads, mono_now() - t0);

  pthread_mutex_lock(&lock);
  while (started < nthreads) pthread_cond_wait(&all_started, &lock);
  pthread_mutex_unlock(&lock);
  report_os_threads();

  for (long i = 0; i < nthreads; i++) {
    void *ret;
    int rc = pthread_join(tids[i], &ret);
    if (rc != 0) FAIL("pthread_join #%ld: %s", i, strerror(rc));
    if (ret != (void *)i) FAIL("thread #%ld returned %p", i, ret);
  }
  double el = mono_now() - t0;
  fprintf(stderr, "elapsed %.3f s\n", el);
  if (el < seconds) FAIL("all done after %.3f s, less than %ld s", el, seconds);
  printf("%ld threads slept and finished\n", nthreads);
  free(tids);
  return 0;
}
