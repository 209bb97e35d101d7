/* A thread that counts every 2 ms, for the plain test programs: other
 * threads blocking must not stop it ("the others keep their rhythm").
 *
 *   ticker_start(block)   starts it; it blocks the signals in `block` (NULL:
 *                         none) so that it is never the kernel's choice for them
 *   ticker_ticks()        the count so far
 *   ticker_stop()         stops and joins it */
#ifndef RINGLET_TEST_TICKER_H
#define RINGLET_TEST_TICKER_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <unistd.h>

#include "check.h"

static atomic_long ticker_count_;
static atomic_int ticker_stop_;
static pthread_t ticker_thread_;
static sigset_t ticker_block_;

static void *ticker_main_(void *x) {
  (void)x;
  CHECK_RC(pthread_sigmask(SIG_BLOCK, &ticker_block_, NULL), 0);
  while (!atomic_load(&ticker_stop_)) {
    usleep(2000);
    atomic_fetch_add(&ticker_count_, 1);
  }
  return NULL;
}

static inline void ticker_start(const sigset_t *block) {
  if (block) ticker_block_ = *block;
  else sigemptyset(&ticker_block_);
  CHECK_RC(pthread_create(&ticker_thread_, NULL, ticker_main_, NULL), 0);
}

static inline long ticker_ticks(void) { return atomic_load(&ticker_count_); }

static inline void ticker_stop(void) {
  atomic_store(&ticker_stop_, 1);
  CHECK_RC(pthread_join(ticker_thread_, NULL), 0);
}

#endif
