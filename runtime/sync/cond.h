// Condition variables over the parking-lot futex: a sequence word that every
// signal and broadcast advances. A waiter reads it, releases the mutex and
// sleeps while the word is unchanged; the parking lot is FIFO, so a signal
// goes to the longest waiter, never to one that arrived after it. Waiter
// counts let signal and broadcast skip the wake entirely when nobody waits.
//
// Overlaid on pthread_cond_t by interpose/ (48 bytes; zeroes = realtime
// clock, the static initializer). F or T.
#pragma once

#include <atomic>
#include <cstdint>
#include <ctime>

#include "mutex.h"

namespace rt::sync {

struct Cond {
  std::atomic<uint32_t> seq;
  std::atomic<uint32_t> waiters;  // inside cond_wait; high bit: being destroyed
  uint32_t clock;  // CLOCK_REALTIME (0) or CLOCK_MONOTONIC (1)
};

void cond_init(Cond* c, clockid_t clock);
// deadline: CLOCK_MONOTONIC ns or kNoDeadline. 0, ETIMEDOUT, EPERM.
int cond_wait(Cond* c, Mutex* m, int64_t deadline);
// The same with a mutex ringlet leaves to glibc (robust, priority, shared),
// released and taken back through the given functions. 0 or ETIMEDOUT.
int cond_wait_with(Cond* c, void (*unlock)(void*), void (*relock)(void*), void* m, int64_t deadline);
void cond_signal(Cond* c);
void cond_broadcast(Cond* c);
// Waits until every waiter woken by an earlier signal or broadcast has
// stopped touching c (POSIX lets the program free it right after).
void cond_destroy(Cond* c);

}  // namespace rt::sync
