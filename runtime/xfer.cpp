#include "xfer.h"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <liburing.h>
#include <poll.h>

#include "abi/tls.h"
#include "config.h"
#include "io_wait.h"
#include "raw.h"

namespace rt::xfer {

namespace {

// The payload as an iovec array that a partial write can advance.
struct Cursor {
  iovec one;
  iovec small[8];
  iovec* v = nullptr;
  int n = 0;
  bool heap = false;
  msghdr mh{};  // sendmsg: the caller's header over our iovecs

  ~Cursor() {
    if (heap) free(v);
  }
  // Copies the caller's iovecs only when they may need advancing.
  int init(const Req& r, bool advancing) {
    const iovec* src;
    int cnt;
    if (r.msg) {
      src = r.msg->msg_iov;
      cnt = int(r.msg->msg_iovlen);
    } else if (r.iov) {
      src = r.iov;
      cnt = r.iovcnt;
    } else {
      one = {r.buf, r.len};
      v = &one;
      n = 1;
      return 0;
    }
    if (!advancing || cnt <= 0) {
      v = const_cast<iovec*>(src);
      n = cnt;
    } else {
      v = cnt <= 8 ? small : static_cast<iovec*>(malloc(sizeof(iovec) * size_t(cnt)));
      if (!v) return -ENOMEM;
      heap = v != small;
      memcpy(v, src, sizeof(iovec) * size_t(cnt));
      n = cnt;
    }
    if (r.msg) {
      mh = *r.msg;
      mh.msg_iov = v;
      mh.msg_iovlen = size_t(n);
    }
    return 0;
  }
  size_t total() const {
    size_t t = 0;
    for (int i = 0; i < n; ++i) t += v[i].iov_len;
    return t;
  }
  void advance(size_t k) {
    while (n > 0 && k >= v->iov_len) {
      k -= v->iov_len;
      ++v;
      --n;
    }
    if (n > 0) {
      v->iov_base = static_cast<char*>(v->iov_base) + k;
      v->iov_len -= k;
    }
    mh.msg_iov = v;
    mh.msg_iovlen = size_t(n);
    // Ancillary data goes with the first bytes only.
    mh.msg_control = nullptr;
    mh.msg_controllen = 0;
  }
};

// One attempt by system call; with nowait, one that must not block.
long attempt(const Req& r, Cursor& c, bool nowait) {
  if (!r.sock) {
    long nr = r.write ? SYS_pwritev2 : SYS_preadv2;
    return raw::sys(nr, r.fd, c.v, c.n, -1L, 0L, nowait ? RWF_NOWAIT : 0);
  }
  int fl = r.flags | (nowait ? MSG_DONTWAIT : 0);
  if (r.msg) {
    if (r.write) return raw::sys(SYS_sendmsg, r.fd, &c.mh, fl);
    return raw::sys(SYS_recvmsg, r.fd, r.msg, fl);
  }
  if (r.write) return raw::sys(SYS_sendto, r.fd, c.v->iov_base, c.v->iov_len, fl, r.addr, r.destlen);
  return raw::sys(SYS_recvfrom, r.fd, c.v->iov_base, c.v->iov_len, fl, r.addr, r.addrlen);
}

// What one read or write may move, as the kernel caps it (MAX_RW_COUNT);
// also keeps a length within an SQE's 32 bits.
constexpr size_t kMaxRw = 0x7ffff000;

// The same transfer through io_uring, waiting until `deadline`.
long ring_op(const Req& r, Cursor& c, const fd::Info& fi, int64_t deadline) {
  io_uring_sqe* s = io_sqe();
  IoOp op;
  msghdr tmp{};
  size_t len = c.n == 1 && c.v->iov_len > kMaxRw ? kMaxRw : (c.n == 1 ? c.v->iov_len : 0);
  if (!r.sock) {
    if (c.n == 1) {
      if (r.write) io_uring_prep_write(s, r.fd, c.v->iov_base, unsigned(len), -1ULL);
      else io_uring_prep_read(s, r.fd, c.v->iov_base, unsigned(len), -1ULL);
    } else {
      if (r.write) io_uring_prep_writev(s, r.fd, c.v, unsigned(c.n), -1ULL);
      else io_uring_prep_readv(s, r.fd, c.v, unsigned(c.n), -1ULL);
    }
    return io_submit_wait(s, op, deadline);
  }
  int fl = r.flags;
  // A blocking send on a stream socket is all-or-error: let the kernel keep
  // going on partial progress instead of coming back through the ring.
  if (r.write && fi.kind == fd::kSocketStream) fl |= MSG_WAITALL;
  if (r.msg) {
    if (r.write) io_uring_prep_sendmsg(s, r.fd, &c.mh, unsigned(fl));
    else io_uring_prep_recvmsg(s, r.fd, r.msg, unsigned(fl));
    return io_submit_wait(s, op, deadline);
  }
  if (!r.addr) {
    if (r.write) io_uring_prep_send(s, r.fd, c.v->iov_base, len, fl);
    else io_uring_prep_recv(s, r.fd, c.v->iov_base, len, fl);
    return io_submit_wait(s, op, deadline);
  }
  // recvfrom/sendto with an address: a message header on our stack, which
  // outlives the request because we wait for its CQE.
  tmp.msg_name = r.addr;
  tmp.msg_namelen = r.write ? r.destlen : (r.addrlen ? *r.addrlen : 0);
  tmp.msg_iov = c.v;
  tmp.msg_iovlen = size_t(c.n);
  if (r.write) io_uring_prep_sendmsg(s, r.fd, &tmp, unsigned(fl));
  else io_uring_prep_recvmsg(s, r.fd, &tmp, unsigned(fl));
  long res = io_submit_wait(s, op, deadline);
  if (!r.write && res >= 0 && r.addrlen) *r.addrlen = tmp.msg_namelen;
  return res;
}

// Copy mode (abi/tls.h): whether the kernel would use memory in the
// carrier's TLS while the fiber is parked.
bool touches_tls(const Req& r, const Cursor& c) {
  if (!tls::g_copy_span) return false;
  if (tls::aliased_iov(c.v, c.n)) return true;
  if (r.addrlen && tls::aliased(r.addrlen, sizeof *r.addrlen)) return true;
  if (r.addr && tls::aliased(r.addr, r.write ? r.destlen : sizeof(sockaddr_storage))) return true;
  const msghdr* m = r.msg;
  return m && (tls::aliased(m, sizeof *m) || tls::aliased(m->msg_name, m->msg_namelen) ||
               tls::aliased(m->msg_control, m->msg_controllen));
}

// The transfer for such memory: readiness through the ring (which touches
// no user memory), then a non-blocking attempt, until one moves data.
long ready_op(const Req& r, Cursor& c, int64_t deadline) {
  for (;;) {
    long w = io_wait_ready(r.fd, r.write ? POLLOUT : POLLIN, deadline);
    if (w < 0) return w;
    long res = attempt(r, c, true);
    if (res != -EAGAIN) return res;
  }
}

}  // namespace

// Whether a call makes a non-blocking attempt before it goes to the ring.
// A write almost always completes at once (there is room in the socket or
// pipe buffer); through the ring it parks the fiber until the next
// submission, which costs a switch away and one back. Where each switch
// writes the FS base with a system call (per-fiber TLS without FSGSBASE,
// 3.5 us in a VM), one non-blocking write is cheaper than the two switches;
// elsewhere the ring's batching wins (tools/bench B3, B8). Reads usually find
// nothing yet in request/response traffic, so they go to the ring at once.
static bool attempt_first(const Req& r, const fd::Info& fi) {
  if (fi.kind == fd::kChar || fi.kind == fd::kOther) return true;
  switch (config::cfg.io) {
    case config::IoMode::Try: return true;
    case config::IoMode::Ring: return false;
    case config::IoMode::Auto: break;
  }
  return r.write && tls::mode() == tls::Mode::ArchPrctl;
}

long run(const Req& r, const fd::Info& fi) {
  // Partial progress continues only where the kernel would keep blocking:
  // writes on streams, pipes and terminals. Reads return what is there
  // (MSG_WAITALL is left to the kernel, which honours it on the ring too).
  bool loop = r.write && fi.kind != fd::kSocketDgram;
  Cursor c;
  if (int e = c.init(r, loop)) return e;
  size_t total = loop ? c.total() : 0;
  bool waitall = r.sock && (r.flags & MSG_WAITALL);
  bool no_nowait = r.write ? fi.no_nowait_write : fi.no_nowait;
  bool ready = touches_tls(r, c);
  // Without a non-blocking attempt to follow readiness, memory in copied
  // TLS goes to the kernel by the plain call, which blocks the carrier.
  if (ready && (waitall || no_nowait)) return attempt(r, c, false);
  bool try_first = ready || (!waitall && !no_nowait && attempt_first(r, fi));
  int64_t timeout = fi.socket() ? (r.write ? fi.sndtimeo : fi.rcvtimeo) : 0;
  int64_t deadline = 0;  // set when the call first has to wait
  size_t done = 0;
  for (;;) {
    long res = -EAGAIN;
    if (try_first) {
      res = attempt(r, c, true);
      if (res == -EOPNOTSUPP && !r.sock) {
        fd::set_no_nowait(r.fd, r.write);  // e.g. /proc files: no RWF_NOWAIT
        if (ready) return done ? long(done) : attempt(r, c, false);
        try_first = false;
        res = -EAGAIN;
      }
    }
    if (res == -EAGAIN) {
      if (!fi.exact && fd::nonblock_now(r.fd)) {
        // Someone made it non-blocking behind our back: the kernel answers.
        res = try_first ? -EAGAIN : attempt(r, c, false);
      } else {
        if (!deadline) deadline = deadline_after(timeout);
        res = ready ? ready_op(r, c, deadline) : ring_op(r, c, fi, deadline);
        if (res == kDeadlinePassed) res = -EAGAIN;  // SO_RCVTIMEO/SO_SNDTIMEO: EAGAIN
        // io_uring sends with MSG_NOSIGNAL; the kernel would have raised
        // SIGPIPE at the calling thread.
        if (res == -EPIPE && !ready && r.sock && r.write && !(r.flags & MSG_NOSIGNAL))
          raw::sys(SYS_tgkill, raw::sys(SYS_getpid), raw::gettid(), SIGPIPE);
      }
    }
    if (res < 0) return done ? long(done) : res;
    done += size_t(res);
    if (!loop || done >= total || res == 0) return long(done);
    c.advance(size_t(res));
  }
}

}  // namespace rt::xfer
