#include "fsig.h"

#include <cerrno>
#include <cstring>
#include <ucontext.h>
#include <unistd.h>

#include "cancel.h"
#include "raw.h"
#include "sched.h"

namespace rt::fsig {

namespace {

constexpr int kSigCancel = 32, kSigSetxid = 33;  // glibc's own: never blocked
constexpr uint64_t kUnblockable = bit(SIGKILL) | bit(SIGSTOP) | bit(kSigCancel) | bit(kSigSetxid);

// The program's dispositions. Written by sigaction (any thread), read in
// signal context: each field is a relaxed atomic, the handler last.
struct Slot {
  std::atomic<void*> handler{nullptr};
  std::atomic<uint64_t> mask{0};
  std::atomic<int> flags{0};
};
Slot g_act[65];

// The siginfo of a signal routed to a fiber that runs it later, and the
// disposition it was delivered under (SA_RESETHAND has reset the table by
// then). `routed` is per signal number: set by on_signal, cleared when run.
struct Routed {
  siginfo_t info;
  Action act;
};
Routed g_routed[65];
std::atomic<uint64_t> g_routed_bits{0};

Fiber* g_main = nullptr;

bool ignored_by_default(int sig) {
  return sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT;
}

bool synchronous(int sig, const siginfo_t* info) {
  if (info->si_code <= 0) return false;  // sent by a process (kill, tgkill, sigqueue...)
  return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP || sig == SIGSYS;
}

void call(const Action& a, int sig, siginfo_t* info, void* uc) {
  if (a.flags & SA_SIGINFO)
    reinterpret_cast<void (*)(int, siginfo_t*, void*)>(a.handler)(sig, info, uc);
  else
    reinterpret_cast<void (*)(int)>(a.handler)(sig);
}

// The kernel's fate for a signal with no handler: terminate, dump core or
// stop act on the process through the carrier, as they would.
void default_action(int sig) {
  if (ignored_by_default(sig)) return;
  raw::sys(SYS_tgkill, getpid(), raw::gettid(), sig);
}

// The blocking counts behind sleep_mask.
void count(Carrier* c, uint64_t mask, int delta) {
  c->fibers += uint32_t(delta);
  for (; mask; mask &= mask - 1) c->blocking[__builtin_ctzll(mask)] += uint32_t(delta);
}

void set_fiber_mask(Carrier* c, Fiber* f, uint64_t m) {
  count(c, f->sig_mask, -1);
  f->sig_mask = m & ~kUnblockable;
  count(c, f->sig_mask, +1);
}

bool accepts(const Fiber* f, uint64_t b) {
  return f && f->state.load(std::memory_order_relaxed) != kDead && (!(f->sig_mask & b) || (f->sig_waiting & b));
}

Fiber* choose(Carrier* c, int sig, const siginfo_t* info) {
  uint64_t b = bit(sig);
  Fiber* cur = c->current;
  // raise(), or a raw tgkill to its own thread: the sender.
  if (info->si_code == SI_TKILL && info->si_pid == getpid() && accepts(cur, b)) return cur;
  if (accepts(g_main, b)) return g_main;
  if (accepts(cur, b)) return cur;
  if (c->all_busy.load(std::memory_order_relaxed)) return nullptr;
  std::atomic_signal_fence(std::memory_order_seq_cst);
  for (Fiber* f = c->all; f; f = f->sig_next)
    if (accepts(f, b)) return f;
  return nullptr;
}

// Runs one signal in fiber `self`, with the mask a kernel would give the
// handler. Returns the kRan* bit of what ran.
// What a signal pending on a fiber came with: the kernel's siginfo and the
// disposition it was delivered under if on_signal routed it, else (sent by
// pthread_kill) tgkill's siginfo and the disposition now. True if routed.
bool consume(int sig, siginfo_t* info, Action* a) {
  uint64_t rb = bit(sig);
  if (g_routed_bits.load(std::memory_order_acquire) & rb) {
    *a = g_routed[sig].act;
    *info = g_routed[sig].info;
    g_routed_bits.fetch_and(~rb, std::memory_order_acq_rel);
    return true;
  }
  *a = action(sig);
  memset(info, 0, sizeof *info);
  info->si_signo = sig;
  info->si_code = SI_TKILL;
  info->si_pid = getpid();
  info->si_uid = getuid();
  return false;
}

int run_one(Fiber* self, int sig) {
  Action a;
  siginfo_t info;
  if (!consume(sig, &info, &a)) {
    if (a.handler != SIG_DFL && a.handler != SIG_IGN && (a.flags & SA_RESETHAND)) {
      // As the kernel does on delivery: the handler only, flags and mask kept.
      set_action(sig, Action{nullptr, a.mask, a.flags});
      raw::KSigaction k = raw::sigaction_of(sig);
      k.handler = nullptr;
      raw::sys(SYS_rt_sigaction, sig, &k, nullptr, 8);
    }
  }
  if (a.handler == SIG_IGN) return 0;
  if (a.handler == SIG_DFL) {
    default_action(sig);
    return 0;
  }
  // The kernel's mask during the handler, on the thread only: ringlet's
  // record of the fiber's mask stays as it was, so that a handler leaving
  // by siglongjmp (which restores the thread's mask itself) leaves nothing
  // stale behind.
  Carrier* c = carrier();
  uint64_t saved = self->sig_mask;
  uint64_t during = (saved | a.mask | ((a.flags & SA_NODEFER) ? 0 : bit(sig))) & ~kUnblockable;
  raw::sys(SYS_rt_sigprocmask, SIG_SETMASK, &during, nullptr, 8);
  c->sig_mask = kUnknownMask;  // a switch inside the handler, or a jump out, sets it anew
  ucontext_t uc;
  getcontext(&uc);
  memcpy(&uc.uc_sigmask, &saved, sizeof saved);
  call(a, sig, &info, &uc);
  // A handler that returns gets the mask it interrupted back, whatever it
  // changed meanwhile (sigreturn does so natively).
  if (self->sig_mask != saved) set_fiber_mask(c, self, saved);
  c->sig_mask = kUnknownMask;
  switch_mask(c, self);
  return (a.flags & SA_RESTART) ? kRanRestart : kRanInterrupt;
}

}  // namespace

bool routable(int sig) {
  return sig >= 1 && sig <= 64 && sig != SIGKILL && sig != SIGSTOP && sig != kSigCancel && sig != kSigSetxid;
}

Action action(int sig) {
  Action a;
  a.handler = g_act[sig].handler.load(std::memory_order_acquire);
  a.mask = g_act[sig].mask.load(std::memory_order_relaxed);
  a.flags = g_act[sig].flags.load(std::memory_order_relaxed);
  return a;
}

void set_action(int sig, const Action& a) {
  g_act[sig].mask.store(a.mask, std::memory_order_relaxed);
  g_act[sig].flags.store(a.flags, std::memory_order_relaxed);
  g_act[sig].handler.store(a.handler, std::memory_order_release);
}

void on_signal(int sig, siginfo_t* info, void* uc) {
  int saved_errno = errno;
  Action a = action(sig);
  if (a.flags & SA_RESETHAND) set_action(sig, Action{nullptr, a.mask, a.flags});  // as the kernel reset its side
  Carrier* c = carrier();
  Fiber* t = (!c || !c->current || synchronous(sig, info)) ? nullptr : choose(c, sig, info);
  if (!t || (t == c->current && c->guard == 0)) {
    if (a.handler == SIG_DFL || a.handler == SIG_IGN) {
      // Changed between the kernel's delivery and now.
      if (a.handler == SIG_DFL) default_action(sig);
    } else {
      // The running fiber (or nobody to route to): at once, as natively.
      // The kernel set the handler's mask and sigreturn restores the
      // fiber's; ringlet's record of the fiber's mask is left alone, so a
      // handler that leaves by siglongjmp leaves nothing stale behind.
      uint64_t record = t ? t->sig_mask : 0, cached = c ? c->sig_mask : 0;
      if (t) c->sig_mask = kUnknownMask;  // the kernel's handler mask, until sigreturn
      errno = saved_errno;
      call(a, sig, info, uc);
      saved_errno = errno;
      // sigreturn restores the thread's mask; the fiber's record too, if
      // the handler changed it.
      if (t) {
        if (t->sig_mask != record) set_fiber_mask(c, t, record);
        c->sig_mask = cached;
      }
    }
    errno = saved_errno;
    return;
  }
  g_routed[sig].info = *info;
  g_routed[sig].act = a;
  g_routed_bits.fetch_or(bit(sig), std::memory_order_acq_rel);
  t->sig_pending.fetch_or(bit(sig), std::memory_order_acq_rel);
  unpark(t);
  errno = saved_errno;
}

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
  // An ignored signal that the fiber neither blocks nor waits for is
  // discarded when sent, as the kernel does.
  if (!(f->sig_mask & bit(sig)) && !(f->sig_waiting & bit(sig))) {
    Action a = action(sig);
    if (a.handler == SIG_IGN || (a.handler == SIG_DFL && ignored_by_default(sig))) return 0;
  }
  f->sig_pending.fetch_or(bit(sig), std::memory_order_acq_rel);
  if (f == current()) {
    if (fiber_context()) deliver_if_pending(f);
  } else if (accepts(f, bit(sig))) {
    unpark(f);  // a parked fiber runs the handler (and its call ends or restarts)
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
  set_fiber_mask(c, self, m);
  switch_mask(c, self);
  // Pending signals it now lets through run before the call returns, as
  // the kernel delivers them.
  if (fiber_context()) deliver_if_pending(self);
  return 0;
}

uint64_t pending() { return current()->sig_pending.load(std::memory_order_relaxed); }

int deliver(Fiber* self) { return deliver_with(self, self->sig_mask); }

int deliver_with(Fiber* self, uint64_t mask) {
  int ran = 0;
  for (;;) {
    uint64_t ready = self->sig_pending.load(std::memory_order_acquire) & ~mask;
    if (!ready) return ran;
    int sig = __builtin_ctzll(ready) + 1;
    self->sig_pending.fetch_and(~bit(sig), std::memory_order_acq_rel);
    ran |= run_one(self, sig);
  }
}

bool ends_call(bool cancel_point, bool restartable) {
  if (cancel_point && cancel::due()) {
    end_suspend();
    cancel::act();
  }
  // sigsuspend's mask lets the handlers through; the fiber's own is back
  // before they run, as the kernel restores it (so a handler leaving by
  // siglongjmp leaves it right).
  Fiber* self = current();
  uint64_t allow = self->sig_mask;
  end_suspend();
  int ran = deliver_with(self, allow);
  return (ran & kRanInterrupt) || ((ran & kRanRestart) && !restartable);
}

void begin_suspend(const uint64_t* mask) {
  Fiber* self = current();
  Carrier* c = carrier();
  if (!self->sig_suspended) {
    self->sig_saved = self->sig_mask;
    self->sig_suspended = true;
  }
  set_fiber_mask(c, self, *mask);
  switch_mask(c, self);
}

void end_suspend() {
  Fiber* self = current();
  if (!self->sig_suspended) return;
  self->sig_suspended = false;
  Carrier* c = carrier();
  set_fiber_mask(c, self, self->sig_saved);
  switch_mask(c, self);
}

int take(uint64_t set, siginfo_t* info) {
  Fiber* self = current();
  uint64_t got = self->sig_pending.load(std::memory_order_acquire) & set;
  if (!got) return 0;
  int sig = __builtin_ctzll(got) + 1;
  self->sig_pending.fetch_and(~bit(sig), std::memory_order_acq_rel);
  siginfo_t local;
  Action unused;
  consume(sig, info ? info : &local, &unused);
  return sig;
}

void set_waiting(uint64_t set) {
  Fiber* self = current();
  Carrier* c = carrier();
  // The carrier keeps what fibers wait for blocked, so the kernel leaves it
  // queued for them (signalfd sees it) instead of applying its default
  // action or a handler: the waiting thread takes it, as natively.
  for (uint64_t m = self->sig_waiting; m; m &= m - 1) --c->waiting[__builtin_ctzll(m)];
  for (uint64_t m = set; m; m &= m - 1) ++c->waiting[__builtin_ctzll(m)];
  self->sig_waiting = set;
  c->waited = 0;
  for (int i = 0; i < 64; ++i)
    if (c->waiting[i]) c->waited |= uint64_t(1) << i;
  switch_mask(c, self);
}

void join(Carrier* c, Fiber* f) {
  count(c, f->sig_mask, +1);
  c->all_busy.store(true, std::memory_order_relaxed);
  std::atomic_signal_fence(std::memory_order_seq_cst);
  f->sig_prev = nullptr;
  f->sig_next = c->all;
  if (c->all) c->all->sig_prev = f;
  c->all = f;
  std::atomic_signal_fence(std::memory_order_seq_cst);
  c->all_busy.store(false, std::memory_order_relaxed);
}

void leave(Carrier* c, Fiber* f) {
  if (!f->sig_prev && c->all != f) return;  // not on the list (left already)
  count(c, f->sig_mask, -1);
  if (f == g_main) g_main = nullptr;
  c->all_busy.store(true, std::memory_order_relaxed);
  std::atomic_signal_fence(std::memory_order_seq_cst);
  if (f->sig_prev) f->sig_prev->sig_next = f->sig_next;
  else c->all = f->sig_next;
  if (f->sig_next) f->sig_next->sig_prev = f->sig_prev;
  f->sig_prev = f->sig_next = nullptr;
  std::atomic_signal_fence(std::memory_order_seq_cst);
  c->all_busy.store(false, std::memory_order_relaxed);
}

void set_main(Fiber* f) { g_main = f; }

uint64_t sleep_mask(const Carrier* c) {
  uint64_t m = c->waited;
  for (int i = 0; i < 64; ++i)
    if (c->blocking[i] == c->fibers && c->fibers) m |= uint64_t(1) << i;
  return m;
}

void switch_mask(Carrier* c, const Fiber* next) {
  uint64_t m = next->sig_mask | c->waited;
  if (m == c->sig_mask) return;
  raw::sys(SYS_rt_sigprocmask, SIG_SETMASK, &m, nullptr, 8);
  c->sig_mask = m;
}

}  // namespace rt::fsig
