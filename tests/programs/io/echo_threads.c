/* A thread-per-connection echo server and its clients in one process.
 *
 * usage: echo_threads CONNS ROUNDS SIZE
 *
 * A listener thread accepts CONNS connections and starts one detached thread
 * per connection that echoes with blocking calls until EOF. CONNS client
 * threads connect, wait until every client and every server thread is alive
 * (the peak, reported with report_os_threads), then each does ROUNDS round
 * trips of SIZE bytes whose content depends on the connection and the round,
 * and checks every byte. Connections use four styles of call, so that
 * read/write, recv/send, readv/writev and recvmsg/sendmsg are all exercised,
 * on both sides. */
#include "check.h"
#include "report.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/uio.h>


enum { STYLE_RW, STYLE_SENDRECV, STYLE_VEC, STYLE_MSG, NSTYLES };

static int conns, rounds, size;
static struct sockaddr_in server_addr;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static int alive;       /* client threads connected + server threads started */
static int server_done; /* server threads that saw EOF */

/* One transfer of at most len bytes in the given style; like read/write. */
static ssize_t xfer(int fd, char *buf, size_t len, int style, int out) {
  size_t half = len / 2;
  struct iovec iov[2] = {{buf, half}, {buf + half, len - half}};
  struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 2};
  switch (style) {
  case STYLE_RW: return out ? write(fd, buf, len) : read(fd, buf, len);
  case STYLE_SENDRECV: return out ? send(fd, buf, len, 0) : recv(fd, buf, len, 0);
  case STYLE_VEC: return out ? writev(fd, iov, 2) : readv(fd, iov, 2);
  default: return out ? sendmsg(fd, &msg, 0) : recvmsg(fd, &msg, 0);
  }
}

/* Moves exactly len bytes (a short count only at EOF). */
static size_t xfer_all(int fd, char *buf, size_t len, int style, int out) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = xfer(fd, buf + done, len - done, style, out);
    if (n < 0) FAIL("%s (style %d): %s", out ? "send" : "recv", style, strerror(errno));
    if (n == 0) break;
    done += (size_t)n;
  }
  return done;
}

static uint8_t pattern(int conn, int round, int k) {
  return (uint8_t)(conn * 131 + round * 31 + k * 7 + (k >> 8));
}

static void arrive(void) {
  pthread_mutex_lock(&lock);
  if (++alive == 2 * conns) {
    report_os_threads();
    pthread_cond_broadcast(&changed);
  }
  pthread_mutex_unlock(&lock);
}

static void *serve(void *arg) {
  int fd = (int)(intptr_t)arg >> 2, style = (int)(intptr_t)arg & 3;
  arrive();
  char *buf = malloc((size_t)size);
  long total = 0;
  for (;;) {
    ssize_t n = xfer(fd, buf, (size_t)size, style, 0);
    if (n < 0) FAIL("server recv (style %d): %s", style, strerror(errno));
    if (n == 0) break;
    if (xfer_all(fd, buf, (size_t)n, style, 1) != (size_t)n) FAIL("server: short send");
    total += n;
  }
  if (total != (long)rounds * size) FAIL("server echoed %ld bytes, expected %ld", total, (long)rounds * size);
  if (close(fd) != 0) FAIL("server close: %s", strerror(errno));
  free(buf);
  pthread_mutex_lock(&lock);
  server_done++;
  pthread_cond_broadcast(&changed);
  pthread_mutex_unlock(&lock);
  return NULL;
}

static void *listener(void *arg) {
  int lfd = (int)(intptr_t)arg;
  for (int i = 0; i < conns; i++) {
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0) FAIL("accept #%d: %s", i, strerror(errno));
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int err = pthread_create(&t, &attr, serve, (void *)(intptr_t)(fd << 2 | i % NSTYLES));
    if (err) FAIL("pthread_create (server #%d): %s", i, strerror(err));
    pthread_attr_destroy(&attr);
  }
  close(lfd);
  return NULL;
}

static void *client(void *arg) {
  int id = (int)(intptr_t)arg, style = (id / 3) % NSTYLES; /* differs from the server's */
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) FAIL("socket: %s", strerror(errno));
  if (connect(fd, (struct sockaddr *)&server_addr, sizeof server_addr) != 0)
    FAIL("client %d connect: %s", id, strerror(errno));
  arrive();
  pthread_mutex_lock(&lock);
  while (alive < 2 * conns) pthread_cond_wait(&changed, &lock);
  pthread_mutex_unlock(&lock);

  char *out = malloc((size_t)size), *in = malloc((size_t)size);
  for (int r = 0; r < rounds; r++) {
    for (int k = 0; k < size; k++) out[k] = (char)pattern(id, r, k);
    if (xfer_all(fd, out, (size_t)size, style, 1) != (size_t)size) FAIL("client %d: short send", id);
    memset(in, 0, (size_t)size);
    size_t got = xfer_all(fd, in, (size_t)size, style, 0);
    if (got != (size_t)size) FAIL("client %d round %d: EOF after %zu of %d bytes", id, r, got, size);
    for (int k = 0; k < size; k++)
      if ((uint8_t)in[k] != pattern(id, r, k))
        FAIL("client %d round %d byte %d: got %u, expected %u", id, r, k, (uint8_t)in[k], pattern(id, r, k));
  }
  if (close(fd) != 0) FAIL("client close: %s", strerror(errno));
  free(out);
  free(in);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 4) FAIL("usage: echo_threads CONNS ROUNDS SIZE");
  conns = atoi(argv[1]), rounds = atoi(argv[2]), size = atoi(argv[3]);
  if (conns < 1 || rounds < 1 || size < 2) FAIL("bad arguments");

  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  if (lfd < 0) FAIL("socket: %s", strerror(errno));
  server_addr.sin_family = AF_INET;
  server_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof server_addr;
  if (bind(lfd, (struct sockaddr *)&server_addr, sizeof server_addr) != 0 ||
      listen(lfd, 4096) != 0 || getsockname(lfd, (struct sockaddr *)&server_addr, &len) != 0)
    FAIL("bind/listen: %s", strerror(errno));

  pthread_t lt, *ct = calloc((size_t)conns, sizeof *ct);
  if (pthread_create(&lt, NULL, listener, (void *)(intptr_t)lfd)) FAIL("pthread_create (listener)");
  for (int i = 0; i < conns; i++) {
    int err = pthread_create(&ct[i], NULL, client, (void *)(intptr_t)i);
    if (err) FAIL("pthread_create (client #%d): %s", i, strerror(err));
  }
  for (int i = 0; i < conns; i++) pthread_join(ct[i], NULL);
  pthread_join(lt, NULL);
  pthread_mutex_lock(&lock);
  while (server_done < conns) pthread_cond_wait(&changed, &lock);
  pthread_mutex_unlock(&lock);
  printf("%d connections x %d round trips of %d bytes: all bytes ok\n", conns, rounds, size);
  free(ct);
  return 0;
}
