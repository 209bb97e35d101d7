/* Descriptors closed or replaced while another thread is blocked on them,
 * as Linux does it for threads: the blocked call holds its own reference to
 * the open file, so close() and dup2() on the number return at once and the
 * call goes on with the old file (it is not woken: it completes when the old
 * file has data). A number reused meanwhile by a new file never receives
 * what the old call was waiting for, and the old call never receives the new
 * file's data.
 *  - pipe: close under a reader, reuse the number, write to both pipes;
 *  - stream socket: close under recv, then the peer sends;
 *  - dup2 over a pipe's read end under a reader;
 *  - dup3 over a socket under recv;
 *  - listening socket: close under accept, then a client connects;
 *  - shutdown(SHUT_RDWR) under recv: recv returns 0. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "report.h"

struct blocked {
  int fd;
  int sock;   /* recv instead of read */
  int accept; /* accept instead */
  ssize_t r;
  int err;
  char buf[16];
  atomic_int started;
};

static void *block_on(void *x) {
  struct blocked *b = x;
  atomic_store(&b->started, 1);
  if (b->accept) {
    b->r = accept(b->fd, NULL, NULL);
  } else if (b->sock) {
    b->r = recv(b->fd, b->buf, sizeof b->buf - 1, 0);
  } else {
    b->r = read(b->fd, b->buf, sizeof b->buf - 1);
  }
  b->err = errno;
  if (b->r > 0 && !b->accept) b->buf[b->r] = 0;
  return NULL;
}

static void start(pthread_t *t, struct blocked *b) {
  CHECK_RC(pthread_create(t, NULL, block_on, b), 0);
  while (!atomic_load(&b->started)) usleep(1000);
  usleep(50000); /* inside the call by now */
}

static const char *outcome(const struct blocked *b) {
  static char s[64];
  if (b->r < 0) snprintf(s, sizeof s, "-1 %s", strerror(b->err));
  else if (b->accept) snprintf(s, sizeof s, "a connection");
  else snprintf(s, sizeof s, "%zd '%s'", b->r, b->buf);
  return s;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  pthread_t t;
  struct blocked b;

  /* pipe: close under a reader, the number reused */
  int p[2], q[2];
  CHECK(pipe(p) == 0);
  memset(&b, 0, sizeof b);
  b.fd = p[0];
  start(&t, &b);
  CHECK(close(p[0]) == 0);
  CHECK(pipe(q) == 0);
  printf("pipe: close returned at once, number reused: %s\n", q[0] == p[0] ? "yes" : "no");
  CHECK(write(q[1], "new", 3) == 3);
  usleep(50000);
  printf("pipe: reader still blocked after data on the new pipe: %s\n", b.r == 0 && b.err == 0 ? "yes" : "no");
  CHECK(write(p[1], "old", 3) == 3);
  CHECK_RC(pthread_join(t, NULL), 0);
  printf("pipe: reader got %s\n", outcome(&b));
  char buf[8] = {0};
  CHECK(read(q[0], buf, sizeof buf - 1) == 3);
  printf("pipe: the new pipe kept its data: '%s'\n", buf);
  close(p[1]);
  close(q[0]);
  close(q[1]);

  /* stream socket: close under recv */
  int sv[2];
  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
  memset(&b, 0, sizeof b);
  b.fd = sv[0];
  b.sock = 1;
  start(&t, &b);
  CHECK(close(sv[0]) == 0);
  usleep(50000);
  printf("socket: recv still blocked after close: %s\n", b.r == 0 && b.err == 0 ? "yes" : "no");
  CHECK(send(sv[1], "late", 4, 0) == 4);
  CHECK_RC(pthread_join(t, NULL), 0);
  printf("socket: recv got %s\n", outcome(&b));
  close(sv[1]);

  /* dup2 over a pipe's read end */
  CHECK(pipe(p) == 0);
  int devnull = open("/dev/null", O_RDONLY);
  CHECK(devnull >= 0);
  memset(&b, 0, sizeof b);
  b.fd = p[0];
  start(&t, &b);
  CHECK(dup2(devnull, p[0]) == p[0]);
  usleep(50000);
  printf("dup2: reader still blocked: %s\n", b.r == 0 && b.err == 0 ? "yes" : "no");
  char z;
  printf("dup2: the number now reads /dev/null: %zd\n", read(p[0], &z, 1));
  CHECK(write(p[1], "pipe", 4) == 4);
  CHECK_RC(pthread_join(t, NULL), 0);
  printf("dup2: reader got %s\n", outcome(&b));
  close(p[0]);
  close(p[1]);

  /* dup3 over a socket */
  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
  int other[2];
  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, other) == 0);
  memset(&b, 0, sizeof b);
  b.fd = sv[0];
  b.sock = 1;
  start(&t, &b);
  CHECK(dup3(other[0], sv[0], O_CLOEXEC) == sv[0]);
  CHECK(send(other[1], "other", 5, 0) == 5);
  usleep(50000);
  printf("dup3: recv not given the new socket's data: %s\n", b.r == 0 && b.err == 0 ? "yes" : "no");
  CHECK(send(sv[1], "first", 5, 0) == 5);
  CHECK_RC(pthread_join(t, NULL), 0);
  printf("dup3: recv got %s\n", outcome(&b));
  memset(buf, 0, sizeof buf);
  CHECK(recv(sv[0], buf, sizeof buf - 1, 0) == 5);
  printf("dup3: the number now reads the new socket: '%s'\n", buf);
  close(sv[0]);
  close(sv[1]);
  close(other[0]);
  close(other[1]);

  /* listening socket: close under accept */
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(ls >= 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  CHECK(bind(ls, (struct sockaddr *)&a, sizeof a) == 0);
  socklen_t alen = sizeof a;
  CHECK(getsockname(ls, (struct sockaddr *)&a, &alen) == 0);
  CHECK(listen(ls, 8) == 0);
  memset(&b, 0, sizeof b);
  b.fd = ls;
  b.accept = 1;
  start(&t, &b);
  CHECK(close(ls) == 0);
  usleep(50000);
  printf("accept: still blocked after close: %s\n", b.r == 0 && b.err == 0 ? "yes" : "no");
  int c = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(connect(c, (struct sockaddr *)&a, sizeof a) == 0);
  CHECK_RC(pthread_join(t, NULL), 0);
  printf("accept: got %s\n", outcome(&b));
  if (b.r >= 0) close((int)b.r);
  close(c);

  /* shutdown wakes recv */
  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
  memset(&b, 0, sizeof b);
  b.fd = sv[0];
  b.sock = 1;
  start(&t, &b);
  report_os_threads();
  CHECK(shutdown(sv[0], SHUT_RDWR) == 0);
  CHECK_RC(pthread_join(t, NULL), 0);
  printf("shutdown: recv returned %s\n", outcome(&b));
  close(sv[0]);
  close(sv[1]);
  return 0;
}
