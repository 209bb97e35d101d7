/* Regression: the serial thread of a barrier destroys and re-initializes it
 * while the threads it released have not left pthread_barrier_wait yet;
 * they must still leave. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "report.h"
#define N 4
static pthread_barrier_t b;
static pthread_barrier_t *bp = &b;
static void *run(void *x) {
  (void)x;
  if (pthread_barrier_wait(bp) == PTHREAD_BARRIER_SERIAL_THREAD) {
    /* everyone has arrived: the barrier is no longer needed */
    pthread_barrier_destroy(bp);
    memset(bp, 0, sizeof *bp);       /* e.g. storage reused */
    pthread_barrier_init(bp, 0, N);   /* or re-initialized for another phase */
  }
  return 0;
}
int main(void) {
  pthread_barrier_init(&b, 0, N);
  pthread_t t[N];
  for (int i = 0; i < N; i++) pthread_create(&t[i], 0, run, 0);
  report_os_threads();
  for (int i = 0; i < N; i++) pthread_join(t[i], 0);
  puts("ok");
}
