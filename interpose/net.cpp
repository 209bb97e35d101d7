// recv*, send*, accept*, connect (the "net" family) and the socket calls
// whose results the fd table records.
#include <sys/socket.h>
#include <sys/syscall.h>

#include "export.h"

using ringlet::edge;
using ringlet::fiber_path;
using rt::sys::call;

RINGLET_EXPORT ssize_t recv(int fd, void* buf, size_t n, int flags) {
  if (!fiber_path()) return REAL(recv)(fd, buf, n, flags);
  return edge(call(SYS_recvfrom, fd, buf, n, flags, 0, 0));
}

RINGLET_EXPORT ssize_t recvfrom(int fd, void* buf, size_t n, int flags, struct sockaddr* addr,
                                socklen_t* addrlen) {
  if (!fiber_path()) return REAL(recvfrom)(fd, buf, n, flags, addr, addrlen);
  return edge(call(SYS_recvfrom, fd, buf, n, flags, addr, addrlen));
}

RINGLET_EXPORT ssize_t recvmsg(int fd, struct msghdr* msg, int flags) {
  if (!fiber_path()) return REAL(recvmsg)(fd, msg, flags);
  return edge(call(SYS_recvmsg, fd, msg, flags));
}

RINGLET_EXPORT ssize_t send(int fd, const void* buf, size_t n, int flags) {
  if (!fiber_path()) return REAL(send)(fd, buf, n, flags);
  return edge(call(SYS_sendto, fd, buf, n, flags, 0, 0));
}

RINGLET_EXPORT ssize_t sendto(int fd, const void* buf, size_t n, int flags, const struct sockaddr* addr,
                              socklen_t addrlen) {
  if (!fiber_path()) return REAL(sendto)(fd, buf, n, flags, addr, addrlen);
  return edge(call(SYS_sendto, fd, buf, n, flags, addr, addrlen));
}

RINGLET_EXPORT ssize_t sendmsg(int fd, const struct msghdr* msg, int flags) {
  if (!fiber_path()) return REAL(sendmsg)(fd, msg, flags);
  return edge(call(SYS_sendmsg, fd, msg, flags));
}

RINGLET_EXPORT int accept(int fd, struct sockaddr* addr, socklen_t* addrlen) {
  if (!fiber_path()) return REAL(accept)(fd, addr, addrlen);
  return int(edge(call(SYS_accept, fd, addr, addrlen)));
}

RINGLET_EXPORT int accept4(int fd, struct sockaddr* addr, socklen_t* addrlen, int flags) {
  if (!fiber_path()) return REAL(accept4)(fd, addr, addrlen, flags);
  return int(edge(call(SYS_accept4, fd, addr, addrlen, flags)));
}

RINGLET_EXPORT int connect(int fd, const struct sockaddr* addr, socklen_t len) {
  if (!fiber_path()) return REAL(connect)(fd, addr, len);
  return int(edge(call(SYS_connect, fd, addr, len)));
}

// Recorded from every thread: the fd table must see every socket made.
RINGLET_EXPORT int socket(int domain, int type, int proto) noexcept {
  return int(edge(call(SYS_socket, domain, type, proto)));
}

RINGLET_EXPORT int socketpair(int domain, int type, int proto, int sv[2]) noexcept {
  return int(edge(call(SYS_socketpair, domain, type, proto, sv)));
}

RINGLET_EXPORT int setsockopt(int fd, int level, int name, const void* val, socklen_t len) noexcept {
  return int(edge(call(SYS_setsockopt, fd, level, name, val, len)));
}

RINGLET_EXPORT ssize_t __recv_chk(int fd, void* buf, size_t n, size_t buflen, int flags) {
  if (n > buflen) __chk_fail();
  return recv(fd, buf, n, flags);
}

RINGLET_EXPORT ssize_t __recvfrom_chk(int fd, void* buf, size_t n, size_t buflen, int flags,
                                      struct sockaddr* addr, socklen_t* addrlen) {
  if (n > buflen) __chk_fail();
  return recvfrom(fd, buf, n, flags, addr, addrlen);
}
