// Router handlers: recv*, send*, accept, connect.
#include <cerrno>
#include <cstring>
#include <sys/socket.h>

#include "abi/tls.h"
#include "config.h"
#include "io_wait.h"
#include "raw.h"
#include "sys.h"
#include "xfer.h"

namespace rt::sys {

namespace {

// Blocking socket calls park; MSG_DONTWAIT, O_NONBLOCK and anything that is
// not a socket get the kernel's own answer.
bool parks(const fd::Info& fi, int flags) { return fi.socket() && !fi.nonblock && !(flags & MSG_DONTWAIT); }

// Reads of the error queue and of out-of-band data never wait, and a poll
// for POLLIN (io_uring's way of waiting) would not end them: the kernel's.
bool recv_parks(const fd::Info& fi, int flags) { return parks(fi, flags) && !(flags & (MSG_ERRQUEUE | MSG_OOB)); }

// Descriptors that arrive in SCM_RIGHTS take numbers ringlet never saw made.
void forget_passed_fds(const msghdr* m) {
  if (!m || !m->msg_control) return;
  for (cmsghdr* c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(const_cast<msghdr*>(m), c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const int* fds = reinterpret_cast<const int*>(CMSG_DATA(c));
    size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < n; ++i) fd::forget(fds[i]);
  }
}

// recvfrom(fd, buf, len, flags, addr, addrlen)
long h_recvfrom(const Args& a) {
  fd::Info fi = fd::get(int(a.a[0]));
  if (!recv_parks(fi, int(a.a[3]))) return pass(SYS_recvfrom, a);
  xfer::Req r;
  r.fd = int(a.a[0]);
  r.sock = true;
  r.buf = reinterpret_cast<void*>(a.a[1]);
  r.len = size_t(a.a[2]);
  r.flags = int(a.a[3]);
  r.addr = reinterpret_cast<sockaddr*>(a.a[4]);
  r.addrlen = reinterpret_cast<socklen_t*>(a.a[5]);
  if (!r.addrlen) r.addr = nullptr;
  return xfer::run(r, fi);
}

// sendto(fd, buf, len, flags, dest, destlen)
long h_sendto(const Args& a) {
  fd::Info fi = fd::get(int(a.a[0]));
  if (!parks(fi, int(a.a[3]))) return pass(SYS_sendto, a);
  xfer::Req r;
  r.fd = int(a.a[0]);
  r.sock = true;
  r.write = true;
  r.buf = reinterpret_cast<void*>(a.a[1]);
  r.len = size_t(a.a[2]);
  r.flags = int(a.a[3]);
  r.addr = reinterpret_cast<sockaddr*>(a.a[4]);
  r.destlen = socklen_t(a.a[5]);
  return xfer::run(r, fi);
}

long h_recvmsg(const Args& a) {
  auto* m = reinterpret_cast<msghdr*>(a.a[1]);
  fd::Info fi = fd::get(int(a.a[0]));
  long res;
  if (!recv_parks(fi, int(a.a[2]))) {
    res = pass(SYS_recvmsg, a);
  } else {
    xfer::Req r;
    r.fd = int(a.a[0]);
    r.sock = true;
    r.flags = int(a.a[2]);
    r.msg = m;
    res = xfer::run(r, fi);
  }
  if (res >= 0) forget_passed_fds(m);
  return res;
}

long h_sendmsg(const Args& a) {
  fd::Info fi = fd::get(int(a.a[0]));
  if (!parks(fi, int(a.a[2]))) return pass(SYS_sendmsg, a);
  xfer::Req r;
  r.fd = int(a.a[0]);
  r.sock = true;
  r.write = true;
  r.flags = int(a.a[2]);
  r.msg = reinterpret_cast<msghdr*>(a.a[1]);
  return xfer::run(r, fi);
}

long accept_common(long nr, const Args& a, int flags) {
  int fd = int(a.a[0]);
  fd::Info fi = fd::get(fd);
  auto* addr = reinterpret_cast<sockaddr*>(a.a[1]);
  auto* addrlen = reinterpret_cast<socklen_t*>(a.a[2]);
  long res;
  if (!parks(fi, 0)) {
    res = pass(nr, a);
  } else {
    // An address in copied TLS (abi/tls.h) is received on the stack and
    // copied out once the fiber runs again.
    sockaddr_storage own;
    socklen_t own_len = 0;
    bool bounce = addr && addrlen && (tls::aliased(addr, sizeof own) || tls::aliased(addrlen, sizeof *addrlen));
    if (bounce) own_len = sizeof own;
    IoOp op;
    io_uring_sqe* s = io_sqe();
    io_uring_prep_accept(s, fd, bounce ? reinterpret_cast<sockaddr*>(&own) : addr, bounce ? &own_len : addrlen,
                         flags);
    res = io_submit_wait(s, op, deadline_after(fi.rcvtimeo));
    if (res == kDeadlinePassed) res = -EAGAIN;
    if (bounce && res >= 0) {
      memcpy(addr, &own, *addrlen < own_len ? *addrlen : own_len);
      *addrlen = own_len;
    }
  }
  if (res >= 0) fd::accepted(int(res), fd, flags & SOCK_NONBLOCK);
  return res;
}

long h_accept(const Args& a) { return accept_common(SYS_accept, a, 0); }
long h_accept4(const Args& a) { return accept_common(SYS_accept4, a, int(a.a[3])); }

// connect(fd, addr, len). A blocking connect waits for the handshake; with
// SO_SNDTIMEO it gives up with EINPROGRESS, as Linux does, and the
// connection attempt goes on.
long h_connect(const Args& a) {
  int fd = int(a.a[0]);
  fd::Info fi = fd::get(fd);
  if (!parks(fi, 0) || fi.kind != fd::kSocketStream) return pass(SYS_connect, a);
  auto* addr = reinterpret_cast<const sockaddr*>(a.a[1]);
  auto len = socklen_t(a.a[2]);
  sockaddr_storage own;  // an address in copied TLS (abi/tls.h) goes from the stack
  if (tls::aliased(addr, len) && len <= sizeof own) {
    memcpy(&own, addr, len);
    addr = reinterpret_cast<const sockaddr*>(&own);
  }
  IoOp op;
  io_uring_sqe* s = io_sqe();
  io_uring_prep_connect(s, fd, addr, len);
  long res = io_submit_wait(s, op, deadline_after(fi.sndtimeo));
  return res == kDeadlinePassed ? -EINPROGRESS : res;
}

constexpr uint32_t F = config::kNet;

}  // namespace

extern const Def kNetDefs[] = {
    {SYS_recvfrom, {"recvfrom", F, Policy::Ring, h_recvfrom, "blocking socket: park the fiber; SO_RCVTIMEO honoured"}},
    {SYS_sendto, {"sendto", F, Policy::Ring, h_sendto, "blocking socket: park until all is sent; SO_SNDTIMEO"}},
    {SYS_recvmsg, {"recvmsg", F, Policy::Ring, h_recvmsg, "as recvfrom; fds received in SCM_RIGHTS recorded"}},
    {SYS_sendmsg, {"sendmsg", F, Policy::Ring, h_sendmsg, "as sendto"}},
    {SYS_accept, {"accept", F, Policy::Ring, h_accept, "blocking socket: park until a connection arrives"}},
    {SYS_accept4, {"accept4", F, Policy::Ring, h_accept4, "as accept; SOCK_NONBLOCK recorded"}},
    {SYS_connect, {"connect", F, Policy::Ring, h_connect, "blocking stream socket: park during the handshake"}},
};
extern const unsigned kNetDefCount = sizeof kNetDefs / sizeof kNetDefs[0];

}  // namespace rt::sys
