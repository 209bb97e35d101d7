// The scheduler: carriers, fibers, park/unpark. See the design comment at the
// top of sched.cpp.
//
// Where each function may be called from (STYLE §9):
//   F  = a fiber, in fiber context (fiber_context() true)
//   C  = runtime code on a carrier (guard held), including F
//   T  = any thread, managed or not
//   S  = a signal handler
#pragma once

#include <cstddef>
#include <cstdint>

#include "fiber.h"
#include "ring.h"
#include "runq.h"
#include "timer.h"

namespace rt {

constexpr int64_t kNoDeadline = INT64_MAX;

struct Carrier {
  Fiber* current = nullptr;  // the fiber running here (owner-only)
  Fiber* root = nullptr;     // the thread's own context, adopted as a fiber
  // >0 while runtime code runs on this carrier. Every context switch happens
  // inside the runtime, so the count is 1 at each switch and each fiber
  // leaves the runtime by decrementing it: it reads as "the fiber now
  // running is inside ringlet", and interposed calls made then (from the
  // runtime itself, or from a signal handler that interrupted it) pass
  // straight through. Owner-only.
  int guard = 0;
  RunQueue runq;             // owner-only
  Inbox inbox;               // any thread pushes; owner drains
  TimerHeap timers;          // owner-only
  Ring ring;                 // owner-only
  std::atomic<bool> sleeping{false};  // owner sets before it waits in the kernel
  uint32_t pass_left = 0;    // fibers left in the current pass before polling
  Fiber* dying = nullptr;    // exited fiber, finalized after the next switch
  int wake_fd = -1;          // eventfd: other threads wake a sleeping carrier
  uint64_t wake_buf = 0;
  Completion wake_done{};
  uint64_t switches = 0, polls = 0;
  uint64_t sig_mask = 0;     // the thread's real signal mask (owner-only), or
                             // fsig::kUnknownMask while a handler may change it
  // How many of its live fibers block each signal (fsig): a signal every
  // one blocks stays blocked while the carrier sleeps; the others do not.
  uint32_t fibers = 0;
  uint32_t blocking[64] = {};
  uint64_t waited = 0;       // signals its fibers wait for in sigtimedwait (kept blocked)
  uint32_t waiting[64] = {}; // how many wait for each
  Fiber* all = nullptr;      // its live fibers (fsig::join/leave)
  std::atomic<bool> all_busy{false};  // the list is being changed
  int64_t cpu_mark = 0;      // thread CPU time at the last switch (cpuclock)
};

// The carrier of the calling thread, or null.
extern thread_local Carrier* tl_carrier __attribute__((tls_model("initial-exec")));

inline Carrier* carrier() { return tl_carrier; }                       // T S
inline Fiber* current() { return tl_carrier ? tl_carrier->current : nullptr; }  // T S
// True when the caller may park: a fiber outside the runtime.
inline bool fiber_context() {                                        // T S
  Carrier* c = tl_carrier;
  return c && c->guard == 0;
}

// Marks runtime code on a carrier (see Carrier::guard).
class Guard {
 public:
  explicit Guard(Carrier* c) : c_(c) { ++c_->guard; }
  ~Guard() { --c_->guard; }
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;

 private:
  Carrier* c_;
};

// Sets one of the calling fiber's wait marks (Fiber::at_point,
// Fiber::sig_point) for a scope. Only a change is stored: the usual case,
// a mark already as wanted, costs no store at all. A mark read by other
// threads (at_point: pthread_cancel decides from it whether to wake) is
// stored sequentially consistent; one read only by this thread and its
// signal handlers needs only the compiler kept in order. C.
template <std::atomic<uint8_t> Fiber::*Mark, bool kCrossThread>
class MarkScope {
 public:
  explicit MarkScope(bool on = true) : f_(current()) {
    was_ = (f_->*Mark).load(std::memory_order_relaxed);
    if (was_ == on) return;
    if (kCrossThread) {
      (f_->*Mark).store(on, std::memory_order_seq_cst);
    } else {
      (f_->*Mark).store(on, std::memory_order_relaxed);
      std::atomic_signal_fence(std::memory_order_seq_cst);
    }
  }
  ~MarkScope() {
    if ((f_->*Mark).load(std::memory_order_relaxed) != was_) (f_->*Mark).store(was_, std::memory_order_relaxed);
  }
  MarkScope(const MarkScope&) = delete;
  MarkScope& operator=(const MarkScope&) = delete;

 private:
  Fiber* f_;
  uint8_t was_;
};

struct StartResult {
  int err = 0;             // -errno
  const char* why = "";    // words for the one-line message
};

// Makes the calling thread a carrier; its current context becomes the root
// fiber. T (not a carrier yet).
StartResult start_carrier();
// Undoes start_carrier: only the root fiber may remain. C (root fiber).
void stop_carrier();
// In the child of fork(): the calling fiber becomes the root of a fresh
// carrier; every other fiber is gone, as every other thread is. C.
StartResult restart_after_fork();
// When the last fiber exits the process exits with status 0, as it does when
// the last thread calls pthread_exit. Set by the preload, not by unit tests.
void exit_process_with_last_fiber(bool on);

struct SpawnAttr {
  size_t stack_size = 0;        // 0: configured default
  size_t guard_size = 0;        // 0: one page
  void* stack_addr = nullptr;   // program-provided stack (lowest address)
  size_t stack_addr_size = 0;
  bool detached = false;
};

// Creates a runnable fiber on the calling carrier. Returns 0 or -EAGAIN. C.
int spawn(void* (*fn)(void*), void* arg, const SpawnAttr& attr, Fiber** out);
// Waits for f to exit, then frees it. 0, -EDEADLK, -EINVAL. F or T.
int join(Fiber* f, void** retval);
// 0 or -EINVAL (already detached). F or T.
int detach(Fiber* f);
// Ends the calling fiber: pthread key destructors, then never returns. F.
[[noreturn]] void exit_current(void* retval);

// Runs the other runnable fibers, then this one again. C.
void yield();
// Waits until unparked. Spurious returns are possible: callers loop on their
// own condition. C.
void park();
// As park, with a deadline (CLOCK_MONOTONIC ns). Returns false if the
// deadline passed (the fiber's timer fired), true otherwise. C.
bool park_until(int64_t deadline);
// Parks for *step ns (or until the deadline, if sooner), then doubles
// *step up to cap: for waits nobody can wake, polled. C.
void park_backoff(int64_t* step, int64_t cap, int64_t deadline);
// Makes a parked fiber runnable, or makes its next park return at once.
// T (any thread, managed or not), S.
void unpark(Fiber* f);

// Fibers alive in this process (including roots).
uint32_t live_fibers();

// Makes a carrier run a scheduler pass soon (it may be asleep in the
// kernel): for work queued where no fiber is waiting for it. T, S.
void kick_carrier();

}  // namespace rt
