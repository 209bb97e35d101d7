#include "futex.h"

#include <cerrno>
#include <climits>
#include <ctime>
#include <linux/futex.h>

#include "../raw.h"
#include "../sched.h"
#include "../spin.h"

namespace rt::futex {

namespace {

struct alignas(64) Bucket {
  SpinLock lock;
  WaitNode* head = nullptr;  // FIFO of parked fibers, protected by lock
  WaitNode* tail = nullptr;
  std::atomic<uint32_t> kernel_waiters{0};  // threads in futex(2) on an address here
};

constexpr unsigned kBucketBits = 10;
constinit Bucket g_buckets[1u << kBucketBits];

Bucket& bucket_of(const void* addr) {
  uint64_t a = reinterpret_cast<uintptr_t>(addr) >> 2;
  return g_buckets[(a * 0x9E3779B97F4A7C15ull) >> (64 - kBucketBits)];
}

void unlink(Bucket& b, WaitNode* n) {
  if (n->prev) n->prev->next = n->next;
  else b.head = n->next;
  if (n->next) n->next->prev = n->prev;
  else b.tail = n->prev;
  n->next = n->prev = nullptr;
}

int wait_fiber(std::atomic<uint32_t>* addr, uint32_t expected, int64_t deadline) {
  Fiber* self = current();
  WaitNode& n = self->wait;
  Bucket& b = bucket_of(addr);
  b.lock.lock();
  if (addr->load(std::memory_order_relaxed) != expected) {
    b.lock.unlock();
    return -EAGAIN;
  }
  n.key = addr;
  n.fiber = self;
  n.woken.store(0, std::memory_order_relaxed);
  n.next = nullptr;
  n.prev = b.tail;
  if (b.tail) b.tail->next = &n;
  else b.head = &n;
  b.tail = &n;
  b.lock.unlock();
  for (;;) {
    bool in_time = deadline == kNoDeadline ? (park(), true) : park_until(deadline);
    if (n.woken.load(std::memory_order_acquire)) {
      // The waker unparks us while it holds the bucket lock; taking the lock
      // once means it is done with our node before we reuse it.
      b.lock.lock();
      b.lock.unlock();
      return 0;
    }
    if (!in_time) {
      SpinGuard g(b.lock);
      if (n.woken.load(std::memory_order_relaxed)) return 0;
      unlink(b, &n);
      return -ETIMEDOUT;
    }
  }
}

int wait_kernel(std::atomic<uint32_t>* addr, uint32_t expected, int64_t deadline) {
  Bucket& b = bucket_of(addr);
  b.kernel_waiters.fetch_add(1, std::memory_order_seq_cst);
  timespec ts, *tsp = nullptr;
  if (deadline != kNoDeadline) {
    ts.tv_sec = deadline / 1000000000;
    ts.tv_nsec = deadline % 1000000000;
    tsp = &ts;
  }
  // FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline.
  long r = raw::sys(SYS_futex, addr, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, expected, tsp,
                    nullptr, FUTEX_BITSET_MATCH_ANY);
  b.kernel_waiters.fetch_sub(1, std::memory_order_relaxed);
  if (r == -EAGAIN || r == -ETIMEDOUT) return (int)r;
  return 0;  // woken, or EINTR: a spurious wake for our callers
}

}  // namespace

int wait(std::atomic<uint32_t>* addr, uint32_t expected, int64_t deadline) {
  // Only a fiber outside the runtime parks. Runtime code (guard held) and
  // signal handlers that interrupted it sleep in the kernel instead: they
  // may be in the middle of scheduler state that a switch would expose.
  if (fiber_context()) {
    Guard g(carrier());
    return wait_fiber(addr, expected, deadline);
  }
  return wait_kernel(addr, expected, deadline);
}

int wake(std::atomic<uint32_t>* addr, int n) {
  Bucket& b = bucket_of(addr);
  int woken = 0;
  {
    // Always under the lock: an unlocked peek at head could miss a fiber
    // that checked the word just before our caller changed it.
    SpinGuard g(b.lock);
    WaitNode* w = b.head;
    while (w && woken < n) {
      WaitNode* next = w->next;
      if (w->key == addr) {
        unlink(b, w);
        Fiber* f = w->fiber;
        w->woken.store(1, std::memory_order_release);
        unpark(f);
        ++woken;
      }
      w = next;
    }
  }
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (woken < n && b.kernel_waiters.load(std::memory_order_relaxed) > 0) {
    long r = raw::sys(SYS_futex, addr, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, n - woken);
    if (r > 0) woken += (int)r;
  }
  return woken;
}

int fiber_waiters(const void* addr) {
  Bucket& b = bucket_of(addr);
  SpinGuard g(b.lock);
  int k = 0;
  for (WaitNode* w = b.head; w; w = w->next) k += w->key == addr;
  return k;
}

void reset_after_fork() {
  for (auto& b : g_buckets) {
    new (&b.lock) SpinLock();
    b.head = b.tail = nullptr;
    b.kernel_waiters.store(0);
  }
}

}  // namespace rt::futex
