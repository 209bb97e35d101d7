// Router handlers: waiting for signals (sigwait, sigwaitinfo, sigtimedwait,
// sigsuspend, pause) parks only the calling fiber.
//
// rt_sigtimedwait: a signal of the set already sent to this fiber
// (pthread_kill, or routed to it) is taken first; then the kernel's own
// rt_sigtimedwait with a zero timeout dequeues one pending for the carrier
// or the process, with the kernel's siginfo. Otherwise the fiber parks on
// an io_uring poll of a signalfd for the set: signalfd readiness is the
// carrier's and the process's pending signals, which is where a signal
// every fiber blocks waits (the carrier sleeps blocking it). A handler of
// another signal ends the wait with EINTR, as natively.
//
// rt_sigsuspend / pause: the fiber takes the temporary mask and parks until
// a signal is routed to it; the router runs the handler outside the
// runtime, restores the mask and returns EINTR.
#include <cerrno>
#include <csignal>
#include <ctime>
#include <poll.h>
#include <sys/signalfd.h>

#include "cancel.h"
#include "config.h"
#include "fsig.h"
#include "io_wait.h"
#include "raw.h"
#include "sched.h"
#include "sys.h"

namespace rt::sys {

namespace {

constexpr uint64_t kNever = fsig::bit(SIGKILL) | fsig::bit(SIGSTOP);

long dequeue(uint64_t set, siginfo_t* info) {
  timespec zero{0, 0};
  siginfo_t local;
  return raw::sys(SYS_rt_sigtimedwait, &set, info ? info : &local, &zero, 8);
}

// rt_sigtimedwait(set, info, timeout, sigsetsize)
long h_rt_sigtimedwait(const Args& a) {
  if (a.a[3] != 8) return -EINVAL;
  uint64_t set = *reinterpret_cast<const uint64_t*>(a.a[0]) & ~kNever;
  auto* info = reinterpret_cast<siginfo_t*>(a.a[1]);
  auto* ts = reinterpret_cast<const timespec*>(a.a[2]);
  if (ts && (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000)) return -EINVAL;
  if (int sig = fsig::take(set, info)) return sig;
  long r = dequeue(set, info);
  if (r != -EAGAIN) return r;
  if (ts && ts->tv_sec == 0 && ts->tv_nsec == 0) return -EAGAIN;
  int64_t deadline = ts ? add_ns(now_ns(), to_ns(ts->tv_sec, ts->tv_nsec)) : kNoDeadline;
  long fd = raw::sys(SYS_signalfd4, -1, &set, 8, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) return pass(SYS_rt_sigtimedwait, a);  // no descriptor left: the kernel waits
  fsig::set_waiting(set);
  for (;;) {
    long w = io_wait_ready(int(fd), POLLIN, deadline);
    if (int sig = fsig::take(set, info)) {
      r = sig;
      break;
    }
    if (w == cancel::kInterrupted) {
      r = w;
      break;
    }
    r = dequeue(set, info);
    if (r != -EAGAIN) break;
    if (w == kDeadlinePassed) break;
  }
  fsig::set_waiting(0);
  raw::close(int(fd));
  return r;
}

long suspend(const uint64_t* mask) {
  fsig::begin_suspend(mask);
  while (!cancel::interrupted()) park();
  return cancel::kInterrupted;  // the router runs the handler, restores the mask: EINTR
}

// rt_sigsuspend(mask, sigsetsize)
long h_rt_sigsuspend(const Args& a) {
  if (a.a[1] != 8) return -EINVAL;
  return suspend(reinterpret_cast<const uint64_t*>(a.a[0]));
}

long h_pause(const Args&) {
  uint64_t m = current()->sig_mask;
  return suspend(&m);
}

constexpr uint32_t F = config::kSignal;

}  // namespace

extern const Def kSignalDefs[] = {
    {SYS_rt_sigtimedwait,
     {"rt_sigtimedwait", F, Policy::Ring, h_rt_sigtimedwait,
      "signals sent to the fiber, then the kernel's queue; parks on a signalfd poll"}},
    {SYS_rt_sigsuspend,
     {"rt_sigsuspend", F, Policy::Ring, h_rt_sigsuspend, "the fiber parks with the mask until a handler runs"}},
    {SYS_pause, {"pause", F, Policy::Ring, h_pause, "as rt_sigsuspend with the fiber's mask"}},
};
extern const unsigned kSignalDefCount = sizeof kSignalDefs / sizeof kSignalDefs[0];

}  // namespace rt::sys
