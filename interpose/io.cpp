// read, write and their vector and positioned forms (the "io" family).
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "export.h"

using ringlet::edge;
using ringlet::fiber_path;
using rt::sys::call;

#define ALIAS(name) __attribute__((alias(#name), visibility("default")))

RINGLET_EXPORT ssize_t read(int fd, void* buf, size_t n) {
  if (!fiber_path()) return REAL(read)(fd, buf, n);
  return edge(call(SYS_read, fd, buf, n));
}

RINGLET_EXPORT ssize_t write(int fd, const void* buf, size_t n) {
  if (!fiber_path()) return REAL(write)(fd, buf, n);
  return edge(call(SYS_write, fd, buf, n));
}

RINGLET_EXPORT ssize_t readv(int fd, const struct iovec* iov, int cnt) {
  if (!fiber_path()) return REAL(readv)(fd, iov, cnt);
  return edge(call(SYS_readv, fd, iov, cnt));
}

RINGLET_EXPORT ssize_t writev(int fd, const struct iovec* iov, int cnt) {
  if (!fiber_path()) return REAL(writev)(fd, iov, cnt);
  return edge(call(SYS_writev, fd, iov, cnt));
}

RINGLET_EXPORT ssize_t pread(int fd, void* buf, size_t n, off_t off) {
  if (!fiber_path()) return REAL(pread)(fd, buf, n, off);
  return edge(call(SYS_pread64, fd, buf, n, off));
}
extern "C" ssize_t pread64(int, void*, size_t, off64_t) ALIAS(pread);

RINGLET_EXPORT ssize_t pwrite(int fd, const void* buf, size_t n, off_t off) {
  if (!fiber_path()) return REAL(pwrite)(fd, buf, n, off);
  return edge(call(SYS_pwrite64, fd, buf, n, off));
}
extern "C" ssize_t pwrite64(int, const void*, size_t, off64_t) ALIAS(pwrite);

// The kernel takes the offset of the vector forms split in two longs; on
// x86-64 the low one holds all of it.
RINGLET_EXPORT ssize_t preadv(int fd, const struct iovec* iov, int cnt, off_t off) {
  if (!fiber_path()) return REAL(preadv)(fd, iov, cnt, off);
  return edge(call(SYS_preadv, fd, iov, cnt, off, 0));
}
extern "C" ssize_t preadv64(int, const struct iovec*, int, off64_t) ALIAS(preadv);

RINGLET_EXPORT ssize_t pwritev(int fd, const struct iovec* iov, int cnt, off_t off) {
  if (!fiber_path()) return REAL(pwritev)(fd, iov, cnt, off);
  return edge(call(SYS_pwritev, fd, iov, cnt, off, 0));
}
extern "C" ssize_t pwritev64(int, const struct iovec*, int, off64_t) ALIAS(pwritev);

RINGLET_EXPORT ssize_t preadv2(int fd, const struct iovec* iov, int cnt, off_t off, int flags) {
  if (!fiber_path()) return REAL(preadv2)(fd, iov, cnt, off, flags);
  return edge(call(SYS_preadv2, fd, iov, cnt, off, 0, flags));
}
extern "C" ssize_t preadv64v2(int, const struct iovec*, int, off64_t, int) ALIAS(preadv2);

RINGLET_EXPORT ssize_t pwritev2(int fd, const struct iovec* iov, int cnt, off_t off, int flags) {
  if (!fiber_path()) return REAL(pwritev2)(fd, iov, cnt, off, flags);
  return edge(call(SYS_pwritev2, fd, iov, cnt, off, 0, flags));
}
extern "C" ssize_t pwritev64v2(int, const struct iovec*, int, off64_t, int) ALIAS(pwritev2);

// _FORTIFY_SOURCE builds (Debian's packages) call these instead; glibc's own
// versions reach read/pread through internal names ringlet cannot see.
RINGLET_EXPORT ssize_t __read_chk(int fd, void* buf, size_t n, size_t buflen) {
  if (n > buflen) __chk_fail();
  return read(fd, buf, n);
}

RINGLET_EXPORT ssize_t __pread_chk(int fd, void* buf, size_t n, off_t off, size_t buflen) {
  if (n > buflen) __chk_fail();
  return pread(fd, buf, n, off);
}
extern "C" ssize_t __pread64_chk(int, void*, size_t, off64_t, size_t) ALIAS(__pread_chk);

RINGLET_EXPORT int fsync(int fd) {
  if (!fiber_path()) return REAL(fsync)(fd);
  return int(edge(call(SYS_fsync, fd)));
}

RINGLET_EXPORT int fdatasync(int fd) {
  if (!fiber_path()) return REAL(fdatasync)(fd);
  return int(edge(call(SYS_fdatasync, fd)));
}
