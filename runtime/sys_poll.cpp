// Router handlers: poll, ppoll, select, pselect6, epoll_wait, epoll_pwait,
// epoll_pwait2.
//
// The answer always comes from the kernel's own call with a zero timeout,
// so readiness rules (POLLHUP, POLLNVAL, select's sets, epoll's edge and
// one-shot modes) are exactly the kernel's. Only the waiting is ringlet's:
// one POLL_ADD per descriptor (one for the epoll fd itself), the fiber parks
// until any fires or the deadline passes, the rest are cancelled, and the
// zero-timeout call is made again. A wake-up with nothing ready (another
// fiber took the data) waits again.
//
// Signal masks of ppoll/pselect/epoll_pwait are not applied yet (signals are
// later work).
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>

#include "cancel.h"
#include "config.h"
#include "io_wait.h"
#include "raw.h"
#include "sys.h"

namespace rt::sys {

namespace {

struct Waiter {
  Fiber* fiber;
  int pending = 0;
  bool fired = false;
};

struct PollOp : Completion {
  Waiter* w = nullptr;
  int32_t res = 0;  // the events that fired, or -errno (cancelled)
  bool finished = true;
};

void poll_done(Completion* c, int32_t res, uint32_t) {
  auto* op = static_cast<PollOp*>(c);
  op->res = res;
  op->finished = true;
  op->w->pending--;
  op->w->fired = true;
  unpark(op->w->fiber);
}

// Parks until one of fds[0..n) is ready for its events or the deadline
// passes. Returns false on the deadline. Every request has completed when
// it returns. `fired`, if given, receives what fired for each fd (POLL_ADD
// also fires for POLLERR and POLLHUP, whatever was asked).
bool wait_fds(const pollfd* fds, unsigned n, int64_t deadline, short* fired = nullptr) {
  PollOp small[8];
  PollOp* ops = n <= 8 ? small : static_cast<PollOp*>(calloc(n, sizeof(PollOp)));
  if (!ops) {
    // No memory for the requests: degrade to a short sleep and a re-check.
    return park_until(now_ns() + 1000000) || deadline == kNoDeadline || now_ns() < deadline;
  }
  Waiter w{current()};
  Ring& ring = carrier()->ring;
  for (unsigned i = 0; i < n; ++i) {
    new (&ops[i]) PollOp();
    ops[i].complete = poll_done;
    if (fds[i].fd < 0) continue;
    ops[i].finished = false;
    ops[i].w = &w;
    io_uring_sqe* s = ring.sqe();
    io_uring_prep_poll_add(s, fds[i].fd, unsigned(fds[i].events) | POLLERR | POLLHUP);
    ring.track(s, &ops[i]);
    w.pending++;
  }
  if (w.pending == 0) {
    // Nothing to watch: a plain sleep, as poll with no descriptors is.
    if (ops != small) free(ops);
    while (!cancel::interrupted() && (deadline == kNoDeadline ? (park(), true) : park_until(deadline))) {
    }
    return false;
  }
  bool in_time = true;
  while (!w.fired && w.pending > 0 && !cancel::interrupted()) {
    if (deadline == kNoDeadline) park();
    else if (!park_until(deadline)) {
      in_time = false;
      break;
    }
  }
  for (unsigned i = 0; i < n; ++i)
    if (!ops[i].finished) ring.cancel(&ops[i]);
  while (w.pending > 0) park();
  if (fired)
    for (unsigned i = 0; i < n; ++i) fired[i] = ops[i].res > 0 ? short(ops[i].res) : 0;
  if (ops != small) free(ops);
  return in_time || w.fired;
}

int64_t ms_deadline(long timeout_ms) {
  return timeout_ms < 0 ? kNoDeadline : now_ns() + int64_t(timeout_ms) * 1000000;
}

int64_t ts_deadline(const timespec* ts) {
  if (!ts) return kNoDeadline;
  return add_ns(now_ns(), to_ns(ts->tv_sec, ts->tv_nsec));
}

bool expired(int64_t deadline) { return deadline != kNoDeadline && now_ns() >= deadline; }

void remaining_ts(timespec* ts, int64_t deadline) {
  if (!ts || deadline == kNoDeadline) return;
  int64_t left = deadline - now_ns();
  if (left < 0) left = 0;
  ts->tv_sec = left / 1000000000;
  ts->tv_nsec = left % 1000000000;
}

// poll(fds, n, timeout_ms): the shared core of poll and ppoll.
long poll_core(pollfd* fds, unsigned long n, int64_t deadline, bool zero_timeout) {
  timespec zero{0, 0};
  for (;;) {
    long r = raw::sys(SYS_ppoll, fds, n, &zero, nullptr, 8);
    if (r != 0 || zero_timeout) return r;
    if (expired(deadline)) return 0;
    wait_fds(fds, unsigned(n), deadline);
    if (cancel::interrupted()) return cancel::kInterrupted;
  }
}

long h_poll(const Args& a) {
  auto* fds = reinterpret_cast<pollfd*>(a.a[0]);
  long timeout = int(a.a[2]);
  return poll_core(fds, (unsigned long)a.a[1], ms_deadline(timeout), timeout == 0);
}

// ppoll(fds, n, tsp, sigmask, sigsetsize); the kernel writes the time left
// back into *tsp.
long h_ppoll(const Args& a) {
  auto* ts = reinterpret_cast<timespec*>(a.a[2]);
  if (ts && (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000)) return -EINVAL;
  int64_t deadline = ts_deadline(ts);
  bool zero = ts && ts->tv_sec == 0 && ts->tv_nsec == 0;
  long r = poll_core(reinterpret_cast<pollfd*>(a.a[0]), (unsigned long)a.a[1], deadline, zero);
  remaining_ts(ts, deadline);
  return r;
}

// select(nfds, r, w, e, tv) and pselect6 (timespec): waits through a pollfd
// list built from the sets; the answer comes from select itself.
long select_core(int nfds, fd_set* rs, fd_set* ws, fd_set* es, int64_t deadline, bool zero) {
  size_t bytes = (size_t(nfds) + 63) / 64 * 8;
  fd_set in[3];
  fd_set* user[3] = {rs, ws, es};
  for (int i = 0; i < 3; ++i)
    if (user[i]) memcpy(&in[i], user[i], bytes);
  // Descriptors whose wait ended only on POLLERR/POLLHUP, which select does
  // not report for the sets they are in: not watched again in this call
  // (those states last; watching them would spin).
  fd_set quiet;
  FD_ZERO(&quiet);
  for (;;) {
    fd_set out[3];
    for (int i = 0; i < 3; ++i)
      if (user[i]) memcpy(&out[i], &in[i], bytes);
    timespec z{0, 0};
    long r = raw::sys(SYS_pselect6, nfds, rs ? &out[0] : nullptr, ws ? &out[1] : nullptr,
                      es ? &out[2] : nullptr, &z, nullptr);
    if (r != 0 || zero || expired(deadline)) {
      if (r >= 0)
        for (int i = 0; i < 3; ++i)
          if (user[i]) memcpy(user[i], &out[i], bytes);
      return r;
    }
    pollfd small[64];
    short fired_small[64];
    unsigned n = 0, cap = 64;
    pollfd* p = small;
    for (int fd = 0; fd < nfds; ++fd) {
      if (FD_ISSET(fd, &quiet)) continue;
      short ev = 0;
      if (rs && FD_ISSET(fd, &in[0])) ev |= POLLIN;
      if (ws && FD_ISSET(fd, &in[1])) ev |= POLLOUT;
      if (es && FD_ISSET(fd, &in[2])) ev |= POLLPRI;
      if (!ev) continue;
      if (n == cap) {
        cap *= 2;
        auto* q = static_cast<pollfd*>(malloc(cap * sizeof(pollfd)));
        if (!q) break;
        memcpy(q, p, n * sizeof(pollfd));
        if (p != small) free(p);
        p = q;
      }
      p[n++] = pollfd{fd, ev, 0};
    }
    short* fired = n <= 64 ? fired_small : static_cast<short*>(malloc(n * sizeof(short)));
    wait_fds(p, n, deadline, fired);
    for (unsigned i = 0; fired && i < n; ++i)
      if (fired[i] && !(fired[i] & p[i].events)) FD_SET(p[i].fd, &quiet);
    if (fired != fired_small) free(fired);
    if (p != small) free(p);
    if (cancel::interrupted()) return cancel::kInterrupted;
  }
}

// Sets beyond FD_SETSIZE (legal with a bigger bitmap) are left to the kernel.
bool oversize(const Args& a) { return a.a[0] < 0 || a.a[0] > FD_SETSIZE; }

long h_select(const Args& a) {
  if (oversize(a)) return pass(SYS_select, a);
  auto* tv = reinterpret_cast<timeval*>(a.a[4]);
  if (tv && (tv->tv_sec < 0 || tv->tv_usec < 0)) return -EINVAL;
  int64_t deadline = kNoDeadline;
  bool zero = false;
  if (tv) {
    deadline = add_ns(now_ns(), to_ns(tv->tv_sec, int64_t(tv->tv_usec) * 1000));
    zero = tv->tv_sec == 0 && tv->tv_usec == 0;
  }
  long r = select_core(int(a.a[0]), reinterpret_cast<fd_set*>(a.a[1]), reinterpret_cast<fd_set*>(a.a[2]),
                       reinterpret_cast<fd_set*>(a.a[3]), deadline, zero);
  if (tv && r >= 0) {  // Linux reports the time left
    timespec left{0, 0};
    remaining_ts(&left, deadline);
    tv->tv_sec = left.tv_sec;
    tv->tv_usec = left.tv_nsec / 1000;
  }
  return r;
}

long h_pselect6(const Args& a) {
  if (oversize(a)) return pass(SYS_pselect6, a);
  auto* ts = reinterpret_cast<timespec*>(a.a[4]);
  if (ts && (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000)) return -EINVAL;
  int64_t deadline = ts_deadline(ts);
  bool zero = ts && ts->tv_sec == 0 && ts->tv_nsec == 0;
  long r = select_core(int(a.a[0]), reinterpret_cast<fd_set*>(a.a[1]), reinterpret_cast<fd_set*>(a.a[2]),
                       reinterpret_cast<fd_set*>(a.a[3]), deadline, zero);
  if (r >= 0) remaining_ts(ts, deadline);
  return r;
}

long epoll_core(int epfd, epoll_event* ev, int max, int64_t deadline, bool zero) {
  for (;;) {
    long r = raw::sys(SYS_epoll_pwait, epfd, ev, max, 0, nullptr, 8);
    if (r != 0 || zero || expired(deadline)) return r;
    pollfd p{epfd, POLLIN, 0};
    wait_fds(&p, 1, deadline);
    if (cancel::interrupted()) return cancel::kInterrupted;
  }
}

long h_epoll_wait(const Args& a) {
  long t = int(a.a[3]);
  return epoll_core(int(a.a[0]), reinterpret_cast<epoll_event*>(a.a[1]), int(a.a[2]), ms_deadline(t), t == 0);
}

long h_epoll_pwait(const Args& a) { return h_epoll_wait(a); }

long h_epoll_pwait2(const Args& a) {
  auto* ts = reinterpret_cast<const timespec*>(a.a[3]);
  if (ts && (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000)) return -EINVAL;
  bool zero = ts && ts->tv_sec == 0 && ts->tv_nsec == 0;
  return epoll_core(int(a.a[0]), reinterpret_cast<epoll_event*>(a.a[1]), int(a.a[2]), ts_deadline(ts), zero);
}

constexpr uint32_t F = config::kPoll;

}  // namespace

extern const Def kPollDefs[] = {
    {SYS_poll, {"poll", F, Policy::Ring, h_poll, "kernel answers; the fiber parks on POLL_ADD while none is ready"}},
    {SYS_ppoll, {"ppoll", F, Policy::Ring, h_ppoll, "as poll (signal mask not applied yet)"}},
    {SYS_select, {"select", F, Policy::Ring, h_select, "as poll; the timeval gets the time left, as on Linux"}},
    {SYS_pselect6, {"pselect6", F, Policy::Ring, h_pselect6, "as select (signal mask not applied yet)"}},
    {SYS_epoll_wait, {"epoll_wait", F, Policy::Ring, h_epoll_wait, "kernel answers; the fiber parks on the epoll fd"}},
    {SYS_epoll_pwait, {"epoll_pwait", F, Policy::Ring, h_epoll_pwait, "as epoll_wait (signal mask not applied yet)"}},
    {SYS_epoll_pwait2, {"epoll_pwait2", F, Policy::Ring, h_epoll_pwait2, "as epoll_wait"}},
};
extern const unsigned kPollDefCount = sizeof kPollDefs / sizeof kPollDefs[0];

}  // namespace rt::sys
