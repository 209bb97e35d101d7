// Reads, writes and syncs of regular files (and block devices), so that a
// slow disk parks only the fiber that waits for it.
//
// A read or write first tries without waiting (preadv2/pwritev2 with
// RWF_NOWAIT: a page-cache hit costs what the plain call costs); only what
// would have to wait for the device goes to io_uring (READV/WRITEV at the
// given offset, or -1: the file position, which io_uring uses and moves as
// read(2) does). A single buffer is completed in full as the kernel's own
// read and write do for files (short only at end of file or on an error).
// A file system without RWF_NOWAIT (procfs, sysfs and other pseudo file
// systems, whose reads never wait for a device) gets the plain system call
// for every call on that descriptor. fsync and fdatasync are io_uring FSYNC.
#include "sys_file.h"

#include <fcntl.h>
#include <linux/fs.h>

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "fsig.h"
#include "io_wait.h"
#include "raw.h"
#include "abi/tls.h"
#include "sched.h"

namespace rt::sys {

namespace {

long nowait(bool write, int fd, const iovec* iov, int cnt, int64_t off) {
  return raw::sys(write ? SYS_pwritev2 : SYS_preadv2, fd, iov, cnt, off, 0, RWF_NOWAIT);
}

// The call as the program made it, straight to the kernel.
long plain(bool write, int fd, const iovec* iov, int cnt, int64_t off) {
  return raw::sys(write ? SYS_pwritev2 : SYS_preadv2, fd, iov, cnt, off, 0, 0);
}

long ring_rw(bool write, int fd, const iovec* iov, int cnt, int64_t off) {
  IoOp op;
  io_uring_sqe* s = io_sqe();
  if (write) io_uring_prep_writev(s, fd, iov, unsigned(cnt), uint64_t(off));
  else io_uring_prep_readv(s, fd, iov, unsigned(cnt), uint64_t(off));
  return io_submit_wait(s, op, kNoDeadline);
}

// io_uring reads the file position when a request starts and moves it at
// completion, outside the kernel's f_pos lock: two requests at the position
// on one descriptor must not overlap, as two threads' calls do not. A
// request at the position holds its descriptor's slot here meanwhile (the
// plain and RWF_NOWAIT calls take the kernel's lock themselves).
constexpr unsigned kPosSlots = 256;
std::atomic<uint8_t> g_pos_busy[kPosSlots];

long ring_at_position(bool write, int fd, const iovec* iov, int cnt) {
  std::atomic<uint8_t>& slot = g_pos_busy[unsigned(fd) % kPosSlots];
  while (slot.exchange(1, std::memory_order_acquire)) park_until(add_ns(now_ns(), 100000));
  long r = ring_rw(write, fd, iov, cnt, -1);
  slot.store(0, std::memory_order_release);
  return r;
}

long ring(bool write, int fd, const iovec* iov, int cnt, int64_t off) {
  return off < 0 ? ring_at_position(write, fd, iov, cnt) : ring_rw(write, fd, iov, cnt, off);
}

}  // namespace

long file_rw(bool write, int fd, const iovec* iov, int cnt, int64_t off) {
  fsig::Point uninterruptible(false);  // disk I/O: never EINTR, as natively
  fd::Info fi = fd::get(fd);
  size_t total = 0;
  for (int i = 0; i < cnt; ++i) total += iov[i].iov_len;
  // Nothing to move: the kernel's answer (EBADF for the wrong mode, EISDIR...).
  // Buffers in copied TLS must not be left to io_uring (abi/tls.h): the
  // plain call, which a disk finishes.
  if ((write ? fi.no_nowait_write : fi.no_nowait) || total == 0 || tls::aliased_iov(iov, cnt))
    return plain(write, fd, iov, cnt, off);
  long r = nowait(write, fd, iov, cnt, off);
  if (r == -EOPNOTSUPP) {
    fd::set_no_nowait(fd, write);
    return plain(write, fd, iov, cnt, off);
  }
  if (r == -EAGAIN) return ring(write, fd, iov, cnt, off);
  // Complete, end of file, an error, or a write that stopped short (a file
  // size limit: the kernel stops there too, and trying again would raise
  // SIGXFSZ).
  if (r < 0 || r == 0 || size_t(r) == total || write) return r;
  // A read that the page cache answered in part: the rest from the device,
  // as the kernel's own read goes on to it.
  size_t done = size_t(r);
  iovec small[8];
  iovec* rest = cnt <= 8 ? small : static_cast<iovec*>(malloc(sizeof(iovec) * size_t(cnt)));
  if (!rest) return long(done);
  int n = 0;
  size_t skip = done;
  for (int i = 0; i < cnt; ++i) {
    if (skip >= iov[i].iov_len) {
      skip -= iov[i].iov_len;
      continue;
    }
    rest[n++] = iovec{static_cast<char*>(iov[i].iov_base) + skip, iov[i].iov_len - skip};
    skip = 0;
  }
  while (done < total) {
    long k = ring(false, fd, rest, n, off < 0 ? -1 : off + int64_t(done));
    if (k <= 0) break;  // end of file, or an error after some bytes: what was read
    done += size_t(k);
    size_t adv = size_t(k);
    int first = 0;
    while (first < n && adv >= rest[first].iov_len) adv -= rest[first++].iov_len;
    if (first == n) break;
    rest[first].iov_base = static_cast<char*>(rest[first].iov_base) + adv;
    rest[first].iov_len -= adv;
    for (int i = first; i < n; ++i) rest[i - first] = rest[i];
    n -= first;
  }
  if (rest != small) free(rest);
  return long(done);
}

long file_open(int dirfd, const char* path, int flags, unsigned mode) {
  fsig::Point uninterruptible(false);  // disk I/O: never EINTR, as natively
  // Linux's open_how; RESOLVE_CACHED (5.12): -EAGAIN unless the dentry
  // cache can answer, and always with O_CREAT, O_TRUNC or O_TMPFILE (those
  // go to io_uring without asking).
  struct {
    uint64_t flags, mode, resolve;
  } how{uint64_t(uint32_t(flags)), (flags & (O_CREAT | __O_TMPFILE)) ? uint64_t(mode & 07777) : 0, 0x20};
  long r = -EAGAIN;
  if (!(flags & (O_CREAT | O_TRUNC | __O_TMPFILE))) {
    r = raw::sys(SYS_openat2, dirfd, path, &how, sizeof how);
    if (r != -EAGAIN && r != -ENOSYS && r != -EINVAL && r != -E2BIG) return r;
  }
  // procfs never reads a disk, and its thread-self and the like must be
  // resolved by the calling thread, not by io_uring's worker; a path in
  // copied TLS must not be left to io_uring either (abi/tls.h).
  if (path && (!strncmp(path, "/proc/", 6) || tls::aliased(path, 1))) return raw::sys(SYS_openat, dirfd, path, flags, mode);
  IoOp op;
  io_uring_sqe* s = io_sqe();
  io_uring_prep_openat(s, dirfd, path, flags, mode);
  return io_submit_wait(s, op, kNoDeadline);
}

long file_close(int fd) {
  fsig::Point uninterruptible(false);
  IoOp op;
  io_uring_sqe* s = io_sqe();
  io_uring_prep_close(s, fd);
  return io_submit_wait(s, op, kNoDeadline);
}

long file_sync(int fd, bool datasync) {
  fsig::Point uninterruptible(false);  // disk I/O: never EINTR, as natively
  IoOp op;
  io_uring_sqe* s = io_sqe();
  io_uring_prep_fsync(s, fd, datasync ? IORING_FSYNC_DATASYNC : 0);
  return io_submit_wait(s, op, kNoDeadline);
}

}  // namespace rt::sys
