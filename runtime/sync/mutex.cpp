#include "mutex.h"

#include <cerrno>

#include "../raw.h"
#include "../sched.h"
#include "futex.h"

namespace rt::sync {

namespace {

thread_local uint32_t tl_tid __attribute__((tls_model("initial-exec"))) = 0;

int kind_of(const Mutex* m) { return m->kind & 3; }

// Contended path: mark the word 2 and sleep until we are the one who swaps
// a 0 out of it.
int lock_slow(Mutex* m, int64_t deadline) {
  uint32_t c = m->word.exchange(2, std::memory_order_acquire);
  while (c != 0) {
    int r = futex::wait(&m->word, 2, deadline);
    if (r == -ETIMEDOUT) return ETIMEDOUT;
    c = m->word.exchange(2, std::memory_order_acquire);
  }
  return 0;
}

}  // namespace

uint32_t self_id() {
  if (Fiber* f = current()) return f->id;
  if (!tl_tid) tl_tid = uint32_t(raw::gettid());
  return tl_tid;
}

int lock(Mutex* m, int64_t deadline) {
  uint32_t me = self_id();
  int kind = kind_of(m);
  if (kind == kRecursive || kind == kErrorCheck) {
    if (m->owner.load(std::memory_order_relaxed) == me) {
      if (kind == kErrorCheck) return EDEADLK;
      if (m->count + 1 == 0) return EAGAIN;
      ++m->count;
      return 0;
    }
  }
  uint32_t c = 0;
  if (!m->word.compare_exchange_strong(c, 1, std::memory_order_acquire, std::memory_order_relaxed)) {
    if (int r = lock_slow(m, deadline)) return r;
  }
  m->owner.store(me, std::memory_order_relaxed);
  m->count = 0;
  return 0;
}

int trylock(Mutex* m) {
  uint32_t me = self_id();
  if (kind_of(m) == kRecursive && m->owner.load(std::memory_order_relaxed) == me) {
    if (m->count + 1 == 0) return EAGAIN;
    ++m->count;
    return 0;
  }
  uint32_t c = 0;
  if (!m->word.compare_exchange_strong(c, 1, std::memory_order_acquire, std::memory_order_relaxed))
    return EBUSY;
  m->owner.store(me, std::memory_order_relaxed);
  m->count = 0;
  return 0;
}

int unlock(Mutex* m) {
  int kind = kind_of(m);
  if (kind == kRecursive || kind == kErrorCheck) {
    if (m->owner.load(std::memory_order_relaxed) != self_id()) return EPERM;
    if (kind == kRecursive && m->count > 0) {
      --m->count;
      return 0;
    }
  }
  m->owner.store(0, std::memory_order_relaxed);
  if (m->word.exchange(0, std::memory_order_release) == 2) futex::wake(&m->word, 1);
  return 0;
}

uint32_t release_all(Mutex* m) {
  uint32_t saved = m->count;
  m->count = 0;
  m->owner.store(0, std::memory_order_relaxed);
  if (m->word.exchange(0, std::memory_order_release) == 2) futex::wake(&m->word, 1);
  return saved;
}

void reacquire(Mutex* m, uint32_t saved_count) {
  // Taken as contended: other waiters may sleep on it, and the unlock that
  // follows must wake them.
  while (m->word.exchange(2, std::memory_order_acquire) != 0) futex::wait(&m->word, 2, kNoDeadline);
  m->owner.store(self_id(), std::memory_order_relaxed);
  m->count = saved_count;
}

}  // namespace rt::sync
