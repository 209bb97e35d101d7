// Signal dispositions and waiting for signals (runtime/fsig.h,
// runtime/sys_signal.cpp).
//
// Every handler the program installs is kept in ringlet's table and the
// kernel is given ringlet's router (fsig::on_signal) in its place, with
// the program's mask and flags, so that the kernel's own rules (SA_RESTART
// for calls the carrier makes itself, SA_ONSTACK, SA_RESETHAND, the mask
// during the handler) still apply. sigaction answers with the program's
// handler. glibc's other ways in (signal, bsd_signal, sysv_signal,
// siginterrupt, sigset, sighold, sigrelse, sigpause) call its internal
// sigaction and sigprocmask, which ringlet cannot see, so they are
// redone here over the exported ones.
#include <signal.h>
#include <string.h>

#include "export.h"
#include "runtime/fsig.h"
#include "threads.h"

#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000  // the kernel's flag; glibc keeps it out of <signal.h>
#endif

namespace {

bool g_routing = false;  // set once the carrier runs (ringlet::start_signal_routing)
uint64_t g_interrupting = 0;  // siginterrupt(sig, 1): signal() installs it without SA_RESTART

uint64_t to_bits(const sigset_t* s) {
  uint64_t m;
  memcpy(&m, s, sizeof m);
  return m;
}

void from_bits(uint64_t m, sigset_t* s) {
  sigemptyset(s);
  memcpy(s, &m, sizeof m);
}

bool handler_is_function(void* h) { return h != reinterpret_cast<void*>(SIG_DFL) && h != reinterpret_cast<void*>(SIG_IGN); }

void* router() { return reinterpret_cast<void*>(rt::fsig::on_signal); }

uint64_t g_known = 0;  // signals whose disposition the table holds

int install(int sig, const struct sigaction* act_in, struct sigaction* old) {
  struct sigaction act, kold;  // act and old may be the same object
  if (act_in) act = *act_in;
  rt::fsig::Action prev = rt::fsig::action(sig);
  int r;
  if (act_in && handler_is_function(reinterpret_cast<void*>(act.sa_handler))) {
    struct sigaction k = act;
    k.sa_sigaction = rt::fsig::on_signal;
    k.sa_flags |= SA_SIGINFO;
    r = REAL(sigaction)(sig, &k, &kold);
  } else {
    r = REAL(sigaction)(sig, act_in ? &act : nullptr, &kold);
  }
  if (r != 0) return r;
  if (old) {
    *old = kold;
    // The program's own view: ringlet's handler stands for the program's,
    // and after SA_RESETHAND the kernel's SIG_DFL keeps the program's flags
    // (the table follows). A handler set behind ringlet's back (a raw
    // system call) is reported as the kernel has it.
    void* kh = reinterpret_cast<void*>(kold.sa_sigaction);
    if ((g_known & rt::fsig::bit(sig)) && (kh == router() || kh == prev.handler)) {
      old->sa_sigaction = reinterpret_cast<void (*)(int, siginfo_t*, void*)>(prev.handler);
      old->sa_flags = prev.flags | (kold.sa_flags & SA_RESTORER);
      from_bits(prev.mask, &old->sa_mask);
    }
  }
  if (act_in) {
    rt::fsig::Action a;
    a.handler = reinterpret_cast<void*>(act.sa_sigaction);
    a.mask = to_bits(&act.sa_mask);
    a.flags = act.sa_flags;
    rt::fsig::set_action(sig, a);
    g_known |= rt::fsig::bit(sig);
  }
  return 0;
}

sighandler_t bsd_style(int sig, sighandler_t h, int flags, bool mask_self) {
  struct sigaction a, o;
  memset(&a, 0, sizeof a);
  a.sa_handler = h;
  sigemptyset(&a.sa_mask);
  if (mask_self && sig > 0 && sig < 65) sigaddset(&a.sa_mask, sig);
  a.sa_flags = flags;
  if (sigaction(sig, &a, &o) < 0) return SIG_ERR;
  return o.sa_handler;
}

int block(int how, int sig) {
  sigset_t s;
  sigemptyset(&s);
  if (sigaddset(&s, sig) < 0) return -1;
  return sigprocmask(how, &s, nullptr);
}

}  // namespace

namespace ringlet {

// Wraps the handlers installed before ringlet started (other libraries'
// constructors) and routes every later one. Called once the carrier runs.
void start_signal_routing() {
  for (int sig = 1; sig <= 64; ++sig) {
    if (!rt::fsig::routable(sig)) continue;
    struct sigaction cur;
    if (REAL(sigaction)(sig, nullptr, &cur) != 0) continue;
    if (!handler_is_function(reinterpret_cast<void*>(cur.sa_handler))) continue;
    cur.sa_flags &= ~SA_RESTORER;
    install(sig, &cur, nullptr);
  }
  g_routing = true;
}

}  // namespace ringlet

RINGLET_EXPORT int sigaction(int sig, const struct sigaction* act, struct sigaction* old) noexcept {
  if (!g_routing || !rt::fsig::routable(sig)) return REAL(sigaction)(sig, act, old);
  return install(sig, act, old);
}

RINGLET_EXPORT int __sigaction(int sig, const struct sigaction* act, struct sigaction* old) noexcept {
  return sigaction(sig, act, old);
}

// signal() with glibc's BSD semantics: SA_RESTART unless siginterrupt said
// otherwise, the signal blocked during its handler.
RINGLET_EXPORT sighandler_t bsd_signal(int sig, sighandler_t h) noexcept {
  bool intr = sig > 0 && sig < 65 && (g_interrupting & rt::fsig::bit(sig));
  return bsd_style(sig, h, intr ? 0 : SA_RESTART, true);
}
RINGLET_EXPORT sighandler_t signal(int sig, sighandler_t h) noexcept { return bsd_signal(sig, h); }
RINGLET_EXPORT sighandler_t ssignal(int sig, sighandler_t h) noexcept { return bsd_signal(sig, h); }

// System V: reset to the default on delivery, not blocked during it.
RINGLET_EXPORT sighandler_t sysv_signal(int sig, sighandler_t h) noexcept {
  return bsd_style(sig, h, SA_RESETHAND | SA_NODEFER, false);
}
RINGLET_EXPORT sighandler_t __sysv_signal(int sig, sighandler_t h) noexcept { return sysv_signal(sig, h); }

RINGLET_EXPORT int siginterrupt(int sig, int interrupt) noexcept {
  struct sigaction a;
  if (sigaction(sig, nullptr, &a) < 0) return -1;
  if (interrupt) {
    g_interrupting |= rt::fsig::bit(sig);
    a.sa_flags &= ~SA_RESTART;
  } else {
    g_interrupting &= ~rt::fsig::bit(sig);
    a.sa_flags |= SA_RESTART;
  }
  a.sa_flags &= ~SA_RESTORER;
  return sigaction(sig, &a, nullptr);
}

RINGLET_EXPORT int sighold(int sig) noexcept { return block(SIG_BLOCK, sig); }
RINGLET_EXPORT int sigrelse(int sig) noexcept { return block(SIG_UNBLOCK, sig); }

RINGLET_EXPORT sighandler_t sigset(int sig, sighandler_t disp) noexcept {
  sigset_t cur;
  if (sigprocmask(SIG_BLOCK, nullptr, &cur) < 0) return SIG_ERR;
  bool was_held = sigismember(&cur, sig) == 1;
  struct sigaction o;
  if (disp == SIG_HOLD) {
    if (sigaction(sig, nullptr, &o) < 0 || block(SIG_BLOCK, sig) < 0) return SIG_ERR;
    return was_held ? SIG_HOLD : o.sa_handler;
  }
  struct sigaction a;
  memset(&a, 0, sizeof a);
  a.sa_handler = disp;
  sigemptyset(&a.sa_mask);
  if (sigaction(sig, &a, &o) < 0 || block(SIG_UNBLOCK, sig) < 0) return SIG_ERR;
  return was_held ? SIG_HOLD : o.sa_handler;
}

// ---- waiting for signals: only the fiber waits ------------------------------

RINGLET_EXPORT int sigtimedwait(const sigset_t* set, siginfo_t* info, const struct timespec* ts) {
  if (!ringlet::fiber_path()) return REAL(sigtimedwait)(set, info, ts);
  long r = rt::sys::call(SYS_rt_sigtimedwait, set, info, ts, 8);
  // As glibc: what pthread_kill and raise send is reported as SI_USER.
  if (r > 0 && info && info->si_code == SI_TKILL) info->si_code = SI_USER;
  return int(ringlet::edge(r));
}

RINGLET_EXPORT int sigwaitinfo(const sigset_t* set, siginfo_t* info) { return sigtimedwait(set, info, nullptr); }

// sigwait never fails with EINTR (glibc retries too).
RINGLET_EXPORT int sigwait(const sigset_t* set, int* sig) {
  if (!ringlet::fiber_path()) return REAL(sigwait)(set, sig);
  long r;
  do {
    r = rt::sys::call(SYS_rt_sigtimedwait, set, nullptr, nullptr, 8);
  } while (r == -EINTR);
  if (r < 0) return int(-r);
  *sig = int(r);
  return 0;
}

RINGLET_EXPORT int sigsuspend(const sigset_t* mask) {
  if (!ringlet::fiber_path()) return REAL(sigsuspend)(mask);
  return int(ringlet::edge(rt::sys::call(SYS_rt_sigsuspend, mask, 8)));
}
RINGLET_EXPORT int __sigsuspend(const sigset_t* mask) { return sigsuspend(mask); }

RINGLET_EXPORT int pause(void) {
  if (!ringlet::fiber_path()) return REAL(pause)();
  return int(ringlet::edge(rt::sys::call(SYS_pause)));
}

// sigpause: BSD (a mask) or X/Open (one signal to let through).
RINGLET_EXPORT int __sigpause(int sig_or_mask, int is_sig) {
  sigset_t m;
  if (sigprocmask(SIG_BLOCK, nullptr, &m) < 0) return -1;
  if (is_sig) {
    if (sigdelset(&m, sig_or_mask) < 0) return -1;
  } else {
    from_bits(uint64_t(unsigned(sig_or_mask)), &m);
  }
  return sigsuspend(&m);
}
RINGLET_EXPORT int __xpg_sigpause(int sig) { return __sigpause(sig, 1); }
// <signal.h> maps sigpause to __xpg_sigpause; the BSD symbol itself, for
// binaries that reference it, is defined under its own name.
RINGLET_EXPORT int ringlet_bsd_sigpause(int mask) __asm__("sigpause");
RINGLET_EXPORT int ringlet_bsd_sigpause(int mask) { return __sigpause(mask, 0); }
