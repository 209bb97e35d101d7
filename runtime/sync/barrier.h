// Barriers over the parking-lot futex: arrivals are counted, the last one
// advances the round word and wakes everyone waiting on it. A waiter reads
// the round before it arrives, so it can only wait for the round it belongs
// to. Overlaid on pthread_barrier_t by interpose/. F or T.
#pragma once

#include <atomic>
#include <cstdint>

namespace rt::sync {

struct Barrier {
  std::atomic<uint32_t> arrived;
  std::atomic<uint32_t> round;
  uint32_t count;
  uint32_t reserved;             // interpose/ marks ringlet's barriers here (glibc's futex flag)
  std::atomic<uint32_t> inside;  // in barrier_wait; high bit: being destroyed
};

void barrier_init(Barrier* b, uint32_t count);
// true for exactly one caller per round (PTHREAD_BARRIER_SERIAL_THREAD).
bool barrier_wait(Barrier* b);
// EBUSY if a round is under way; else waits until the callers released by
// the last round have left (the program may free or reuse b at once).
int barrier_destroy(Barrier* b);

}  // namespace rt::sync
