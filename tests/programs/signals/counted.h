/* The counting handler of the signal tests (interrupt, waits, legacy):
 * on_sig counts deliveries in `hits` and records in `ran_in` the thread it
 * ran in, so a test can tell where the kernel (or ringlet) delivered. */
#ifndef RINGLET_TEST_COUNTED_H
#define RINGLET_TEST_COUNTED_H

#include <pthread.h>
#include <signal.h>

static volatile sig_atomic_t hits;
static pthread_t ran_in;

static void on_sig(int sig) {
  (void)sig;
  hits++;
  ran_in = pthread_self();
}

#endif
