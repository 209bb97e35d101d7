/* What the connection-count clients of tools/load share (conn_hold,
 * conn_churn): the server's address, a descriptor limit large enough for N
 * connections, and a non-blocking connect registered with an epoll set.
 * Each failure is one line on stderr naming `name`, then exit 1 (2 for a bad
 * argument). */
#ifndef RINGLET_LOAD_CONN_H
#define RINGLET_LOAD_CONN_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double conn_mono(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double conn_num(const char *name, const char *opt, const char *s, double min, double max) {
  char *end;
  double v = strtod(s, &end);
  if (*s == '\0' || *end || v < min || v > max) {
    fprintf(stderr, "%s: bad value for %s: %s\n", name, opt, s);
    exit(2);
  }
  return v;
}

static struct sockaddr_in conn_addr(const char *name, const char *host, long port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)port);
  if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
    fprintf(stderr, "%s: not an IPv4 address: %s\n", name, host);
    exit(2);
  }
  return a;
}

static void conn_fd_limit(const char *name, long conns) {
  struct rlimit rl;
  rlim_t need = (rlim_t)conns + 32;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need) return;
  if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
    fprintf(stderr, "%s: %ld connections need %llu descriptors; the hard limit is %llu\n", name, conns,
            (unsigned long long)need, (unsigned long long)rl.rlim_max);
    exit(1);
  }
  rl.rlim_cur = need;
  if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
    fprintf(stderr, "%s: setrlimit: %s\n", name, strerror(errno));
    exit(1);
  }
}

/* Starts a non-blocking connect; the socket is in `ep` (edge-triggered, in
 * and out) with `ptr`. Returns the descriptor, or -errno where the connect
 * failed at once in a way worth retrying (refused, no port, no memory). */
static int conn_open(const char *name, int ep, const struct sockaddr_in *a, void *ptr) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    fprintf(stderr, "%s: socket: %s\n", name, strerror(errno));
    exit(1);
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = ptr};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
    fprintf(stderr, "%s: epoll_ctl: %s\n", name, strerror(errno));
    exit(1);
  }
  if (connect(fd, (const struct sockaddr *)a, sizeof *a) == 0 || errno == EINPROGRESS) return fd;
  int err = errno;
  close(fd);
  if (err == ECONNREFUSED || err == EAGAIN || err == EADDRNOTAVAIL || err == ETIMEDOUT || err == ECONNRESET ||
      err == EINTR)
    return -err;
  fprintf(stderr, "%s: connect: %s\n", name, strerror(err));
  exit(1);
}

/* After EPOLLOUT on a connecting socket: 0 once connected, else the error. */
static int conn_result(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  return err;
}

#endif
