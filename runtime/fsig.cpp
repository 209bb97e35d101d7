#include "fsig.h"

#include <csignal>
#include <cstring>
#include <ucontext.h>
#include <unistd.h>

#include "raw.h"
#include "sched.h"

namespace rt::fsig {

namespace {

constexpr int kSigCancel = 32, kSigSetxid = 33;  // glibc's own: never blocked
constexpr uint64_t bit(int sig) { return uint64_t(1) << (sig - 1); }
constexpr uint64_t kUnblockable = bit(SIGKILL) | bit(SIGSTOP) | bit(kSigCancel) | bit(kSigSetxid);

bool ignored_by_default(int sig) {
  return sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT;
}

void run_one(Fiber* self, int sig) {
  raw::KSigaction sa = raw::sigaction_of(sig);
  if (sa.handler == SIG_IGN) return;
  if (sa.handler == SIG_DFL) {
    if (ignored_by_default(sig)) return;
    // Terminate, dump core or stop: the process's fate, as natively.
    raw::sys(SYS_tgkill, getpid(), raw::gettid(), sig);
    return;
  }
  uint64_t saved = self->sig_mask;
  self->sig_mask |= sa.mask | ((sa.flags & SA_NODEFER) ? 0 : bit(sig));
  self->sig_mask &= ~kUnblockable;
  if (sa.flags & SA_RESETHAND) {
    raw::KSigaction dfl{};
    raw::sys(SYS_rt_sigaction, sig, &dfl, nullptr, 8);
  }
  if (sa.flags & SA_SIGINFO) {
    siginfo_t info;
    memset(&info, 0, sizeof info);
    info.si_signo = sig;
    info.si_code = SI_TKILL;
    info.si_pid = getpid();
    info.si_uid = getuid();
    ucontext_t uc;
    getcontext(&uc);
    reinterpret_cast<void (*)(int, siginfo_t*, void*)>(sa.handler)(sig, &info, &uc);
  } else {
    reinterpret_cast<void (*)(int)>(sa.handler)(sig);
  }
  self->sig_mask = saved;
}

}  // namespace

uint64_t thread_mask() {
  uint64_t m = 0;
  raw::sys(SYS_rt_sigprocmask, SIG_BLOCK, nullptr, &m, 8);
  return m;
}

int kill(Fiber* f, int sig) {
  if (sig < 0 || sig > 64 || sig == kSigCancel || sig == kSigSetxid) return EINVAL;
  // An exited thread not joined yet: glibc (2.34+) answers 0 and sends
  // nothing.
  if (sig == 0 || f->exited.load(std::memory_order_acquire)) return 0;
  f->sig_pending.fetch_or(bit(sig), std::memory_order_acq_rel);
  if (f == current()) {
    if (fiber_context()) deliver_if_pending(f);
  } else if (!(f->sig_mask & bit(sig))) {
    unpark(f);  // a parked fiber runs the handler, then waits again
  }
  return 0;
}

int set_mask(int how, const uint64_t* set, uint64_t* old) {
  Fiber* self = current();
  if (old) *old = self->sig_mask;
  if (!set) return 0;
  uint64_t m = self->sig_mask;
  switch (how) {
    case SIG_BLOCK: m |= *set; break;
    case SIG_UNBLOCK: m &= ~*set; break;
    case SIG_SETMASK: m = *set; break;
    default: return EINVAL;
  }
  Carrier* c = carrier();
  count(c, self->sig_mask, -1);
  self->sig_mask = m & ~kUnblockable;
  count(c, self->sig_mask, +1);
  switch_mask(&c->sig_mask, self);
  // Pending signals it now lets through run before the call returns, as
  // the kernel delivers them.
  if (fiber_context()) deliver_if_pending(self);
  return 0;
}

uint64_t pending() { return current()->sig_pending.load(std::memory_order_relaxed); }

void deliver(Fiber* self) {
  for (;;) {
    uint64_t ready = self->sig_pending.load(std::memory_order_acquire) & ~self->sig_mask;
    if (!ready) return;
    int sig = __builtin_ctzll(ready) + 1;
    self->sig_pending.fetch_and(~bit(sig), std::memory_order_acq_rel);
    run_one(self, sig);
  }
}

void count(Carrier* c, uint64_t mask, int delta) {
  c->fibers += uint32_t(delta);
  for (; mask; mask &= mask - 1) c->blocking[__builtin_ctzll(mask)] += uint32_t(delta);
}

uint64_t sleep_mask(const Carrier* c) {
  uint64_t m = 0;
  for (int i = 0; i < 64; ++i)
    if (c->blocking[i] == c->fibers && c->fibers) m |= uint64_t(1) << i;
  return m;
}

void switch_mask(uint64_t* carrier_mask, const Fiber* next) {
  if (next->sig_mask == *carrier_mask) return;
  raw::sys(SYS_rt_sigprocmask, SIG_SETMASK, &next->sig_mask, nullptr, 8);
  *carrier_mask = next->sig_mask;
}

}  // namespace rt::fsig
