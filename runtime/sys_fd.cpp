// Router handlers that keep the fd table true (policy "track"): the kernel
// does the work, from any thread, and the table records what changed.
#include <cerrno>
#include <fcntl.h>
#include <linux/time_types.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "fd.h"
#include "raw.h"
#include "sched.h"
#include "sys_file.h"
#include "timer.h"
#include "sys.h"

namespace rt::sys {

namespace {

long h_close(const Args& a) {
  // Forget first: once closed, the number may be reused at once by another
  // thread, whose new entry must not be erased.
  int fd = int(a.a[0]);
  bool regular = fiber_context() && fd::peek(fd).kind == fd::kRegular;
  fd::forget(fd);
  if (regular) {
    Guard g(carrier());
    return file_close(fd);
  }
  return pass(SYS_close, a);
}

long h_dup(const Args& a) {
  long r = pass(SYS_dup, a);
  if (r >= 0) fd::duplicated(int(a.a[0]), int(r));
  return r;
}

long h_dup2(const Args& a) {
  if (a.a[0] != a.a[1]) fd::forget(int(a.a[1]));
  long r = pass(SYS_dup2, a);
  if (r >= 0) fd::duplicated(int(a.a[0]), int(r));
  return r;
}

long h_dup3(const Args& a) {
  if (a.a[0] != a.a[1]) fd::forget(int(a.a[1]));
  long r = pass(SYS_dup3, a);
  if (r >= 0) fd::duplicated(int(a.a[0]), int(r));
  return r;
}

long h_fcntl(const Args& a) {
  long r = pass(SYS_fcntl, a);
  if (r < 0) return r;
  switch (int(a.a[1])) {
    case F_SETFL: fd::set_nonblock(int(a.a[0]), a.a[2] & O_NONBLOCK); break;
    case F_DUPFD:
    case F_DUPFD_CLOEXEC: fd::duplicated(int(a.a[0]), int(r)); break;
    default: break;
  }
  return r;
}

long h_ioctl(const Args& a) {
  long r = pass(SYS_ioctl, a);
  if (r >= 0 && (unsigned long)a.a[1] == FIONBIO && a.a[2])
    fd::set_nonblock(int(a.a[0]), *reinterpret_cast<const int*>(a.a[2]) != 0);
  return r;
}

fd::Kind socket_kind(long type) { return (type & 0xf) == SOCK_STREAM ? fd::kSocketStream : fd::kSocketDgram; }

long h_socket(const Args& a) {
  long r = pass(SYS_socket, a);
  if (r >= 0) fd::created(int(r), socket_kind(a.a[1]), a.a[1] & SOCK_NONBLOCK);
  return r;
}

long h_socketpair(const Args& a) {
  long r = pass(SYS_socketpair, a);
  if (r == 0) {
    const int* sv = reinterpret_cast<const int*>(a.a[3]);
    for (int i = 0; i < 2; ++i) fd::created(sv[i], socket_kind(a.a[1]), a.a[1] & SOCK_NONBLOCK);
  }
  return r;
}

long pipe_common(long nr, const Args& a, int flags) {
  long r = pass(nr, a);
  if (r == 0) {
    const int* p = reinterpret_cast<const int*>(a.a[0]);
    for (int i = 0; i < 2; ++i) fd::created(p[i], fd::kPipe, flags & O_NONBLOCK);
  }
  return r;
}
long h_pipe(const Args& a) { return pipe_common(SYS_pipe, a, 0); }
long h_pipe2(const Args& a) { return pipe_common(SYS_pipe2, a, int(a.a[1])); }

// setsockopt(fd, level, name, value, len): SO_RCVTIMEO/SO_SNDTIMEO in both
// the old (timeval) and new (64-bit) forms, which have one layout on x86-64.
long h_setsockopt(const Args& a) {
  long r = pass(SYS_setsockopt, a);
  if (r != 0 || a.a[1] != SOL_SOCKET) return r;
  int name = int(a.a[2]);
  bool rcv = name == SO_RCVTIMEO_OLD || name == SO_RCVTIMEO_NEW;
  bool snd = name == SO_SNDTIMEO_OLD || name == SO_SNDTIMEO_NEW;
  if (!rcv && !snd) return r;
  auto* tv = reinterpret_cast<const __kernel_sock_timeval*>(a.a[3]);
  int64_t ns = to_ns(tv->tv_sec, tv->tv_usec * 1000);
  fd::set_timeout(int(a.a[0]), snd, ns < 0 ? 0 : ns);
  return r;
}

// Descriptors made by calls whose kind and flags are easy to tell.
long made(long nr, const Args& a, fd::Kind kind, bool nonblock) {
  long r = pass(nr, a);
  if (r >= 0) fd::created(int(r), kind, nonblock);
  return r;
}
long h_eventfd2(const Args& a) { return made(SYS_eventfd2, a, fd::kOther, a.a[1] & EFD_NONBLOCK); }
long h_timerfd_create(const Args& a) { return made(SYS_timerfd_create, a, fd::kOther, a.a[1] & O_NONBLOCK); }
long h_signalfd4(const Args& a) {
  long r = pass(SYS_signalfd4, a);
  // signalfd4 on an existing signalfd changes it; a new one is new.
  if (r >= 0 && a.a[0] < 0) fd::created(int(r), fd::kOther, a.a[3] & O_NONBLOCK);
  return r;
}
long h_epoll_create1(const Args& a) { return made(SYS_epoll_create1, a, fd::kOther, false); }
long h_epoll_create(const Args& a) { return made(SYS_epoll_create, a, fd::kOther, false); }
long h_inotify_init1(const Args& a) { return made(SYS_inotify_init1, a, fd::kOther, a.a[0] & O_NONBLOCK); }

// Files opened by path may be FIFOs or terminals: forget, ask when used.
long forget_result(long nr, const Args& a) {
  long r = pass(nr, a);
  if (r >= 0) fd::forget(int(r));
  return r;
}

// open, openat and creat by a fiber (sys_file.h: file_open): a lookup that
// the dentry cache answers is made at once, one that would read the disk
// goes to io_uring. Anywhere else: the kernel.
long opened(long nr, const Args& a, int dirfd, const char* path, int flags, unsigned mode) {
  long r;
  if (fiber_context()) {
    Guard g(carrier());
    r = file_open(dirfd, path, flags, mode);
  } else {
    r = pass(nr, a);
  }
  if (r >= 0) fd::forget(int(r));
  return r;
}
long h_open(const Args& a) {
  return opened(SYS_open, a, AT_FDCWD, reinterpret_cast<const char*>(a.a[0]), int(a.a[1]), unsigned(a.a[2]));
}
long h_openat(const Args& a) {
  return opened(SYS_openat, a, int(a.a[0]), reinterpret_cast<const char*>(a.a[1]), int(a.a[2]), unsigned(a.a[3]));
}
long h_creat(const Args& a) {
  return opened(SYS_creat, a, AT_FDCWD, reinterpret_cast<const char*>(a.a[0]), O_CREAT | O_WRONLY | O_TRUNC,
                unsigned(a.a[1]));
}
long h_memfd_create(const Args& a) { return forget_result(SYS_memfd_create, a); }

}  // namespace

extern const Def kFdDefs[] = {
    {SYS_close, {"close", 0, Policy::Track, h_close, "kernel; the fd's entry is forgotten"}},
    {SYS_dup, {"dup", 0, Policy::Track, h_dup, "kernel; the copy shares O_NONBLOCK and timeouts"}},
    {SYS_dup2, {"dup2", 0, Policy::Track, h_dup2, "as dup"}},
    {SYS_dup3, {"dup3", 0, Policy::Track, h_dup3, "as dup"}},
    {SYS_fcntl, {"fcntl", 0, Policy::Track, h_fcntl, "kernel; F_SETFL O_NONBLOCK and F_DUPFD recorded"}},
    {SYS_ioctl, {"ioctl", 0, Policy::Track, h_ioctl, "kernel; FIONBIO recorded"}},
    {SYS_socket, {"socket", 0, Policy::Track, h_socket, "kernel; kind and SOCK_NONBLOCK recorded"}},
    {SYS_socketpair, {"socketpair", 0, Policy::Track, h_socketpair, "as socket"}},
    {SYS_pipe, {"pipe", 0, Policy::Track, h_pipe, "kernel; recorded"}},
    {SYS_pipe2, {"pipe2", 0, Policy::Track, h_pipe2, "kernel; O_NONBLOCK recorded"}},
    {SYS_setsockopt, {"setsockopt", 0, Policy::Track, h_setsockopt, "kernel; SO_RCVTIMEO/SO_SNDTIMEO recorded"}},
    {SYS_eventfd2, {"eventfd2", 0, Policy::Track, h_eventfd2, "kernel; recorded"}},
    {SYS_timerfd_create, {"timerfd_create", 0, Policy::Track, h_timerfd_create, "kernel; recorded"}},
    {SYS_signalfd4, {"signalfd4", 0, Policy::Track, h_signalfd4, "kernel; recorded"}},
    {SYS_epoll_create, {"epoll_create", 0, Policy::Track, h_epoll_create, "kernel; recorded"}},
    {SYS_epoll_create1, {"epoll_create1", 0, Policy::Track, h_epoll_create1, "kernel; recorded"}},
    {SYS_inotify_init1, {"inotify_init1", 0, Policy::Track, h_inotify_init1, "kernel; recorded"}},
    {SYS_open,
     {"open", 0, Policy::Track, h_open,
      "fiber: cached lookup at once, else io_uring OPENAT; the new fd is asked about when first used"}},
    {SYS_openat, {"openat", 0, Policy::Track, h_openat, "as open"}},
    {SYS_creat, {"creat", 0, Policy::Track, h_creat, "as open"}},
    {SYS_memfd_create, {"memfd_create", 0, Policy::Track, h_memfd_create, "as open"}},
};
extern const unsigned kFdDefCount = sizeof kFdDefs / sizeof kFdDefs[0];

}  // namespace rt::sys
