// Data transfer on descriptors that may block (sockets, pipes, terminals):
// the common core of read/write/readv/writev/recv*/send*.
//
// Blocking semantics are the kernel's: a read returns what is there (a short
// count is normal), a write on a stream or pipe returns only when all of it
// is written, MSG_WAITALL waits for all of it, SO_RCVTIMEO/SO_SNDTIMEO end
// the wait with what was done so far or EAGAIN. The program's O_NONBLOCK and
// MSG_DONTWAIT get the kernel's answer directly.
//
// C in fiber context (router handlers).
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include "fd.h"

namespace rt::xfer {

struct Req {
  int fd = -1;
  bool write = false;
  // Payload: a plain buffer (iov == nullptr) or an iovec array.
  void* buf = nullptr;
  size_t len = 0;
  const iovec* iov = nullptr;
  int iovcnt = 0;
  // Socket calls: flags, and a msghdr for recvmsg/sendmsg (name, control)
  // or the address of recvfrom/sendto.
  bool sock = false;
  int flags = 0;
  msghdr* msg = nullptr;
  sockaddr* addr = nullptr;
  socklen_t* addrlen = nullptr;  // recvfrom: in/out
  socklen_t destlen = 0;         // sendto
};

// Returns bytes transferred or -errno. `fi` is fd::get(r.fd).
long run(const Req& r, const fd::Info& fi);

}  // namespace rt::xfer
