// Mutexes for fibers and threads alike (Drepper's "futexes are tricky",
// mutex3), over the parking-lot futex. The word is 0 (free), 1 (locked) or
// 2 (locked, maybe waiters); unlock wakes one waiter only from state 2.
//
// The struct is laid out so that interpose/ can overlay it on
// pthread_mutex_t (it checks the offsets against glibc's at compile time):
// static initializers and pthread_mutexattr kinds keep working.
//
// lock/timedlock: F or T. trylock/unlock: F or T or S-safe-ish (no waits).
#pragma once

#include <atomic>
#include <cstdint>

namespace rt::sync {

enum MutexKind : int32_t { kNormal = 0, kRecursive = 1, kErrorCheck = 2, kAdaptive = 3 };

struct Mutex {
  std::atomic<uint32_t> word;   // 0 free, 1 locked, 2 locked and contended
  uint32_t count;               // recursive: depth beyond the first lock
  std::atomic<uint32_t> owner;  // self_id() of the holder, 0 when free
  uint32_t nusers;
  int32_t kind;                 // MutexKind in the low two bits
};

// The caller's identity for ownership (fiber id, or thread id).
uint32_t self_id();

// 0, EDEADLK (error-checking relock), EAGAIN (recursion overflow),
// ETIMEDOUT. deadline: CLOCK_MONOTONIC ns or kNoDeadline.
int lock(Mutex* m, int64_t deadline);
// 0, EBUSY, EAGAIN.
int trylock(Mutex* m);
// 0, EPERM (not the owner: error-checking and recursive mutexes).
int unlock(Mutex* m);

// For condition variables: release completely, whatever the recursion
// depth, and get back the state to restore; then take it back as contended.
uint32_t release_all(Mutex* m);
void reacquire(Mutex* m, uint32_t saved_count);

}  // namespace rt::sync
