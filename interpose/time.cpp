// sleep, usleep, nanosleep, clock_nanosleep, sched_yield (the "time" family).
// sleep and usleep reach nanosleep inside libc, where ringlet cannot see
// it (STYLE §2): each public name is hooked.
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "export.h"
#include "runtime/cpuclock.h"

using ringlet::edge;
using ringlet::fiber_path;
using rt::sys::call;

RINGLET_EXPORT int nanosleep(const struct timespec* req, struct timespec* rem) {
  if (!fiber_path()) return REAL(nanosleep)(req, rem);
  return int(edge(call(SYS_nanosleep, req, rem)));
}

// Returns an error number, not -1/errno.
RINGLET_EXPORT int clock_nanosleep(clockid_t clk, int flags, const struct timespec* req, struct timespec* rem) {
  if (!fiber_path()) return REAL(clock_nanosleep)(clk, flags, req, rem);
  long r = call(SYS_clock_nanosleep, clk, flags, req, rem);
  return r < 0 ? int(-r) : 0;
}

RINGLET_EXPORT unsigned sleep(unsigned seconds) {
  if (!fiber_path()) return REAL(sleep)(seconds);
  struct timespec ts = {time_t(seconds), 0}, rem = {0, 0};
  // Cut short by a handler: the whole seconds left, as glibc's sleep.
  if (call(SYS_nanosleep, &ts, &rem) == -EINTR) return unsigned(rem.tv_sec);
  return 0;
}

RINGLET_EXPORT int usleep(useconds_t us) {
  if (!fiber_path()) return REAL(usleep)(us);
  struct timespec ts = {time_t(us / 1000000), long(us % 1000000) * 1000};
  return int(edge(call(SYS_nanosleep, &ts, nullptr)));
}

RINGLET_EXPORT int sched_yield(void) noexcept {
  if (!fiber_path()) return REAL(sched_yield)();
  return int(edge(call(SYS_sched_yield)));
}

// CPU-time clocks of fibers (runtime/cpuclock.h): CLOCK_THREAD_CPUTIME_ID
// read by a fiber, and the clocks pthread_getcpuclockid gives for fibers.
// Everything else is libc's (the vDSO for the common clocks).
namespace {
rt::Fiber* cpu_clock_fiber(clockid_t clk) {
  if (clk == CLOCK_THREAD_CPUTIME_ID) return rt::carrier() ? rt::current() : nullptr;
  return clk < 0 ? rt::cpuclock::fiber_of(clk) : nullptr;
}
}  // namespace

RINGLET_EXPORT int clock_gettime(clockid_t clk, struct timespec* ts) noexcept {
  if (__builtin_expect(clk == CLOCK_THREAD_CPUTIME_ID || clk < 0, 0)) {
    if (rt::Fiber* f = cpu_clock_fiber(clk)) {
      int64_t ns = rt::cpuclock::of(f);
      ts->tv_sec = ns / 1000000000;
      ts->tv_nsec = ns % 1000000000;
      return 0;
    }
  }
  return REAL(clock_gettime)(clk, ts);
}

RINGLET_EXPORT int clock_getres(clockid_t clk, struct timespec* res) noexcept {
  if (clk < 0 && rt::cpuclock::fiber_of(clk)) clk = CLOCK_THREAD_CPUTIME_ID;
  return REAL(clock_getres)(clk, res);
}
