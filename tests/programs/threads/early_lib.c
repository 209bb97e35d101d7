/* A library whose constructor starts a thread. Libraries a program links run
 * their constructors before an LD_PRELOAD'ed runtime starts, so under
 * ringlet this thread is a real thread the runtime does not manage: it
 * shares a mutex, a condition variable and a semaphore with threads that
 * are fibers (early_thread.c). Natively it is one more thread. */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>

#include "early_lib.h"

struct channel early_channel = {.mu = PTHREAD_MUTEX_INITIALIZER, .more = PTHREAD_COND_INITIALIZER};

static void *consumer(void *arg) {
  (void)arg;
  struct channel *c = &early_channel;
  pthread_mutex_lock(&c->mu);
  for (;;) {
    while (c->queued == 0 && !c->closing) pthread_cond_wait(&c->more, &c->mu);
    if (c->queued == 0) break;
    long item = c->items[--c->queued];
    c->sum += item;
    c->consumed++;
    pthread_mutex_unlock(&c->mu);
    sem_post(&c->ack); /* wakes a producer, which may be a fiber */
    pthread_mutex_lock(&c->mu);
  }
  pthread_mutex_unlock(&c->mu);
  return NULL;
}

__attribute__((constructor)) static void start_early_thread(void) {
  if (sem_init(&early_channel.ack, 0, 0) != 0) abort();
  if (pthread_create(&early_channel.thread, NULL, consumer, NULL) != 0) abort();
}
