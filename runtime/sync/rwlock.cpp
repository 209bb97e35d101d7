#include "rwlock.h"

#include <cerrno>
#include <climits>

#include "../sched.h"
#include "futex.h"
#include "mutex.h"

namespace rt::sync {

namespace {

constexpr uint32_t kWriter = 1u << 31;
constexpr uint32_t kReaders = kWriter - 1;

bool reader_blocked(const RwLock* l, uint32_t s, int kind) {
  return (s & kWriter) || (kind == kPreferWriterNonrecursive && l->writers.load(std::memory_order_seq_cst) > 0);
}

// Sleeps until the lock may have changed, unless `blocked` no longer holds
// once we are counted as a sleeper (a release in between then sees us).
template <typename Blocked>
int sleep_while(RwLock* l, Blocked blocked, int64_t deadline) {
  l->sleepers.fetch_add(1, std::memory_order_seq_cst);
  uint32_t v = l->seq.load(std::memory_order_seq_cst);
  int r = 0;
  if (blocked()) r = futex::wait(&l->seq, v, deadline);
  l->sleepers.fetch_sub(1, std::memory_order_seq_cst);
  return r == -ETIMEDOUT ? ETIMEDOUT : 0;
}

void wake_all(RwLock* l) {
  if (l->sleepers.load(std::memory_order_seq_cst) == 0) return;
  l->seq.fetch_add(1, std::memory_order_seq_cst);
  futex::wake(&l->seq, INT_MAX);
}

}  // namespace

int rw_tryrdlock(RwLock* l, int kind) {
  uint32_t s = l->state.load(std::memory_order_relaxed);
  while (!reader_blocked(l, s, kind)) {
    if ((s & kReaders) == kReaders) return EAGAIN;
    if (l->state.compare_exchange_weak(s, s + 1, std::memory_order_acquire, std::memory_order_relaxed))
      return 0;
  }
  return EBUSY;
}

int rw_rdlock(RwLock* l, int kind, int64_t deadline) {
  if ((l->state.load(std::memory_order_relaxed) & kWriter) &&
      l->owner.load(std::memory_order_relaxed) == self_id())
    return EDEADLK;
  for (;;) {
    int r = rw_tryrdlock(l, kind);
    if (r != EBUSY) return r;
    r = sleep_while(l, [&] { return reader_blocked(l, l->state.load(std::memory_order_seq_cst), kind); },
                    deadline);
    if (r) return r;
  }
}

int rw_trywrlock(RwLock* l) {
  uint32_t expect = 0;
  if (!l->state.compare_exchange_strong(expect, kWriter, std::memory_order_acquire, std::memory_order_relaxed))
    return EBUSY;
  l->owner.store(self_id(), std::memory_order_relaxed);
  return 0;
}

int rw_wrlock(RwLock* l, int64_t deadline) {
  uint32_t me = self_id();
  if ((l->state.load(std::memory_order_relaxed) & kWriter) && l->owner.load(std::memory_order_relaxed) == me)
    return EDEADLK;
  if (rw_trywrlock(l) == 0) return 0;
  l->writers.fetch_add(1, std::memory_order_seq_cst);
  for (;;) {
    if (rw_trywrlock(l) == 0) break;
    if (sleep_while(l, [&] { return l->state.load(std::memory_order_seq_cst) != 0; }, deadline) == ETIMEDOUT) {
      // Readers held back for us may go now.
      if (l->writers.fetch_sub(1, std::memory_order_seq_cst) == 1) wake_all(l);
      return ETIMEDOUT;
    }
  }
  l->writers.fetch_sub(1, std::memory_order_seq_cst);
  return 0;
}

int rw_unlock(RwLock* l) {
  uint32_t s = l->state.load(std::memory_order_relaxed);
  if (s & kWriter) {
    l->owner.store(0, std::memory_order_relaxed);
    l->state.store(0, std::memory_order_seq_cst);
  } else if (s & kReaders) {
    if (((l->state.fetch_sub(1, std::memory_order_seq_cst) - 1) & kReaders) != 0) return 0;  // readers remain
  } else {
    return EPERM;
  }
  wake_all(l);
  return 0;
}

}  // namespace rt::sync
