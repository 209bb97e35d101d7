/* Regression: pthread_cond_destroy right after a broadcast, then free (the
 * POSIX pthread_cond_destroy example). The woken waiters have not run yet;
 * they must not touch the freed condition variable when they do. */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
struct elem { pthread_cond_t cv; };
static pthread_mutex_t lm = PTHREAD_MUTEX_INITIALIZER;
static struct elem *ep;
static int blocked, busy;
static void *waiter(void *a) {
  pthread_mutex_lock(&lm);
  blocked++;
  while (busy) pthread_cond_wait(&ep->cv, &lm);
  pthread_mutex_unlock(&lm);
  return 0;
}
int main(void) {
  for (int it = 0; it < 2000; it++) {
    ep = malloc(sizeof *ep);
    pthread_cond_init(&ep->cv, 0); busy = 1; blocked = 0;
    pthread_t t[3];
    for (int i = 0; i < 3; i++) pthread_create(&t[i], 0, waiter, 0);
    for (;;) { pthread_mutex_lock(&lm); int w = blocked; pthread_mutex_unlock(&lm); if (w == 3) break; sched_yield(); }
    if (it == 0) report_os_threads();
    pthread_mutex_lock(&lm);
    struct elem *e = ep; busy = 0;
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&lm);
    pthread_cond_destroy(&e->cv);
    free(e);
    unsigned char *p = malloc(sizeof *ep);   /* same chunk back from tcache */
    memset(p, 0xAA, sizeof *ep);
    for (int i = 0; i < 3; i++) pthread_join(t[i], 0);
    for (size_t i = 0; i < sizeof *ep; i++)
      if (p[i] != 0xAA) { printf("iteration %d: byte %zu of freed+reused memory changed to %02x by woken waiters\n", it, i, p[i]); return 1; }
    free(p);
  }
  puts("ok");
  return 0;
}
