// Router handlers: read, write and their vector forms.
//
// Regular files, directories and block devices never "would block" and go
// straight to the kernel (moving them to io_uring is later work); so do
// descriptors the program made non-blocking. Everything else (sockets,
// pipes, terminals, eventfds...) goes through xfer::run.
#include <fcntl.h>
#include <climits>
#include <sys/uio.h>

#include "config.h"
#include "raw.h"
#include "sys.h"
#include "xfer.h"

namespace rt::sys {

namespace {

bool parks(const fd::Info& fi) { return fi.may_block() && !fi.nonblock; }

long h_read(const Args& a) {
  fd::Info fi = fd::get(int(a.a[0]));
  if (!parks(fi)) return pass(SYS_read, a);
  xfer::Req r;
  r.fd = int(a.a[0]);
  r.buf = reinterpret_cast<void*>(a.a[1]);
  r.len = size_t(a.a[2]);
  return xfer::run(r, fi);
}

long h_write(const Args& a) {
  fd::Info fi = fd::get(int(a.a[0]));
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
  if (a.a[3] != -1 || a.a[5] != 0) return pass(nr, a);
  return vector(nr, a, write);
}
long h_preadv2(const Args& a) { return v2(SYS_preadv2, a, false); }
long h_pwritev2(const Args& a) { return v2(SYS_pwritev2, a, true); }

constexpr uint32_t F = config::kIo;

}  // namespace

extern const Def kIoDefs[] = {
    {SYS_read, {"read", F, Policy::Ring, h_read, "sockets, pipes, terminals: park the fiber; files: kernel"}},
    {SYS_write, {"write", F, Policy::Ring, h_write, "as read; a blocking write returns when all is written"}},
    {SYS_readv, {"readv", F, Policy::Ring, h_readv, "as read"}},
    {SYS_writev, {"writev", F, Policy::Ring, h_writev, "as write"}},
    {SYS_preadv2, {"preadv2", F, Policy::Ring, h_preadv2, "offset -1 without flags: as readv; else kernel"}},
    {SYS_pwritev2, {"pwritev2", F, Policy::Ring, h_pwritev2, "offset -1 without flags: as writev; else kernel"}},
    {SYS_pread64, {"pread64", F, Policy::Pass, nullptr, "kernel (seekable files never wait for a peer)"}},
    {SYS_pwrite64, {"pwrite64", F, Policy::Pass, nullptr, "kernel"}},
    {SYS_preadv, {"preadv", F, Policy::Pass, nullptr, "kernel"}},
    {SYS_pwritev, {"pwritev", F, Policy::Pass, nullptr, "kernel"}},
};
extern const unsigned kIoDefCount = sizeof kIoDefs / sizeof kIoDefs[0];

}  // namespace rt::sys
