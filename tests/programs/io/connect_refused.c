/* connect() to a closed loopback port: ECONNREFUSED, blocking and not; the
 * errno survives while another thread makes a failing blocking call; connect
 * to a listening port succeeds. */
#include "check.h"
#include "report.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>


static struct sockaddr_in closed_addr;
static int gate[2]; /* the other thread writes here once its errno is EAGAIN */

/* A loopback address where nothing listens: bound, then closed. */
static struct sockaddr_in closed_port(void) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0);
  CHECK(getsockname(fd, (struct sockaddr *)&a, &len) == 0 && close(fd) == 0);
  return a;
}

/* Fails a blocking recv with EAGAIN (SO_RCVTIMEO), then a connect with
 * ECONNREFUSED, then releases the main thread and checks its own errno. */
static void *other_thread(void *arg) {
  int sv[2];
  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
  struct timeval tv = {0, 100 * 1000};
  CHECK(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
  char c;
  CHECK(recv(sv[0], &c, 1, 0) == -1 && errno == EAGAIN);
  CHECK(write(gate[1], "g", 1) == 1);
  CHECK(errno == EAGAIN);
  close(sv[0]), close(sv[1]);
  return NULL;
}

int main(void) {
  closed_addr = closed_port();
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(fd >= 0);
  int rc = connect(fd, (struct sockaddr *)&closed_addr, sizeof closed_addr);
  int err = errno;
  printf("connect to a closed port: %d, %s\n", rc, strerror(err));
  CHECK(rc == -1 && err == ECONNREFUSED);

  /* errno is per thread: a fresh ECONNREFUSED survives a blocking read
   * during which the other thread gets EAGAIN (a successful read leaves
   * errno alone). */
  close(fd);
  CHECK(pipe(gate) == 0);
  pthread_t t;
  CHECK(pthread_create(&t, NULL, other_thread, NULL) == 0);
  report_os_threads();
  fd = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(fd >= 0);
  CHECK(connect(fd, (struct sockaddr *)&closed_addr, sizeof closed_addr) == -1);
  char c;
  ssize_t n = read(gate[0], &c, 1);
  err = errno;
  CHECK(n == 1);
  pthread_join(t, NULL);
  printf("errno after a blocking read while another thread failed with EAGAIN: %s\n", strerror(err));
  CHECK(err == ECONNREFUSED);
  close(fd);

  /* A listening port. */
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof addr;
  CHECK(lfd >= 0 && bind(lfd, (struct sockaddr *)&addr, sizeof addr) == 0 && listen(lfd, 4) == 0);
  CHECK(getsockname(lfd, (struct sockaddr *)&addr, &len) == 0);
  fd = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0);
  int a = accept(lfd, NULL, NULL);
  CHECK(a >= 0 && write(fd, "hi", 2) == 2 && read(a, &c, 1) == 1 && c == 'h');
  printf("connect to a listening port: 0\n");
  close(a), close(fd), close(lfd);

  /* Nonblocking: EINPROGRESS, then poll reports the failure. */
  fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  CHECK(fd >= 0);
  rc = connect(fd, (struct sockaddr *)&closed_addr, sizeof closed_addr);
  printf("nonblocking connect to a closed port: %d, %s\n", rc, strerror(errno));
  CHECK(rc == -1 && errno == EINPROGRESS);
  struct pollfd p = {fd, POLLOUT, 0};
  CHECK(poll(&p, 1, 10000) == 1);
  printf("poll(POLLOUT) revents: %s%s%s%s\n", p.revents & POLLOUT ? "POLLOUT " : "",
         p.revents & POLLERR ? "POLLERR " : "", p.revents & POLLHUP ? "POLLHUP " : "",
         p.revents & ~(POLLOUT | POLLERR | POLLHUP) ? "other" : "");
  CHECK(p.revents == (POLLOUT | POLLERR | POLLHUP));
  int soerr = -1;
  socklen_t elen = sizeof soerr;
  CHECK(getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &elen) == 0);
  printf("SO_ERROR: %s\n", strerror(soerr));
  CHECK(soerr == ECONNREFUSED);
  CHECK(getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &elen) == 0 && soerr == 0);
  printf("SO_ERROR read again: 0 (reading clears it)\n");
  close(fd);
  return 0;
}
