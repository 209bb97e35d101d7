// Router handler: futex, as programs and libraries reach it through libc's
// syscall() (libstdc++'s std::future, std::atomic::wait, __cxa_guard and
// std::counting_semaphore all do). A fiber that waits on a futex must not
// put its carrier to sleep: the fiber that would wake it runs there.
//
// Where the kernel has IORING_OP_FUTEX_WAIT (6.7) a fiber waits in the
// kernel's own futex queue through io_uring, so every wake reaches it: from
// fibers, from other threads, from raw system calls, from other processes
// for shared futexes. Wakes are then plain system calls. Without it, a fiber
// waits in ringlet's parking lot, and a wake made through syscall() wakes
// the parking lot too (wakes made by raw system calls elsewhere cannot reach
// it: then such a fiber waits until its timeout, if any).
//
// Other futex operations (requeue, wake-op, priority inheritance) go to the
// kernel unchanged.
#include <cerrno>
#include <climits>
#include <ctime>
#include <linux/futex.h>

#include "io_wait.h"
#include "raw.h"
#include "sched.h"
#include "sync/futex.h"
#include "sys.h"

namespace rt::sys {

namespace {

constexpr int kOpFutexWait = 51;      // IORING_OP_FUTEX_WAIT (6.7)
constexpr uint32_t kFutex2U32 = 0x02;  // FUTEX2_SIZE_U32
constexpr uint32_t kFutex2Private = FUTEX_PRIVATE_FLAG;

long pass(const Args& a) { return sys::pass(SYS_futex, a); }

bool ring_futex() { return carrier()->ring.supports(kOpFutexWait); }

// The CLOCK_MONOTONIC deadline of a wait: FUTEX_WAIT takes a relative
// timeout, FUTEX_WAIT_BITSET an absolute one on the monotonic clock, or on
// the realtime clock with FUTEX_CLOCK_REALTIME.
int64_t deadline_of(int cmd, int op, const timespec* ts) {
  if (!ts) return kNoDeadline;
  int64_t t = to_ns(ts->tv_sec, ts->tv_nsec);
  if (cmd == FUTEX_WAIT) return add_ns(now_ns(), t);
  if (op & FUTEX_CLOCK_REALTIME) {
    timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return add_ns(now_ns(), add_ns(t, -to_ns(now.tv_sec, now.tv_nsec)));
  }
  return t;
}

long wait_fiber(const Args& a, int cmd) {
  auto* addr = reinterpret_cast<std::atomic<uint32_t>*>(a.a[0]);
  int op = int(a.a[1]);
  uint32_t val = uint32_t(a.a[2]);
  auto* ts = reinterpret_cast<const timespec*>(a.a[3]);
  if (ts && (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000)) return -EINVAL;
  uint32_t mask = cmd == FUTEX_WAIT_BITSET ? uint32_t(a.a[5]) : FUTEX_BITSET_MATCH_ANY;
  if (mask == 0) return -EINVAL;
  int64_t deadline = deadline_of(cmd, op, ts);
  Guard g(carrier());
  if (!ring_futex()) return futex::wait(addr, val, deadline) == -ETIMEDOUT ? -ETIMEDOUT : 0;
  if (addr->load(std::memory_order_relaxed) != val) return -EAGAIN;
  IoOp iop;
  io_uring_sqe* s = io_sqe();
  io_uring_prep_rw(kOpFutexWait, s, int(kFutex2U32 | ((op & FUTEX_PRIVATE_FLAG) ? kFutex2Private : 0)),
                   addr, 0, val);
  s->addr3 = mask;
  long r = io_submit_wait(s, iop, deadline);
  if (r == kDeadlinePassed) return -ETIMEDOUT;
  return r > 0 ? 0 : r;
}

long h_futex(const Args& a) {
  int op = int(a.a[1]);
  int cmd = op & FUTEX_CMD_MASK;
  switch (cmd) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET:
      // Only a fiber outside the runtime parks; anyone else sleeps in the
      // kernel, where every wake (always a system call) reaches it.
      if (fiber_context()) return wait_fiber(a, cmd);
      return pass(a);
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET: {
      long r = pass(a);
      if (carrier() && !ring_futex() && r >= 0 && r < a.a[2])
        r += futex::wake(reinterpret_cast<std::atomic<uint32_t>*>(a.a[0]), int(a.a[2] - r));
      return r;
    }
    default:
      return pass(a);
  }
}

}  // namespace

extern const Def kFutexDefs[] = {
    {SYS_futex,
     {"futex", 0, Policy::Track, h_futex,
      "WAIT from a fiber: parks (io_uring FUTEX_WAIT, 6.7+); other ops: kernel"}},
};
extern const unsigned kFutexDefCount = sizeof kFutexDefs / sizeof kFutexDefs[0];

}  // namespace rt::sys
