// poll, ppoll, select, pselect, epoll_wait, epoll_pwait, epoll_pwait2 (the
// "poll" family).
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/syscall.h>

#include "export.h"

using ringlet::edge;
using ringlet::fiber_path;
using rt::sys::call;

RINGLET_EXPORT int poll(struct pollfd* fds, nfds_t n, int timeout) {
  if (!fiber_path()) return REAL(poll)(fds, n, timeout);
  return int(edge(call(SYS_poll, fds, n, timeout)));
}

// ppoll and pselect leave the caller's timeout alone (glibc passes the
// kernel a copy, which the kernel updates).
RINGLET_EXPORT int ppoll(struct pollfd* fds, nfds_t n, const struct timespec* ts, const sigset_t* mask) {
  if (!fiber_path()) return REAL(ppoll)(fds, n, ts, mask);
  struct timespec copy;
  if (ts) copy = *ts;
  return int(edge(call(SYS_ppoll, fds, n, ts ? &copy : nullptr, mask, 8)));
}

RINGLET_EXPORT int select(int nfds, fd_set* r, fd_set* w, fd_set* e, struct timeval* tv) {
  if (!fiber_path()) return REAL(select)(nfds, r, w, e, tv);
  return int(edge(call(SYS_select, nfds, r, w, e, tv)));
}

RINGLET_EXPORT int pselect(int nfds, fd_set* r, fd_set* w, fd_set* e, const struct timespec* ts,
                           const sigset_t* mask) {
  if (!fiber_path()) return REAL(pselect)(nfds, r, w, e, ts, mask);
  struct timespec copy;
  if (ts) copy = *ts;
  struct {
    const sigset_t* set;
    size_t size;
  } sig = {mask, 8};
  return int(edge(call(SYS_pselect6, nfds, r, w, e, ts ? &copy : nullptr, &sig)));
}

RINGLET_EXPORT int epoll_wait(int epfd, struct epoll_event* ev, int max, int timeout) {
  if (!fiber_path()) return REAL(epoll_wait)(epfd, ev, max, timeout);
  return int(edge(call(SYS_epoll_wait, epfd, ev, max, timeout)));
}

RINGLET_EXPORT int epoll_pwait(int epfd, struct epoll_event* ev, int max, int timeout, const sigset_t* mask) {
  if (!fiber_path()) return REAL(epoll_pwait)(epfd, ev, max, timeout, mask);
  return int(edge(call(SYS_epoll_pwait, epfd, ev, max, timeout, mask, 8)));
}

RINGLET_EXPORT int epoll_pwait2(int epfd, struct epoll_event* ev, int max, const struct timespec* ts,
                                const sigset_t* mask) {
  if (!fiber_path()) {
    if (!REAL(epoll_pwait2)) return int(edge(-ENOSYS));
    return REAL(epoll_pwait2)(epfd, ev, max, ts, mask);
  }
  return int(edge(call(SYS_epoll_pwait2, epfd, ev, max, ts, mask, 8)));
}

RINGLET_EXPORT int __poll_chk(struct pollfd* fds, nfds_t n, int timeout, size_t fdslen) {
  if (fdslen / sizeof(*fds) < n) __chk_fail();
  return poll(fds, n, timeout);
}

RINGLET_EXPORT int __ppoll_chk(struct pollfd* fds, nfds_t n, const struct timespec* ts, const sigset_t* mask,
                               size_t fdslen) {
  if (fdslen / sizeof(*fds) < n) __chk_fail();
  return ppoll(fds, n, ts, mask);
}
