#include "futex.h"

#include <cerrno>
#include <climits>
#include <ctime>
#include <linux/futex.h>

#include "../cancel.h"
#include "../fsig.h"
#include "../raw.h"
#include "../sched.h"

namespace rt::futex {

namespace {

struct alignas(64) Bucket {
  // The lock word is its holder's token (null when free), so that a signal
  // handler which interrupted the holder can tell, in one load, that
  // spinning would never end.
  std::atomic<const void*> holder{nullptr};
  // Set by such a handler: wake every fiber parked here once the bucket is
  // free again (futex waiters take spurious wakes; they re-check).
  std::atomic<uint32_t> deferred{0};
  WaitNode* head = nullptr;  // FIFO of parked fibers, protected by holder
  WaitNode* tail = nullptr;
  std::atomic<uint32_t> kernel_waiters{0};  // threads in futex(2) on an address here
};

constexpr unsigned kBucketBits = 10;
constinit Bucket g_buckets[1u << kBucketBits];
std::atomic<uint32_t> g_any_deferred{0};

// A per-thread token: the address of a thread-local byte.
thread_local char tl_token __attribute__((tls_model("initial-exec")));

Bucket& bucket_of(const void* addr) {
  uint64_t a = reinterpret_cast<uintptr_t>(addr) >> 2;
  return g_buckets[(a * 0x9E3779B97F4A7C15ull) >> (64 - kBucketBits)];
}

void wake_bucket(Bucket& b);

class Hold {
 public:
  explicit Hold(Bucket& b) : b_(b) {
    for (;;) {
      const void* none = nullptr;
      if (b_.holder.compare_exchange_weak(none, &tl_token, std::memory_order_acquire, std::memory_order_relaxed))
        return;
      while (b_.holder.load(std::memory_order_relaxed)) __builtin_ia32_pause();
    }
  }
  ~Hold() {
    b_.holder.store(nullptr, std::memory_order_release);
    if (b_.deferred.load(std::memory_order_acquire)) wake_bucket(b_);
  }
  Hold(const Hold&) = delete;
  Hold& operator=(const Hold&) = delete;

 private:
  Bucket& b_;
};

bool held_by_this_thread(const Bucket& b) { return b.holder.load(std::memory_order_relaxed) == &tl_token; }

void unlink(Bucket& b, WaitNode* n) {
  if (n->prev) n->prev->next = n->next;
  else b.head = n->next;
  if (n->next) n->next->prev = n->prev;
  else b.tail = n->prev;
  n->next = n->prev = nullptr;
}

// Wakes every fiber parked in b (the deferred wakes of signal handlers).
void wake_bucket(Bucket& b) {
  if (!b.deferred.exchange(0, std::memory_order_acq_rel)) return;
  Hold h(b);
  while (WaitNode* w = b.head) {
    unlink(b, w);
    w->woken.store(1, std::memory_order_release);
    unpark(w->fiber);
  }
}

int wait_fiber(std::atomic<uint32_t>* addr, uint32_t expected, int64_t deadline, bool point) {
  Fiber* self = current();
  cancel::Point at(point);
  WaitNode& n = self->wait;
  Bucket& b = bucket_of(addr);
  {
    Hold h(b);
    if (addr->load(std::memory_order_relaxed) != expected) return -EAGAIN;
    n.key = addr;
    n.fiber = self;
    n.woken.store(0, std::memory_order_relaxed);
    n.next = nullptr;
    n.prev = b.tail;
    if (b.tail) b.tail->next = &n;
    else b.head = &n;
    b.tail = &n;
  }
  for (;;) {
    // Checked before each park too: a cancellation requested before the
    // point was marked did not unpark us.
    bool cancelled = point && cancel::interrupted();
    bool in_time = cancelled || (deadline == kNoDeadline ? (park(), true) : park_until(deadline));
    if (n.woken.load(std::memory_order_acquire)) {
      // The waker unparks us while it holds the bucket lock; taking the lock
      // once means it is done with our node before we reuse it.
      { Hold h(b); }
      return 0;
    }
    cancelled = cancelled || (point && cancel::interrupted());
    // A signal for this fiber: the wait returns as a spurious wake and the
    // handler runs as it leaves the runtime (then its caller waits again).
    bool signalled = !cancelled && in_time && fsig::deliverable(carrier()->current);
    if (!in_time || cancelled || signalled) {
      Hold h(b);
      if (n.woken.load(std::memory_order_relaxed)) return 0;
      unlink(b, &n);
      return cancelled ? int(cancel::kInterrupted) : signalled ? 0 : -ETIMEDOUT;
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
  long r = raw::sys(SYS_futex, addr, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, expected, tsp, nullptr,
                    FUTEX_BITSET_MATCH_ANY);
  b.kernel_waiters.fetch_sub(1, std::memory_order_relaxed);
  if (r == -EAGAIN || r == -ETIMEDOUT) return int(r);
  return 0;  // woken, or EINTR: a spurious wake for our callers
}

}  // namespace

namespace {

// Only a fiber outside the runtime parks. Runtime code (guard held) and
// signal handlers that interrupted it sleep in the kernel instead: they may
// be in the middle of scheduler state that a switch would expose.
int wait_as(std::atomic<uint32_t>* addr, uint32_t expected, int64_t deadline, bool cancel_point) {
  if (!fiber_context()) return wait_kernel(addr, expected, deadline);
  Fiber* self = current();
  int r;
  {
    Guard g(carrier());
    self->sig_defer = 1;
    r = wait_fiber(addr, expected, deadline, cancel_point);
    self->sig_defer = 0;
  }
  fsig::deliver_outside(self);  // signals that came while it was in the runtime
  return r;
}

}  // namespace

int wait(std::atomic<uint32_t>* addr, uint32_t expected, int64_t deadline) {
  return wait_as(addr, expected, deadline, false);
}

int wait_point(std::atomic<uint32_t>* addr, uint32_t expected, int64_t deadline) {
  return wait_as(addr, expected, deadline, true);
}

int wake(std::atomic<uint32_t>* addr, int n) {
  Bucket& b = bucket_of(addr);
  if (held_by_this_thread(b)) {
    // A signal handler (sem_post is async-signal-safe) that interrupted
    // this very thread inside the bucket: spinning would never end. Threads
    // in the kernel are woken now; fibers when the bucket is free again.
    b.deferred.store(1, std::memory_order_release);
    g_any_deferred.store(1, std::memory_order_release);
    if (b.kernel_waiters.load(std::memory_order_relaxed) > 0)
      raw::sys(SYS_futex, addr, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, n);
    kick_carrier();
    return n;
  }
  int woken = 0;
  {
    // Always under the lock: an unlocked peek at head could miss a fiber
    // that checked the word just before our caller changed it.
    Hold h(b);
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
    if (r > 0) woken += int(r);
  }
  return woken;
}

int fiber_waiters(const void* addr) {
  Bucket& b = bucket_of(addr);
  Hold h(b);
  int k = 0;
  for (WaitNode* w = b.head; w; w = w->next) k += w->key == addr;
  return k;
}

void run_deferred() {
  if (!g_any_deferred.load(std::memory_order_acquire) || !g_any_deferred.exchange(0)) return;
  for (auto& b : g_buckets)
    if (b.deferred.load(std::memory_order_relaxed)) wake_bucket(b);
}

void reset_after_fork() {
  for (auto& b : g_buckets) {
    b.holder.store(nullptr);
    b.deferred.store(0);
    b.head = b.tail = nullptr;
    b.kernel_waiters.store(0);
  }
  g_any_deferred.store(0);
}

}  // namespace rt::futex
