/* shutdown() from another thread wakes a thread blocked on the socket:
 * recv returns 0 after SHUT_RD or SHUT_RDWR; accept on a listener fails with
 * EINVAL after shutdown(SHUT_RD); a blocked send fails with EPIPE after
 * SHUT_WR (or returns the bytes it had queued). */
#include "check.h"
#include "clock.h"
#include "report.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>


enum { CALL_RECV, CALL_ACCEPT, CALL_SEND };
struct blocked {
  int fd, call;
  size_t len;
  char *buf;
  ssize_t rc;
  int err;
  double took, end;
};

static void *block(void *arg) {
  struct blocked *b = arg;
  double t0 = now_ms();
  errno = 0;
  switch (b->call) {
  case CALL_RECV: b->rc = recv(b->fd, b->buf, b->len, 0); break;
  case CALL_ACCEPT: b->rc = accept(b->fd, NULL, NULL); break;
  default: b->rc = send(b->fd, b->buf, b->len, MSG_NOSIGNAL);
  }
  b->err = errno;
  b->end = now_ms();
  b->took = b->end - t0;
  return NULL;
}

/* Starts a thread blocked in the call, shuts fd down after 100 ms, and
 * returns what the call returned once woken. */
static struct blocked shut_while_blocked(int call, int fd, char *buf, size_t len, int how) {
  struct blocked b = {.fd = fd, .call = call, .buf = buf, .len = len};
  pthread_t t;
  CHECK(pthread_create(&t, NULL, block, &b) == 0);
  sleep_ms(100);
  report_os_threads();
  double shut_at = now_ms();
  CHECK(shutdown(fd, how) == 0);
  pthread_join(t, NULL);
  fprintf(stderr, "call %d: %zd (%s) after %.1f ms\n", call, b.rc, strerror(b.err), b.took);
  if (b.end < shut_at) FAIL("call %d returned before the shutdown, after %.1f ms", call, b.took);
  return b;
}

static int tcp_listener(struct sockaddr_in *addr) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  socklen_t len = sizeof *addr;
  *addr = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  CHECK(fd >= 0 && bind(fd, (struct sockaddr *)addr, sizeof *addr) == 0 && listen(fd, 16) == 0);
  CHECK(getsockname(fd, (struct sockaddr *)addr, &len) == 0);
  return fd;
}

static void tcp_pair(int lfd, const struct sockaddr_in *addr, int sv[2]) {
  sv[0] = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(sv[0] >= 0 && connect(sv[0], (const struct sockaddr *)addr, sizeof *addr) == 0);
  sv[1] = accept(lfd, NULL, NULL);
  CHECK(sv[1] >= 0);
}

/* Fills the socket's send buffer with MSG_DONTWAIT until not one more byte fits. */
static void fill(int fd) {
  static char chunk[65536];
  for (size_t sz = sizeof chunk; sz > 0;) {
    ssize_t n = send(fd, chunk, sz, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0 && errno == EAGAIN) sz /= 2;
    else CHECK(n > 0);
  }
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  struct sockaddr_in addr;
  int lfd = tcp_listener(&addr), sv[2];
  char buf[4096];

  tcp_pair(lfd, &addr, sv);
  struct blocked b = shut_while_blocked(CALL_RECV, sv[1], buf, sizeof buf, SHUT_RD);
  CHECK(b.rc == 0);
  printf("recv blocked on a TCP socket, shutdown(SHUT_RD): returns 0\n");
  CHECK(send(sv[0], "more", 4, MSG_NOSIGNAL) == 4); /* the peer may still send */
  close(sv[0]), close(sv[1]);

  tcp_pair(lfd, &addr, sv);
  b = shut_while_blocked(CALL_RECV, sv[1], buf, sizeof buf, SHUT_RDWR);
  CHECK(b.rc == 0);
  CHECK(recv(sv[0], buf, sizeof buf, 0) == 0); /* the peer sees EOF */
  printf("recv blocked on a TCP socket, shutdown(SHUT_RDWR): returns 0, the peer sees EOF\n");
  close(sv[0]), close(sv[1]);

  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
  b = shut_while_blocked(CALL_RECV, sv[1], buf, sizeof buf, SHUT_RD);
  CHECK(b.rc == 0);
  printf("recv blocked on an AF_UNIX socket, shutdown(SHUT_RD): returns 0\n");
  close(sv[0]), close(sv[1]);

  b = shut_while_blocked(CALL_ACCEPT, lfd, NULL, 0, SHUT_RD);
  printf("accept blocked, shutdown(SHUT_RD) of the listener: %zd, %s\n", b.rc, strerror(b.err));
  CHECK(b.rc == -1 && b.err == EINVAL);
  int c = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(c >= 0 && connect(c, (struct sockaddr *)&addr, sizeof addr) == -1);
  printf("connect to the shut-down listener: %s\n", strerror(errno));
  CHECK(errno == ECONNREFUSED);
  close(c), close(lfd);

  /* A send that queued nothing fails with EPIPE. AF_UNIX: the full buffer
   * stays full while the peer does not read. */
  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
  fill(sv[0]);
  b = shut_while_blocked(CALL_SEND, sv[0], buf, 1000, SHUT_WR);
  printf("send blocked on a full AF_UNIX socket, shutdown(SHUT_WR): %zd, %s\n", b.rc, strerror(b.err));
  CHECK(b.rc == -1 && b.err == EPIPE);
  close(sv[0]), close(sv[1]);

  /* A large send that queued some bytes returns their count. */
  lfd = tcp_listener(&addr);
  tcp_pair(lfd, &addr, sv);
  int sndbuf = 65536;
  CHECK(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf) == 0);
  size_t big = 8 << 20;
  char *data = calloc(1, big);
  b = shut_while_blocked(CALL_SEND, sv[0], data, big, SHUT_WR);
  CHECK(b.rc > 0 && (size_t)b.rc < big);
  printf("large send blocked on a TCP socket, shutdown(SHUT_WR): a partial count\n");
  CHECK(send(sv[0], buf, 1, MSG_NOSIGNAL) == -1 && errno == EPIPE);
  printf("send after shutdown(SHUT_WR): EPIPE\n");
  close(sv[0]), close(sv[1]), close(lfd);
  free(data);
  return 0;
}
