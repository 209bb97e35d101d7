// Router handlers: nanosleep, clock_nanosleep, sched_yield.
//
// A sleeping fiber is one entry in its carrier's timer heap; the carrier's
// wait in io_uring_enter carries the nearest deadline as its timeout.
#include <cerrno>
#include <ctime>

#include "cancel.h"
#include "config.h"
#include "raw.h"
#include "sched.h"
#include "sys.h"

namespace rt::sys {

namespace {

bool valid(const timespec* ts) { return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000; }

int64_t ts_ns(const timespec& ts) { return to_ns(ts.tv_sec, ts.tv_nsec); }

// Sleeps until the monotonic deadline. A zero-length sleep still lets the
// other fibers run, as a thread's sleep(0) lets other threads run.
// Returns 0, or cancel::kInterrupted.
// Interrupted by a signal handler, a relative sleep tells the time left in
// *rem (if given), as the kernel does.
long sleep_until(int64_t deadline, timespec* rem) {
  if (deadline <= now_ns()) {
    yield();
    return 0;
  }
  while (!cancel::interrupted() && park_until(deadline)) {
  }
  if (!cancel::interrupted()) return 0;
  if (rem) {
    int64_t left = deadline - now_ns();
    if (left < 0) left = 0;
    rem->tv_sec = left / 1000000000;
    rem->tv_nsec = left % 1000000000;
  }
  return cancel::kInterrupted;
}

long h_nanosleep(const Args& a) {
  auto* req = reinterpret_cast<const timespec*>(a.a[0]);
  if (!valid(req)) return -EINVAL;
  return sleep_until(add_ns(now_ns(), ts_ns(*req)), reinterpret_cast<timespec*>(a.a[1]));
}

// clock_nanosleep(clock, flags, req, rem)
long h_clock_nanosleep(const Args& a) {
  clockid_t clk = clockid_t(a.a[0]);
  int flags = int(a.a[1]);
  auto* req = reinterpret_cast<const timespec*>(a.a[2]);
  switch (clk) {
    case CLOCK_REALTIME:
    case CLOCK_MONOTONIC:
    case CLOCK_BOOTTIME:
    case CLOCK_TAI:
      break;
    default:  // CPU-time clocks and the rest: the kernel knows
      return pass(SYS_clock_nanosleep, a);
  }
  if (!valid(req)) return -EINVAL;
  int64_t mono = now_ns();
  int64_t deadline;
  if (flags & TIMER_ABSTIME) {
    // An absolute time on another clock: converted once at the call (a
    // later jump of the realtime clock is not followed).
    timespec now;
    clock_gettime(clk, &now);
    deadline = add_ns(mono, add_ns(ts_ns(*req), -ts_ns(now)));
  } else {
    deadline = add_ns(mono, ts_ns(*req));
  }
  return sleep_until(deadline, (flags & TIMER_ABSTIME) ? nullptr : reinterpret_cast<timespec*>(a.a[3]));
}

long h_sched_yield(const Args&) {
  yield();
  return 0;
}

constexpr uint32_t F = config::kTime;

}  // namespace

extern const Def kTimeDefs[] = {
    {SYS_nanosleep, {"nanosleep", F, Policy::Ring, h_nanosleep, "the fiber parks in the timer heap"}},
    {SYS_clock_nanosleep,
     {"clock_nanosleep", F, Policy::Ring, h_clock_nanosleep, "as nanosleep; CPU-time clocks: kernel"}},
    {SYS_sched_yield, {"sched_yield", F, Policy::Emulate, h_sched_yield, "the other runnable fibers run first"}},
};
extern const unsigned kTimeDefCount = sizeof kTimeDefs / sizeof kTimeDefs[0];

}  // namespace rt::sys
