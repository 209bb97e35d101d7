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

#include "io_wait.h"
#include "raw.h"

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

}  // namespace

long file_rw(bool write, int fd, const iovec* iov, int cnt, int64_t off) {
  fd::Info fi = fd::get(fd);
  if (fi.no_nowait) return plain(write, fd, iov, cnt, off);
  if (cnt != 1) {
    // Vectors: one attempt, then one request (files do not split them).
    long r = nowait(write, fd, iov, cnt, off);
    if (r == -EOPNOTSUPP) {
      fd::set_no_nowait(fd);
      return plain(write, fd, iov, cnt, off);
    }
    return r == -EAGAIN ? ring_rw(write, fd, iov, cnt, off) : r;
  }
  char* base = static_cast<char*>(iov[0].iov_base);
  size_t total = iov[0].iov_len, done = 0;
  bool try_first = true;
  while (done < total) {
    iovec part{base + done, total - done};
    int64_t at = off < 0 ? -1 : off + int64_t(done);
    long r = -EAGAIN;
    if (try_first) {
      r = nowait(write, fd, &part, 1, at);
      if (r == -EOPNOTSUPP && done == 0) {
        fd::set_no_nowait(fd);
        return plain(write, fd, &part, 1, at);
      }
    }
    if (r == -EAGAIN || r == -EOPNOTSUPP) {
      try_first = false;  // the rest goes to the device anyway
      r = ring_rw(write, fd, &part, 1, at);
    }
    if (r < 0) return done ? long(done) : r;
    if (r == 0) break;  // end of file (or a zero-length device write)
    done += size_t(r);
  }
  return long(done);
}

long file_open(int dirfd, const char* path, int flags, unsigned mode) {
  // Linux's open_how; RESOLVE_CACHED (5.12): -EAGAIN unless the dentry
  // cache can answer (always with O_CREAT, O_TRUNC or O_TMPFILE).
  struct {
    uint64_t flags, mode, resolve;
  } how{uint64_t(uint32_t(flags)), (flags & (O_CREAT | __O_TMPFILE)) ? uint64_t(mode & 07777) : 0, 0x20};
  long r = raw::sys(SYS_openat2, dirfd, path, &how, sizeof how);
  if (r != -EAGAIN && r != -ENOSYS && r != -EINVAL && r != -E2BIG) return r;
  IoOp op;
  io_uring_sqe* s = io_sqe();
  io_uring_prep_openat(s, dirfd, path, flags, mode);
  return io_submit_wait(s, op, kNoDeadline);
}

long file_sync(int fd, bool datasync) {
  IoOp op;
  io_uring_sqe* s = io_sqe();
  io_uring_prep_fsync(s, fd, datasync ? IORING_FSYNC_DATASYNC : 0);
  return io_submit_wait(s, op, kNoDeadline);
}

}  // namespace rt::sys
