// A fiber: what a pthread becomes under ringlet.
//
// The Fiber record sits at the top of its own stack mapping (as glibc puts
// struct pthread at the top of a thread's stack), so one pooled mapping holds
// both and creating a fiber allocates nothing else.
#pragma once

#include <atomic>
#include <cstdint>

#include "stack.h"
#include "timer.h"

namespace rt {

struct Carrier;
struct Fiber;

// Fiber::state. Transitions: Running -> Parked (park), Parked -> Runnable
// (unpark, which then queues it), Running -> Notified (an unpark that arrived
// before the park; the park then returns at once), Runnable -> Running (a
// carrier switches to it), Running -> Dead (exit).
enum FiberState : uint32_t { kRunning, kParked, kRunnable, kNotified, kDead };

enum FiberFlag : uint32_t {
  kFiberRoot = 1,      // a thread's own context adopted as a fiber (main())
  kFiberDetached = 2,
  kFiberUserStack = 4,  // stack given by the program: never pooled
};

// A parking-lot entry (sync/futex): a fiber waits on at most one address.
struct WaitNode {
  WaitNode* next = nullptr;
  WaitNode* prev = nullptr;
  const void* key = nullptr;
  Fiber* fiber = nullptr;
  std::atomic<uint32_t> woken{0};
};

struct Fiber {
  uintptr_t magic;  // this ^ kFiberMagic: tells a fiber handle from anything else
  void* sp;         // saved stack pointer while not running
  Fiber* next;      // link in a run queue or an inbox (protected by that queue)
  Carrier* home;    // carrier whose queue receives it when unparked
  std::atomic<uint32_t> state;
  uint32_t id;
  uint32_t flags;
  int saved_errno;  // with shared TLS, errno is saved and restored at every switch

  Timer timer;       // deadline of the current park (owner carrier's heap)
  bool timer_fired;  // set when that deadline passed
  WaitNode wait;

  void* (*start)(void*);
  void* arg;
  void* retval;
  std::atomic<uint32_t> exited;  // futex word for joiners: 0 alive, 1 gone
  std::atomic<uint32_t> refs;    // the running fiber + its joinable handle
  std::atomic<uint32_t> joining; // a joiner has claimed it

  // Cancellation (runtime/cancel.h). `cancel_pending` is set by any thread;
  // the rest belong to the fiber.
  std::atomic<uint8_t> cancel_pending;
  uint8_t cancel_off;    // PTHREAD_CANCEL_DISABLE
  uint8_t cancel_async;  // PTHREAD_CANCEL_ASYNCHRONOUS
  uint8_t cancelling;    // acting on it: no second time
  std::atomic<uint8_t> at_point;  // parked in a wait that a cancellation ends
  void* cleanup;         // innermost pthread_cleanup_push buffer (C, setjmp)

  // Signals (runtime/fsig.h): the fiber's mask, and what pthread_kill sent
  // it that it has not run yet (set by any thread).
  uint64_t sig_mask;
  std::atomic<uint64_t> sig_pending;
  // In a wait that a signal handler ends (EINTR or a restart, decided by
  // the router after the handler ran): pending signals are not run at the
  // switch back but where the wait returns, outside the runtime.
  std::atomic<uint8_t> sig_point;
  bool sig_suspended;      // in sigsuspend: sig_saved is the mask to restore
  uint8_t sig_defer;       // in a futex wait: a signal ends it (spuriously) and runs outside
  uint64_t sig_saved;
  uint64_t sig_waiting;    // the set it waits for in sigtimedwait
  Fiber* sig_prev;  // the carrier's list of its fibers, for routing
  Fiber* sig_next;  // process-directed signals (fsig)

  int64_t cpu_ns;  // CPU time charged to it (runtime/cpuclock.h)
  bool has_clock;  // its clock id was handed out
  std::atomic<uint32_t> foreign_held;  // glibc-owned locks it holds (sync/foreign.h)

  Stack stack;
  void* tp;    // thread pointer (FS base): its own TLS block, or the carrier's
  void* keys;  // keys::Store*, created on first pthread_setspecific
  char name[16];
};

constexpr uintptr_t kFiberMagic = 0x52494e474c455446ull;  // "RINGLETF"

inline bool is_fiber(const void* p) {
  return p && *static_cast<const uintptr_t*>(p) == (reinterpret_cast<uintptr_t>(p) ^ kFiberMagic);
}

// Identity of the caller for mutex ownership: a fiber's id in fiber context,
// else the kernel thread id. Fiber ids never collide with thread ids.
constexpr uint32_t kFiberIdBase = 0x40000000u;

}  // namespace rt
