/* SO_RCVTIMEO and SO_SNDTIMEO on TCP loopback sockets: recv, read and accept
 * give EAGAIN after the timeout; an accepted socket inherits the listener's
 * timeout; a blocked send returns the bytes it queued, or EAGAIN if none;
 * getsockopt gives back what was set; a timeout of 0 means wait forever. */
#include "check.h"
#include "clock.h"
#include "report.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>


static void set_timeout(int fd, int opt, long ms) {
  struct timeval tv = {ms / 1000, ms % 1000 * 1000};
  CHECK(setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof tv) == 0);
}

static long get_timeout_us(int fd, int opt) {
  struct timeval tv = {-1, -1};
  socklen_t len = sizeof tv;
  CHECK(getsockopt(fd, SOL_SOCKET, opt, &tv, &len) == 0 && len == sizeof tv);
  return tv.tv_sec * 1000000L + tv.tv_usec;
}

/* Runs the blocked call and checks it failed with EAGAIN after >= 180 ms. */
#define expect_timeout(what, call)                                              \
  do {                                                                          \
    double t0_ = now_ms();                                                      \
    errno = 0;                                                                  \
    long rc_ = (long)(call);                                                    \
    double took_ = now_ms() - t0_;                                              \
    fprintf(stderr, "%s: %ld (%s) after %.1f ms\n", what, rc_, strerror(errno), took_); \
    CHECK(rc_ == -1 && errno == EAGAIN && took_ >= 180 && took_ < 10000);       \
    printf("%s: EAGAIN after the timeout\n", what);                             \
  } while (0)

/* A blocking send of len bytes that cannot complete: after the timeout it
 * returns a partial count (partial == 1) or, for partial == 0, -1/EAGAIN or a
 * partial count, whichever Linux gives. */
static void send_timeout(const char *what, int fd, const char *data, size_t len, int partial) {
  double t0 = now_ms();
  errno = 0;
  ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
  double took = now_ms() - t0;
  fprintf(stderr, "%s: %zd (%s) after %.1f ms\n", what, n, strerror(errno), took);
  CHECK(took >= 180 && took < 10000);
  CHECK(n == -1 ? !partial && errno == EAGAIN : n > 0 && (size_t)n < len);
  printf("%s: %s after the timeout\n", what, partial ? "a partial count" : "EAGAIN or a partial count");
}

static int listener(struct sockaddr_in *addr) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  socklen_t len = sizeof *addr;
  *addr = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  CHECK(fd >= 0 && bind(fd, (struct sockaddr *)addr, sizeof *addr) == 0 && listen(fd, 16) == 0);
  CHECK(getsockname(fd, (struct sockaddr *)addr, &len) == 0);
  return fd;
}

static int connect_to(const struct sockaddr_in *addr) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(fd >= 0 && connect(fd, (const struct sockaddr *)addr, sizeof *addr) == 0);
  return fd;
}

static void *write_later(void *arg) {
  struct timespec ts = {0, 100 * 1000 * 1000};
  nanosleep(&ts, NULL);
  CHECK(write((int)(intptr_t)arg, "hello", 5) == 5);
  return NULL;
}

int main(void) {
  struct sockaddr_in addr;
  int lfd = listener(&addr);
  char buf[64];

  CHECK(get_timeout_us(lfd, SO_RCVTIMEO) == 0 && get_timeout_us(lfd, SO_SNDTIMEO) == 0);
  set_timeout(lfd, SO_RCVTIMEO, 200);
  CHECK(get_timeout_us(lfd, SO_RCVTIMEO) == 200000);
  printf("getsockopt(SO_RCVTIMEO) gives back 200 ms\n");
  expect_timeout("accept with SO_RCVTIMEO", accept(lfd, NULL, NULL));

  int c = connect_to(&addr);
  int a = accept(lfd, NULL, NULL);
  CHECK(a >= 0);
  long inherited = get_timeout_us(a, SO_RCVTIMEO);
  printf("accepted socket's SO_RCVTIMEO: %ld us\n", inherited);
  CHECK(inherited == 200000);
  expect_timeout("recv on the accepted socket (inherited timeout)", recv(a, buf, sizeof buf, 0));
  CHECK(get_timeout_us(c, SO_RCVTIMEO) == 0);
  set_timeout(c, SO_RCVTIMEO, 200);
  expect_timeout("recv", recv(c, buf, sizeof buf, 0));
  expect_timeout("read", read(c, buf, sizeof buf));

  /* Timeout 0 means no timeout: blocks until another thread writes. */
  set_timeout(c, SO_RCVTIMEO, 0);
  CHECK(get_timeout_us(c, SO_RCVTIMEO) == 0);
  pthread_t t;
  double t0 = now_ms(); /* the writer sleeps 100 ms from its start */
  CHECK(pthread_create(&t, NULL, write_later, (void *)(intptr_t)a) == 0);
  report_os_threads();
  ssize_t n = recv(c, buf, sizeof buf, 0);
  double took = now_ms() - t0;
  pthread_join(t, NULL);
  CHECK(n == 5 && memcmp(buf, "hello", 5) == 0 && took >= 90);
  printf("SO_RCVTIMEO of 0: recv waits for the data\n");

  /* SO_SNDTIMEO: the peer does not read, the send buffer is small. A send
   * that queued some bytes returns their count after the timeout. */
  int sndbuf = 4096;
  CHECK(setsockopt(c, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf) == 0);
  set_timeout(c, SO_SNDTIMEO, 200);
  CHECK(get_timeout_us(c, SO_SNDTIMEO) == 200000);
  printf("getsockopt(SO_SNDTIMEO) gives back 200 ms\n");
  size_t big = 8 << 20;
  char *data = calloc(1, big);
  send_timeout("TCP: send into a filling socket", c, data, big, 1);
  /* The TCP peer may still open its window a little: EAGAIN or a few bytes. */
  send_timeout("TCP: send into a full socket", c, data, big, 0);

  /* AF_UNIX: nothing is freed while the peer does not read. */
  int sv[2];
  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
  set_timeout(sv[0], SO_SNDTIMEO, 200);
  send_timeout("AF_UNIX: send into a filling socket", sv[0], data, big, 1);
  expect_timeout("AF_UNIX: send into a full socket", send(sv[0], data, big, MSG_NOSIGNAL));
  expect_timeout("AF_UNIX: write into a full socket", write(sv[0], data, 1));
  close(sv[0]), close(sv[1]);

  close(c), close(a), close(lfd);
  free(data);
  return 0;
}
