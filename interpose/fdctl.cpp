// Calls that make, copy, change or close descriptors. They never block; they
// pass through the router from every thread so that the fd table records
// them (DESIGN rule 1: the program's O_NONBLOCK is known, never changed).
#include <cstdarg>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "export.h"
#include "runtime/fd.h"

using ringlet::edge;
using rt::sys::call;

#define ALIAS(name) __attribute__((alias(#name), visibility("default")))

RINGLET_EXPORT int close(int fd) { return int(edge(call(SYS_close, fd))); }

RINGLET_EXPORT int dup(int fd) noexcept { return int(edge(call(SYS_dup, fd))); }
RINGLET_EXPORT int dup2(int fd, int to) noexcept { return int(edge(call(SYS_dup2, fd, to))); }
RINGLET_EXPORT int dup3(int fd, int to, int flags) noexcept { return int(edge(call(SYS_dup3, fd, to, flags))); }

RINGLET_EXPORT int fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  long arg = va_arg(ap, long);  // glibc reads one word whatever the command
  va_end(ap);
  return int(edge(call(SYS_fcntl, fd, cmd, arg)));
}
extern "C" int fcntl64(int, int, ...) ALIAS(fcntl);

RINGLET_EXPORT int ioctl(int fd, unsigned long req, ...) noexcept {
  va_list ap;
  va_start(ap, req);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  return int(edge(call(SYS_ioctl, fd, req, arg)));
}

RINGLET_EXPORT int pipe(int fds[2]) noexcept { return int(edge(call(SYS_pipe2, fds, 0))); }
RINGLET_EXPORT int pipe2(int fds[2], int flags) noexcept { return int(edge(call(SYS_pipe2, fds, flags))); }

namespace {
// open's mode is there only with O_CREAT or O_TMPFILE.
mode_t mode_arg(int flags, va_list ap) {
  return (flags & O_CREAT) || (flags & __O_TMPFILE) == __O_TMPFILE ? mode_t(va_arg(ap, int)) : 0;
}
}  // namespace

RINGLET_EXPORT int open(const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  return int(edge(call(SYS_openat, AT_FDCWD, path, flags, mode)));
}
extern "C" int open64(const char*, int, ...) ALIAS(open);

RINGLET_EXPORT int openat(int dir, const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  return int(edge(call(SYS_openat, dir, path, flags, mode)));
}
extern "C" int openat64(int, const char*, int, ...) ALIAS(openat);

RINGLET_EXPORT int creat(const char* path, mode_t mode) {
  return int(edge(call(SYS_openat, AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode)));
}
extern "C" int creat64(const char*, mode_t) ALIAS(creat);

// _FORTIFY_SOURCE forms of open without a mode.
RINGLET_EXPORT int __open_2(const char* path, int flags) { return open(path, flags); }
extern "C" int __open64_2(const char*, int) ALIAS(__open_2);
RINGLET_EXPORT int __openat_2(int dir, const char* path, int flags) { return openat(dir, path, flags); }
extern "C" int __openat64_2(int, const char*, int) ALIAS(__openat_2);

RINGLET_EXPORT int eventfd(unsigned initval, int flags) noexcept {
  return int(edge(call(SYS_eventfd2, initval, flags)));
}
RINGLET_EXPORT int timerfd_create(clockid_t clock, int flags) noexcept {
  return int(edge(call(SYS_timerfd_create, clock, flags)));
}
RINGLET_EXPORT int signalfd(int fd, const sigset_t* mask, int flags) noexcept {
  return int(edge(call(SYS_signalfd4, fd, mask, 8, flags)));
}
RINGLET_EXPORT int epoll_create(int size) noexcept { return int(edge(call(SYS_epoll_create, size))); }
RINGLET_EXPORT int epoll_create1(int flags) noexcept { return int(edge(call(SYS_epoll_create1, flags))); }
RINGLET_EXPORT int inotify_init(void) noexcept { return int(edge(call(SYS_inotify_init1, 0))); }
RINGLET_EXPORT int inotify_init1(int flags) noexcept { return int(edge(call(SYS_inotify_init1, flags))); }
RINGLET_EXPORT int memfd_create(const char* name, unsigned flags) noexcept {
  return int(edge(call(SYS_memfd_create, name, flags)));
}

// stdio closes inside libc, where ringlet cannot see it: forget the fd first.
RINGLET_EXPORT int fclose(FILE* f) {
  if (f) {
    int fd = fileno(f);
    if (fd >= 0) rt::fd::forget(fd);
  }
  return REAL(fclose)(f);
}

RINGLET_EXPORT int pclose(FILE* f) {
  if (f) {
    int fd = fileno(f);
    if (fd >= 0) rt::fd::forget(fd);
  }
  return REAL(pclose)(f);
}
