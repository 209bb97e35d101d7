#include "sem.h"

#include <cerrno>
#include <linux/futex.h>

#include "../sched.h"
#include "../cancel.h"
#include "foreign.h"
#include "futex.h"

namespace rt::sync {

namespace {

constexpr uint64_t kWaiter = 1ull << 32;

// The futex is the value half (little-endian: the low 32 bits come first).
std::atomic<uint32_t>* value_word(Sem* s) { return reinterpret_cast<std::atomic<uint32_t>*>(&s->data); }

bool take(Sem* s, uint64_t& d, uint64_t minus) {
  return s->data.compare_exchange_weak(d, d - 1 - minus, std::memory_order_acquire, std::memory_order_relaxed);
}

}  // namespace

void sem_setup(Sem* s, uint32_t value) {
  s->data.store(value, std::memory_order_relaxed);
  s->priv = kSemPrivate;
  s->pad = 0;
}

int sem_trywait(Sem* s) {
  uint64_t d = s->data.load(std::memory_order_relaxed);
  while (uint32_t(d) > 0)
    if (take(s, d, 0)) return 0;
  return EAGAIN;
}

int sem_wait(Sem* s, int64_t deadline) {
  if (sem_trywait(s) == 0) return 0;
  uint64_t d = s->data.fetch_add(kWaiter, std::memory_order_relaxed) + kWaiter;
  for (;;) {
    // Take a token and drop our waiter count in one step.
    while (uint32_t(d) > 0)
      if (take(s, d, kWaiter)) return 0;
    int w;
    if (s->priv == kSemPrivate) {
      w = futex::wait_point(value_word(s), 0, deadline);
    } else {
      // Process-shared: posts from other processes wake only the kernel's
      // futex queue (shared). A cancellation is seen within one wait_word
      // slice (20 ms).
      cancel::Point at;
      foreign::wait_word(value_word(s), 0, true, deadline);
      w = now_ns() >= deadline ? -ETIMEDOUT : cancel::interrupted() ? int(cancel::kInterrupted) : 0;
    }
    if (w == -ETIMEDOUT || w == int(cancel::kInterrupted)) {
      // One more try: a post may have raced the deadline.
      d = s->data.load(std::memory_order_relaxed);
      while (uint32_t(d) > 0)
        if (take(s, d, kWaiter)) return 0;
      s->data.fetch_sub(kWaiter, std::memory_order_relaxed);
      return w == -ETIMEDOUT ? ETIMEDOUT : w;
    }
    d = s->data.load(std::memory_order_relaxed);
  }
}

int sem_post(Sem* s) {
  uint64_t d = s->data.load(std::memory_order_relaxed);
  do {
    if (uint32_t(d) == kSemValueMax) return EOVERFLOW;
  } while (!s->data.compare_exchange_weak(d, d + 1, std::memory_order_seq_cst, std::memory_order_relaxed));
  if (d >> 32) futex::wake(value_word(s), 1);
  return 0;
}

uint32_t sem_value(const Sem* s) { return uint32_t(s->data.load(std::memory_order_relaxed)); }

}  // namespace rt::sync
