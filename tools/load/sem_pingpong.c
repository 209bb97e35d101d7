/* sem_pingpong: two threads hand a token back and forth through two POSIX
 * semaphores (sem_post wakes the other, sem_wait blocks) for N round trips,
 * best of 5. Natively that is a futex wake and wait between kernel threads;
 * under ringlet, a fiber's park and unpark. Prints
 *   handoff_ns=X
 * (one handoff is half a round trip). Knows nothing of ringlet. */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static sem_t ping, pong;
static long rounds = 200000;

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void *echoer(void *arg) {
  (void)arg;
  for (long i = 0; i < rounds; i++) {
    while (sem_wait(&ping) != 0) continue;
    sem_post(&pong);
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc == 3 && !strcmp(argv[1], "--rounds")) rounds = atol(argv[2]);
  else if (argc != 1) rounds = 0;
  if (rounds <= 0) {
    fprintf(stderr, "usage: sem_pingpong [--rounds N]\n");
    return 2;
  }
  double best = 1e300;
  for (int run = 0; run < 5; run++) {
    sem_init(&ping, 0, 0);
    sem_init(&pong, 0, 0);
    pthread_t t;
    if (pthread_create(&t, NULL, echoer, NULL) != 0) {
      fprintf(stderr, "sem_pingpong: pthread_create failed\n");
      return 1;
    }
    double t0 = now_ns();
    for (long i = 0; i < rounds; i++) {
      sem_post(&ping);
      while (sem_wait(&pong) != 0) continue;
    }
    double ns = (now_ns() - t0) / (2.0 * (double)rounds);
    pthread_join(t, NULL);
    if (ns < best) best = ns;
  }
  printf("handoff_ns=%.1f\n", best);
  return 0;
}
