// Router handlers: read, write, their vector and positioned forms, fsync.
//
// Regular files and block devices go to sys_file (a try without waiting,
// then io_uring for what must wait for the device); sockets, pipes,
// terminals, eventfds... go through xfer::run, unless the program made them
// non-blocking.
#include <fcntl.h>
#include <climits>
#include <sys/uio.h>

#include "config.h"
#include "raw.h"
#include "sys.h"
#include "sys_file.h"
#include "xfer.h"

namespace rt::sys {

namespace {

bool parks(const fd::Info& fi) { return fi.may_block() && !fi.nonblock; }
bool file(const fd::Info& fi) { return fi.kind == fd::kRegular; }

long one(bool write, const Args& a, int64_t off) {
  iovec v{reinterpret_cast<void*>(a.a[1]), size_t(a.a[2])};
  return file_rw(write, int(a.a[0]), &v, 1, off);
}

long h_read(const Args& a) {
  fd::Info fi = fd::get(int(a.a[0]));
  if (file(fi)) return one(false, a, -1);
  if (!parks(fi)) return pass(SYS_read, a);
  xfer::Req r;
  r.fd = int(a.a[0]);
  r.buf = reinterpret_cast<void*>(a.a[1]);
  r.len = size_t(a.a[2]);
  return xfer::run(r, fi);
}

long h_write(const Args& a) {
  fd::Info fi = fd::get(int(a.a[0]));
  if (file(fi)) return one(true, a, -1);
  if (!parks(fi)) return pass(SYS_write, a);
  xfer::Req r;
  r.fd = int(a.a[0]);
  r.write = true;
  r.buf = reinterpret_cast<void*>(a.a[1]);
  r.len = size_t(a.a[2]);
  return xfer::run(r, fi);
}

long vector(long nr, const Args& a, bool write) {
  fd::Info fi = fd::get(int(a.a[0]));
  int cnt = int(a.a[2]);
  if (file(fi) && cnt > 0 && cnt <= IOV_MAX)
    return file_rw(write, int(a.a[0]), reinterpret_cast<const iovec*>(a.a[1]), cnt, -1);
  if (!parks(fi) || cnt <= 0 || cnt > IOV_MAX) return pass(nr, a);
  xfer::Req r;
  r.fd = int(a.a[0]);
  r.write = write;
  r.iov = reinterpret_cast<const iovec*>(a.a[1]);
  r.iovcnt = cnt;
  return xfer::run(r, fi);
}

long h_readv(const Args& a) { return vector(SYS_readv, a, false); }
long h_writev(const Args& a) { return vector(SYS_writev, a, true); }

// preadv2/pwritev2(fd, iov, cnt, pos_l, pos_h, flags): only the form that
// means "at the current position, blocking" (offset -1, no flags) can park;
// positioned I/O is for seekable files, which never would block.
long v2(long nr, const Args& a, bool write) {
  if (a.a[5] != 0) return pass(nr, a);
  if (a.a[3] != -1) {
    fd::Info fi = fd::get(int(a.a[0]));
    int cnt = int(a.a[2]);
    if (!file(fi) || a.a[3] < 0 || cnt <= 0 || cnt > IOV_MAX) return pass(nr, a);
    return file_rw(write, int(a.a[0]), reinterpret_cast<const iovec*>(a.a[1]), cnt, a.a[3]);
  }
  return vector(nr, a, write);
}
long h_preadv2(const Args& a) { return v2(SYS_preadv2, a, false); }
long h_pwritev2(const Args& a) { return v2(SYS_pwritev2, a, true); }

// pread64/pwrite64(fd, buf, n, off), preadv/pwritev(fd, iov, cnt, lo, hi):
// positioned I/O is for seekable files; anything else goes to the kernel.
long positioned(long nr, const Args& a, bool write, bool vec) {
  fd::Info fi = fd::get(int(a.a[0]));
  if (!file(fi) || a.a[3] < 0) return pass(nr, a);
  if (!vec) return one(write, a, a.a[3]);
  int cnt = int(a.a[2]);
  if (cnt <= 0 || cnt > IOV_MAX) return pass(nr, a);
  return file_rw(write, int(a.a[0]), reinterpret_cast<const iovec*>(a.a[1]), cnt, a.a[3]);
}
long h_pread64(const Args& a) { return positioned(SYS_pread64, a, false, false); }
long h_pwrite64(const Args& a) { return positioned(SYS_pwrite64, a, true, false); }
long h_preadv(const Args& a) { return positioned(SYS_preadv, a, false, true); }
long h_pwritev(const Args& a) { return positioned(SYS_pwritev, a, true, true); }

long sync(long nr, const Args& a, bool datasync) {
  fd::Info fi = fd::get(int(a.a[0]));
  if (!file(fi)) return pass(nr, a);
  return file_sync(int(a.a[0]), datasync);
}
long h_fsync(const Args& a) { return sync(SYS_fsync, a, false); }
long h_fdatasync(const Args& a) { return sync(SYS_fdatasync, a, true); }

constexpr uint32_t F = config::kIo;

}  // namespace

extern const Def kIoDefs[] = {
    {SYS_read,
     {"read", F, Policy::Ring, h_read,
      "sockets, pipes, terminals: park the fiber; files: a try without waiting, then io_uring"}},
    {SYS_write, {"write", F, Policy::Ring, h_write, "as read; a blocking write returns when all is written"}},
    {SYS_readv, {"readv", F, Policy::Ring, h_readv, "as read"}},
    {SYS_writev, {"writev", F, Policy::Ring, h_writev, "as write"}},
    {SYS_preadv2, {"preadv2", F, Policy::Ring, h_preadv2, "without flags: as readv (files: at the offset); else kernel"}},
    {SYS_pwritev2, {"pwritev2", F, Policy::Ring, h_pwritev2, "without flags: as writev; else kernel"}},
    {SYS_pread64, {"pread64", F, Policy::Ring, h_pread64, "files: as read, at the offset; else kernel"}},
    {SYS_pwrite64, {"pwrite64", F, Policy::Ring, h_pwrite64, "files: as write, at the offset; else kernel"}},
    {SYS_preadv, {"preadv", F, Policy::Ring, h_preadv, "as pread64"}},
    {SYS_pwritev, {"pwritev", F, Policy::Ring, h_pwritev, "as pwrite64"}},
    {SYS_fsync, {"fsync", F, Policy::Ring, h_fsync, "files: io_uring FSYNC; else kernel"}},
    {SYS_fdatasync, {"fdatasync", F, Policy::Ring, h_fdatasync, "files: io_uring FSYNC (data only); else kernel"}},
};
extern const unsigned kIoDefCount = sizeof kIoDefs / sizeof kIoDefs[0];

}  // namespace rt::sys
