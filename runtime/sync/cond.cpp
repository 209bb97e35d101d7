#include "cond.h"

#include <cerrno>
#include <climits>

#include "../cancel.h"
#include "../sched.h"
#include "futex.h"

namespace rt::sync {

namespace {

constexpr uint32_t kDestroying = 1u << 31;

// A waiter's last touch of c. If a destroy waits for the waiters to leave,
// the last one out wakes it (the wake only hashes the address).
void leave(Cond* c) {
  if (c->waiters.fetch_sub(1, std::memory_order_release) == (kDestroying | 1)) futex::wake(&c->waiters, INT_MAX);
}

int outcome(int wait_result) {
  if (wait_result == -ETIMEDOUT) return ETIMEDOUT;
  if (wait_result == int(cancel::kInterrupted)) return wait_result;
  return 0;
}

}  // namespace

void cond_init(Cond* c, clockid_t clock) {
  c->seq.store(0, std::memory_order_relaxed);
  c->waiters.store(0, std::memory_order_relaxed);
  c->clock = uint32_t(clock);
}

int cond_wait(Cond* c, Mutex* m, int64_t deadline) {
  int kind = m->kind & 3;
  if ((kind == kErrorCheck || kind == kRecursive) && m->owner.load(std::memory_order_relaxed) != self_id())
    return EPERM;
  c->waiters.fetch_add(1, std::memory_order_seq_cst);
  uint32_t seq = c->seq.load(std::memory_order_seq_cst);
  uint32_t saved = release_all(m);
  // One sleep: POSIX allows a spurious return, and the caller loops on its
  // predicate; only a timeout (or a cancellation) is reported.
  int r = outcome(futex::wait_point(&c->seq, seq, deadline));
  leave(c);
  reacquire(m, saved);
  return r;
}

int cond_wait_with(Cond* c, void (*unlock)(void*), void (*relock)(void*), void* m, int64_t deadline) {
  c->waiters.fetch_add(1, std::memory_order_seq_cst);
  uint32_t seq = c->seq.load(std::memory_order_seq_cst);
  unlock(m);
  int r = outcome(futex::wait_point(&c->seq, seq, deadline));
  leave(c);
  relock(m);
  return r;
}

void cond_signal(Cond* c) {
  c->seq.fetch_add(1, std::memory_order_seq_cst);
  if (c->waiters.load(std::memory_order_seq_cst) > 0) futex::wake(&c->seq, 1);
}

void cond_destroy(Cond* c) {
  uint32_t w = c->waiters.fetch_or(kDestroying, std::memory_order_acq_rel) | kDestroying;
  while (w != kDestroying) {
    futex::wait(&c->waiters, w, kNoDeadline);
    w = c->waiters.load(std::memory_order_acquire);
  }
}

void cond_broadcast(Cond* c) {
  c->seq.fetch_add(1, std::memory_order_seq_cst);
  if (c->waiters.load(std::memory_order_seq_cst) > 0) futex::wake(&c->seq, INT_MAX);
}

}  // namespace rt::sync
