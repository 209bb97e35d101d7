// Signals addressed to one fiber: pthread_kill to a fiber and the fiber's
// own signal mask (pthread_sigmask).
//
// A fiber's mask is its own; the carrier's real mask follows the running
// fiber (one rt_sigprocmask at a switch between fibers whose masks differ,
// none when they agree, as they do unless the program makes them differ),
// so a process-directed signal is taken by the running fiber only if that
// fiber does not block it. A signal sent to a fiber with pthread_kill is
// pending on that fiber until it does not block it, and its handler then
// runs in that fiber: at once if it is the sender, else when the fiber next
// runs (a parked fiber is woken for it, runs the handler, and goes back to
// its wait, as with SA_RESTART; EINTR is later work). Handlers see the mask
// a kernel would give them (sa_mask, the signal itself unless SA_NODEFER)
// and a siginfo_t with SI_TKILL. Default actions: ignored ones are
// discarded, the others (terminate, core, stop) act on the process through
// the carrier, as they would.
#pragma once

#include <cstdint>

#include "fiber.h"

namespace rt::fsig {

// The mask the calling thread has now (kernel layout, 64 bits). T.
uint64_t thread_mask();

// pthread_kill(f, sig) for a fiber: 0, EINVAL or ESRCH. F or T.
int kill(Fiber* f, int sig);
// pthread_sigmask for the calling fiber (how: SIG_BLOCK...; set/old in the
// kernel's 64-bit layout, either may be null): 0 or EINVAL. F.
int set_mask(int how, const uint64_t* set, uint64_t* old);
// The calling fiber's pending signals (sigpending adds them). F.
uint64_t pending();

// Runs the handlers of the fiber's pending signals that it does not block.
// Called by the scheduler when `self` runs again. C (in fiber `self`).
void deliver(Fiber* self);
inline void deliver_if_pending(Fiber* self) {
  if (self->sig_pending.load(std::memory_order_relaxed) & ~self->sig_mask) deliver(self);
}

// Makes the carrier's real mask the one of the fiber about to run. C.
void switch_mask(uint64_t* carrier_mask, const Fiber* next);

// A fiber with `mask` joins (+1) or leaves (-1) carrier c. C.
void count(Carrier* c, uint64_t mask, int delta);
// The mask while c sleeps in the kernel: only the signals all its fibers
// block, so that a process-directed signal some fiber accepts is taken at
// once (it runs on the fiber that went to sleep). C.
uint64_t sleep_mask(const Carrier* c);

}  // namespace rt::fsig
