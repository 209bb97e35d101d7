// Signals and fibers: per-fiber masks, signals sent to one fiber
// (pthread_kill), and process-directed signals routed to the fiber the
// kernel would have chosen.
//
// Masks. A fiber's mask is its own; the carrier's real mask follows the
// running fiber (one rt_sigprocmask at a switch between fibers whose masks
// differ, none when they agree). While the carrier sleeps in io_uring_enter
// it blocks only the signals every one of its fibers blocks.
//
// Routing. ringlet installs one handler of its own (on_signal) in the
// kernel for every signal the program handles, and keeps the program's
// disposition in a table (sigaction reads and writes the table). When the
// kernel hands a signal to the carrier, on_signal picks the fiber a kernel
// would have picked among threads: the sender itself for a signal a fiber
// sent to its own thread (raise), else the main thread unless it blocks the
// signal, else the running fiber, else any fiber that does not block it. If
// that is the running fiber outside the runtime, the program's handler runs
// at once, as natively (same siginfo and ucontext). Otherwise the signal is
// left pending on that fiber, which is woken: a fiber parked in a blocking
// call (Fiber::sig_point) ends its wait, runs the handler outside the
// runtime, and the router then restarts the call (SA_RESTART, for the calls
// the kernel restarts) or returns EINTR, as signal(7) says. Waits that
// never return EINTR (mutexes, condition variables, join) run the handler
// when the fiber is switched back in and wait again.
//
// Synchronous faults (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS from
// the kernel) always run at once where they happened.
//
// Kept simple on purpose: one siginfo per signal number is remembered for a
// routed signal, so real-time signals routed to a parked fiber are merged
// as standard signals are (the kernel would queue them).
#pragma once

#include <csignal>
#include <cstdint>

#include "sched.h"

namespace rt::fsig {

constexpr uint64_t bit(int sig) { return uint64_t(1) << (sig - 1); }

// The program's disposition of a signal, as it gave it to sigaction.
struct Action {
  void* handler = nullptr;  // SIG_DFL (null), SIG_IGN, or a function
  uint64_t mask = 0;
  int flags = 0;
};

// Whether ringlet routes sig (1..64 except SIGKILL, SIGSTOP and glibc's
// own two). T.
bool routable(int sig);
// The table. T, S.
Action action(int sig);
void set_action(int sig, const Action& a);
// The handler ringlet installs in the kernel for a routed signal. S.
void on_signal(int sig, siginfo_t* info, void* uc);

// The mask the calling thread has now (kernel layout, 64 bits). T.
uint64_t thread_mask();

// pthread_kill(f, sig) for a fiber: 0, EINVAL or ESRCH. F or T.
int kill(Fiber* f, int sig);
// pthread_sigmask for the calling fiber (how: SIG_BLOCK...; set/old in the
// kernel's 64-bit layout, either may be null): 0 or EINVAL. F.
int set_mask(int how, const uint64_t* set, uint64_t* old);
// The calling fiber's pending signals (sigpending adds them). F.
uint64_t pending();

// Signals pending on f that would end its current wait: those it does not
// block, and those it waits for in sigtimedwait. T.
inline bool deliverable(const Fiber* f) {
  return f->sig_pending.load(std::memory_order_acquire) & (~f->sig_mask | f->sig_waiting);
}

// What deliver() ran: a handler with SA_RESTART, one without.
constexpr int kRanRestart = 1, kRanInterrupt = 2;
// Runs the handlers of the fiber's pending signals that it does not block.
// F (also C, from the scheduler, for waits that are not sig_point).
int deliver(Fiber* self);
// The same, with the signals `mask` does not block (sigsuspend's). F.
int deliver_with(Fiber* self, uint64_t mask);
inline void deliver_if_pending(Fiber* self) {
  if (self->sig_pending.load(std::memory_order_relaxed) & ~self->sig_mask) deliver(self);
}

// After a call's wait ended with cancel::kInterrupted, outside the
// runtime: acts on a due cancellation if the call is a cancellation point,
// else runs the handlers (then restores a sigsuspend mask) and says whether
// the call fails with EINTR (true) or starts again (false: every handler
// had SA_RESTART and the call is one the kernel restarts, or none ran). F.
bool ends_call(bool cancel_point, bool restartable);

// On leaving the runtime: signals that came meanwhile run now, unless the
// call's own wait hands them to the router (sig_point). F.
inline void deliver_outside(Fiber* f) {
  if (!f->sig_point.load(std::memory_order_relaxed)) deliver_if_pending(f);
}
// When a parked fiber runs again: only for waits that neither end for a
// signal (sig_point) nor return to run it outside the runtime (sig_defer);
// those handlers run inside the runtime. C.
inline void deliver_at_switch(Fiber* f) {
  if (!f->sig_defer) deliver_outside(f);
}

// Marks a blocking call that a signal handler interrupts (see above), or,
// with false, one it must not (regular-file I/O). C.
using Point = MarkScope<&Fiber::sig_point, false>;

// rt_sigsuspend's temporary mask: begin sets it (the old one is kept on
// the fiber), end restores it after the handlers ran. C / F.
void begin_suspend(const uint64_t* mask);
void end_suspend();

// sigtimedwait's side: takes a signal in `set` pending on the calling fiber
// (pthread_kill, or routed here), filling info. The signal or 0. F.
int take(uint64_t set, siginfo_t* info);
// While the calling fiber waits for `set` (0: no longer). F.
void set_waiting(uint64_t set);

// Carrier::sig_mask while the thread's real mask is not known (a handler
// runs, or left by siglongjmp): no fiber's mask has SIGKILL's bit, so the
// next switch always sets it.
constexpr uint64_t kUnknownMask = ~uint64_t(0);

// Makes the carrier's real mask the one of the fiber about to run (plus
// the signals fibers wait for in sigtimedwait). C.
void switch_mask(Carrier* c, const Fiber* next);

// Fiber f joins carrier c (created, adopted) or leaves it (exits). C.
void join(Carrier* c, Fiber* f);
void leave(Carrier* c, Fiber* f);
// The fiber that is the process's main thread (null once it has exited).
void set_main(Fiber* f);
// The mask while c sleeps in the kernel: only the signals all its fibers
// block, so that a process-directed signal some fiber accepts is taken at
// once. C.
uint64_t sleep_mask(const Carrier* c);

}  // namespace rt::fsig
