#include "barrier.h"

#include <climits>

#include "../sched.h"
#include "futex.h"

namespace rt::sync {

void barrier_init(Barrier* b, uint32_t count) {
  b->arrived.store(0, std::memory_order_relaxed);
  b->round.store(0, std::memory_order_relaxed);
  b->count = count;
}

bool barrier_wait(Barrier* b) {
  uint32_t round = b->round.load(std::memory_order_acquire);
  if (b->arrived.fetch_add(1, std::memory_order_acq_rel) + 1 == b->count) {
    b->arrived.store(0, std::memory_order_relaxed);
    b->round.fetch_add(1, std::memory_order_seq_cst);
    futex::wake(&b->round, INT_MAX);
    return true;
  }
  while (b->round.load(std::memory_order_acquire) == round) futex::wait(&b->round, round, kNoDeadline);
  return false;
}

}  // namespace rt::sync
