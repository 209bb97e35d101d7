/* A program that runs its own poll() loop on O_NONBLOCK sockets.
 *
 * First the O_NONBLOCK flag itself: set with fcntl, accept4(SOCK_NONBLOCK),
 * socket(SOCK_NONBLOCK) and ioctl(FIONBIO); F_GETFL shows it exactly when the
 * program set it; it is shared by dup()ed descriptors; a read on an empty
 * nonblocking socket gives EAGAIN at once; once cleared, read blocks again.
 * Then a single-threaded poll loop echoes for six client threads: four with
 * blocking sockets, one connected with socket(SOCK_NONBLOCK) and one made
 * nonblocking with FIONBIO (connect -> EINPROGRESS, poll POLLOUT, SO_ERROR). */
#include "check.h"
#include "clock.h"
#include "report.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>


enum { NCLIENTS = 6, ROUNDS = 40, MAXMSG = 30000 };
static struct sockaddr_in addr;

static int nonblocking(int fd) { return (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0; }

static int msg_size(int id, int r) { return 1 + (id * 7919 + r * 104729) % MAXMSG; }
static char pattern(int id, int r, int k) { return (char)(id * 59 + r * 13 + k * 3 + (k >> 9)); }

/* Moves exactly len bytes; on EAGAIN (nonblocking sockets) waits with poll. */
static void io_all(int fd, char *buf, size_t len, int out, long *eagains) {
  while (len > 0) {
    ssize_t n = out ? send(fd, buf, len, MSG_NOSIGNAL) : recv(fd, buf, len, 0);
    if (n < 0 && errno == EAGAIN) {
      ++*eagains;
      struct pollfd p = {fd, out ? POLLOUT : POLLIN, 0};
      CHECK(poll(&p, 1, 10000) == 1);
      continue;
    }
    if (n <= 0) FAIL("client %s: %zd (%s)", out ? "send" : "recv", n, strerror(errno));
    buf += n, len -= (size_t)n;
  }
}

static void *client(void *arg) {
  int id = (int)(intptr_t)arg;
  int fd = socket(AF_INET, SOCK_STREAM | (id == 4 ? SOCK_NONBLOCK : 0), 0);
  CHECK(fd >= 0);
  if (id == 5) {
    CHECK(!nonblocking(fd));
    int one = 1;
    CHECK(ioctl(fd, FIONBIO, &one) == 0);
  }
  CHECK(nonblocking(fd) == (id >= 4));
  int rc = connect(fd, (struct sockaddr *)&addr, sizeof addr);
  if (id >= 4) {
    CHECK(rc == -1 && errno == EINPROGRESS);
    struct pollfd p = {fd, POLLOUT, 0};
    CHECK(poll(&p, 1, 10000) == 1 && p.revents == POLLOUT);
    int err = -1;
    socklen_t len = sizeof err;
    CHECK(getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0);
  } else {
    CHECK(rc == 0);
  }
  char *out = malloc(MAXMSG), *in = malloc(MAXMSG);
  long eagains = 0;
  for (int r = 0; r < ROUNDS; r++) {
    int n = msg_size(id, r);
    for (int k = 0; k < n; k++) out[k] = pattern(id, r, k);
    io_all(fd, out, (size_t)n, 1, &eagains);
    memset(in, 0, (size_t)n);
    io_all(fd, in, (size_t)n, 0, &eagains);
    if (memcmp(in, out, (size_t)n) != 0) FAIL("client %d round %d: echoed bytes differ", id, r);
  }
  if (id < 4 && eagains) FAIL("client %d: EAGAIN on a blocking socket", id);
  fprintf(stderr, "client %d: %ld EAGAIN\n", id, eagains);
  CHECK(close(fd) == 0);
  free(out);
  free(in);
  return NULL;
}

static void *late_writer(void *arg) {
  struct timespec ts = {0, 100 * 1000 * 1000};
  nanosleep(&ts, NULL);
  CHECK(write((int)(intptr_t)arg, "late", 4) == 4);
  return NULL;
}

/* The O_NONBLOCK flag as the program sees it, on one connection. */
static void flag_checks(int lfd) {
  int c = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(c >= 0 && connect(c, (struct sockaddr *)&addr, sizeof addr) == 0);
  struct pollfd p = {lfd, POLLIN, 0};
  CHECK(poll(&p, 1, 10000) == 1 && p.revents == POLLIN);
  int a = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
  CHECK(a >= 0 && nonblocking(a) && !nonblocking(c));

  char buf[16];
  double t0 = now_ms();
  CHECK(read(a, buf, sizeof buf) == -1 && errno == EAGAIN);
  CHECK(recv(c, buf, sizeof buf, MSG_DONTWAIT) == -1 && errno == EAGAIN);
  double took = now_ms() - t0;
  fprintf(stderr, "two EAGAIN reads took %.3f ms\n", took);
  CHECK(took < 100);
  CHECK(!nonblocking(c)); /* MSG_DONTWAIT does not touch the flag */
  printf("read on an empty nonblocking socket: EAGAIN at once\n");
  printf("recv(MSG_DONTWAIT) on a blocking socket: EAGAIN at once\n");

  int d = dup(c);
  CHECK(d >= 0 && !nonblocking(d));
  CHECK(fcntl(c, F_SETFL, fcntl(c, F_GETFL) | O_NONBLOCK) == 0);
  CHECK(nonblocking(d));
  CHECK(read(d, buf, sizeof buf) == -1 && errno == EAGAIN);
  CHECK(fcntl(d, F_SETFL, fcntl(d, F_GETFL) & ~O_NONBLOCK) == 0);
  CHECK(!nonblocking(c));
  CHECK(close(d) == 0);
  printf("dup()ed descriptors share O_NONBLOCK\n");

  CHECK(fcntl(a, F_SETFL, fcntl(a, F_GETFL) & ~O_NONBLOCK) == 0);
  CHECK(!nonblocking(a));
  pthread_t t;
  t0 = now_ms(); /* the writer sleeps 100 ms from its start */
  CHECK(pthread_create(&t, NULL, late_writer, (void *)(intptr_t)c) == 0);
  ssize_t n = read(a, buf, sizeof buf);
  took = now_ms() - t0;
  fprintf(stderr, "blocking read took %.1f ms\n", took);
  CHECK(n == 4 && memcmp(buf, "late", 4) == 0 && took >= 90);
  pthread_join(t, NULL);
  printf("after clearing O_NONBLOCK, read blocks until data arrives\n");
  CHECK(close(a) == 0 && close(c) == 0);
}

struct conn { int fd, len, off; char buf[65536]; };

static void event_loop(int lfd) {
  static struct conn conns[NCLIENTS];
  struct pollfd pfd[NCLIENTS + 1];
  int nconns = 0, accepted = 0, closed = 0;
  long bytes = 0, spurious = 0;
  while (closed < NCLIENTS) {
    int n = 0;
    pfd[n++] = (struct pollfd){accepted < NCLIENTS ? lfd : -1, POLLIN, 0};
    for (int i = 0; i < nconns; i++)
      pfd[n++] = (struct pollfd){conns[i].fd, conns[i].len ? POLLOUT : POLLIN, 0};
    int ready = poll(pfd, (nfds_t)n, 10000);
    if (ready <= 0) FAIL("poll returned %d (%s)", ready, ready ? strerror(errno) : "timeout");
    if (pfd[0].revents & POLLIN) {
      int fd;
      while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
        CHECK(nonblocking(fd) && accepted < NCLIENTS);
        conns[nconns++] = (struct conn){.fd = fd};
        if (++accepted == NCLIENTS) report_os_threads();
      }
      CHECK(errno == EAGAIN);
    }
    for (int i = 0; i < nconns; i++) {
      struct conn *c = &conns[i];
      short re = pfd[i + 1].revents;
      if (!re || c->fd < 0) continue;
      if (c->len == 0) {
        ssize_t k = read(c->fd, c->buf, sizeof c->buf);
        if (k < 0 && errno == EAGAIN) spurious++;
        else if (k < 0) FAIL("server read: %s", strerror(errno));
        else if (k == 0) CHECK(close(c->fd) == 0), c->fd = -1, closed++;
        else c->len = (int)k, c->off = 0, bytes += k;
      } else {
        ssize_t k = write(c->fd, c->buf + c->off, (size_t)(c->len - c->off));
        if (k < 0 && errno == EAGAIN) spurious++;
        else if (k < 0) FAIL("server write: %s", strerror(errno));
        else if ((c->off += (int)k) == c->len) c->len = 0;
      }
    }
  }
  long expected = 0;
  for (int id = 0; id < NCLIENTS; id++)
    for (int r = 0; r < ROUNDS; r++) expected += msg_size(id, r);
  if (bytes != expected) FAIL("echoed %ld bytes, expected %ld", bytes, expected);
  fprintf(stderr, "event loop: %ld spurious EAGAIN\n", spurious);
}

int main(void) {
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(lfd >= 0);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  CHECK(bind(lfd, (struct sockaddr *)&addr, sizeof addr) == 0 && listen(lfd, 64) == 0);
  CHECK(getsockname(lfd, (struct sockaddr *)&addr, &len) == 0);
  CHECK(!nonblocking(lfd));
  CHECK(fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK) == 0);
  CHECK(nonblocking(lfd));
  double t0 = now_ms();
  CHECK(accept(lfd, NULL, NULL) == -1 && errno == EAGAIN);
  CHECK(now_ms() - t0 < 100);
  printf("accept on an idle nonblocking listener: EAGAIN at once\n");

  flag_checks(lfd);

  pthread_t t[NCLIENTS];
  for (int i = 0; i < NCLIENTS; i++) CHECK(pthread_create(&t[i], NULL, client, (void *)(intptr_t)i) == 0);
  event_loop(lfd);
  for (int i = 0; i < NCLIENTS; i++) pthread_join(t[i], NULL);
  printf("%d clients x %d messages echoed by one poll loop: all bytes ok\n", NCLIENTS, ROUNDS);
  return 0;
}
