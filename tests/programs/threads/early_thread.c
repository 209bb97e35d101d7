/* Threads the runtime does not manage share synchronization objects with
 * threads that are fibers. The consumer thread is started by a library
 * constructor (early_lib.c), before an LD_PRELOAD'ed runtime initializes;
 * four producer threads started from main() hand it 2,000 items each through
 * a mutex and a condition variable, and each waits on a semaphore the
 * consumer posts per item. Every item must arrive exactly once, nobody may
 * deadlock, and the totals are deterministic. */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>

#include "early_lib.h"
#include "report.h"

#define PRODUCERS 4
#define EACH 2000

static pthread_barrier_t started;

static void *producer(void *arg) {
  long id = (long)arg;
  struct channel *c = &early_channel;
  pthread_barrier_wait(&started);
  for (long i = 0; i < EACH; i++) {
    pthread_mutex_lock(&c->mu);
    while (c->queued == 64) {
      pthread_mutex_unlock(&c->mu);
      sem_wait(&c->ack);
      pthread_mutex_lock(&c->mu);
    }
    c->items[c->queued++] = id * 100000 + i;
    pthread_cond_signal(&c->more);
    pthread_mutex_unlock(&c->mu);
    if (i % 7 == 0) sem_wait(&c->ack); /* wait for the consumer now and then */
  }
  return NULL;
}

int main(void) {
  pthread_t t[PRODUCERS];
  pthread_barrier_init(&started, NULL, PRODUCERS + 1);
  for (long i = 0; i < PRODUCERS; i++)
    if (pthread_create(&t[i], NULL, producer, (void *)i) != 0) return 1;
  pthread_barrier_wait(&started);
  report_os_threads();
  for (int i = 0; i < PRODUCERS; i++) pthread_join(t[i], NULL);
  struct channel *c = &early_channel;
  pthread_mutex_lock(&c->mu);
  c->closing = 1;
  pthread_cond_broadcast(&c->more);
  pthread_mutex_unlock(&c->mu);
  pthread_join(c->thread, NULL);
  long want = 0;
  for (long p = 0; p < PRODUCERS; p++)
    for (long i = 0; i < EACH; i++) want += p * 100000 + i;
  if (c->consumed != PRODUCERS * EACH || c->sum != want) {
    fprintf(stderr, "consumed %ld (sum %ld), want %d (sum %ld)\n", c->consumed, c->sum, PRODUCERS * EACH, want);
    return 1;
  }
  printf("%d items from %d producers reached the early thread, sum %ld\n", PRODUCERS * EACH, PRODUCERS, c->sum);
  return 0;
}
