#include "barrier.h"

#include <cerrno>
#include <climits>

#include "../sched.h"
#include "futex.h"

namespace rt::sync {

namespace {

constexpr uint32_t kDestroying = 1u << 31;

// The caller's last touch of b; wakes a destroy waiting for it.
void leave(Barrier* b) {
  if (b->inside.fetch_sub(1, std::memory_order_release) == (kDestroying | 1)) futex::wake(&b->inside, INT_MAX);
}

}  // namespace

void barrier_init(Barrier* b, uint32_t count) {
  b->arrived.store(0, std::memory_order_relaxed);
  b->round.store(0, std::memory_order_relaxed);
  b->count = count;
  b->inside.store(0, std::memory_order_relaxed);
}

bool barrier_wait(Barrier* b) {
  b->inside.fetch_add(1, std::memory_order_acq_rel);
  uint32_t round = b->round.load(std::memory_order_acquire);
  if (b->arrived.fetch_add(1, std::memory_order_acq_rel) + 1 == b->count) {
    b->arrived.store(0, std::memory_order_relaxed);
    b->round.fetch_add(1, std::memory_order_seq_cst);
    futex::wake(&b->round, INT_MAX);
    leave(b);
    return true;
  }
  while (b->round.load(std::memory_order_acquire) == round) futex::wait(&b->round, round, kNoDeadline);
  leave(b);
  return false;
}

int barrier_destroy(Barrier* b) {
  if (b->arrived.load(std::memory_order_acquire) != 0) return EBUSY;
  uint32_t w = b->inside.fetch_or(kDestroying, std::memory_order_acq_rel) | kDestroying;
  while (w != kDestroying) {
    futex::wait(&b->inside, w, kNoDeadline);
    w = b->inside.load(std::memory_order_acquire);
  }
  return 0;
}

}  // namespace rt::sync
