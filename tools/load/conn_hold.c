/* conn_hold: opens N connections to an echo server, makes one 64-byte round
 * trip on each (so the server has accepted it and whatever serves it exists)
 * and then holds them all idle until SIGTERM or SIGINT. tools/bench measures
 * the server's memory per idle connection meanwhile (issue 5, B6).
 *
 *   conn_hold --port P [--host 127.0.0.1] --conns N [--connect-parallel K]
 *             [--timeout SEC]
 *
 * Prints "held=N seconds=T" on stdout once every connection has made its
 * round trip (T: time since the first connect), then waits. At most K
 * (default 64) connections are opening at once, so a server's accept queue
 * never overflows; refused connects are retried with a short backoff. Exits
 * 1 with one line on stderr on a wrong echo, a failed connection, or no
 * progress for --timeout seconds (default 20). */
#include <signal.h>
#include <stdint.h>

#include "conn.h"

#define MSG 64
#define MAX_ATTEMPTS 10

enum { WAITING, OPENING, ECHOING, HELD };

struct conn {
  int fd, state, attempts, got;
  double retry_at;
};

static const char *const name = "conn_hold";

int main(int argc, char **argv) {
  const char *host = "127.0.0.1";
  long port = -1, n = 0, parallel = 64;
  double timeout = 20;
  for (int i = 1; i + 1 < argc; i += 2) {
    const char *a = argv[i], *v = argv[i + 1];
    if (!strcmp(a, "--port")) port = (long)conn_num(name, a, v, 1, 65535);
    else if (!strcmp(a, "--host")) host = v;
    else if (!strcmp(a, "--conns")) n = (long)conn_num(name, a, v, 1, 1000000);
    else if (!strcmp(a, "--connect-parallel")) parallel = (long)conn_num(name, a, v, 1, 1000000);
    else if (!strcmp(a, "--timeout")) timeout = conn_num(name, a, v, 0.1, 1e6);
    else port = -2;
  }
  if (port < 0 || n <= 0 || argc % 2 == 0) {
    fprintf(stderr, "usage: conn_hold --port P [--host ADDR] --conns N [--connect-parallel K] [--timeout SEC]\n");
    return 2;
  }
  struct sockaddr_in addr = conn_addr(name, host, port);
  conn_fd_limit(name, n);
  signal(SIGPIPE, SIG_IGN);
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  sigprocmask(SIG_BLOCK, &stop, NULL);

  struct conn *c = calloc((size_t)n, sizeof *c);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (!c || ep < 0) {
    fprintf(stderr, "%s: out of memory or epoll: %s\n", name, strerror(errno));
    return 1;
  }
  unsigned char msg[MSG], buf[MSG];
  for (int i = 0; i < MSG; i++) msg[i] = (unsigned char)(i * 7 + 1);
  long next = 0, opening = 0, held = 0;
  double t0 = conn_mono(), progress = t0;
  static struct epoll_event ev[1024];
  while (held < n) {
    double now = conn_mono();
    for (long i = 0; i < next; i++) /* retries that are due */
      if (c[i].state == WAITING && c[i].attempts && c[i].retry_at <= now) {
        if (c[i].attempts >= MAX_ATTEMPTS) {
          fprintf(stderr, "%s: connection %ld refused %d times\n", name, i, c[i].attempts);
          return 1;
        }
        int fd = conn_open(name, ep, &addr, &c[i]);
        c[i].attempts++;
        if (fd >= 0) c[i].fd = fd, c[i].state = OPENING;
        else c[i].retry_at = now + 0.05;
      }
    while (next < n && opening < parallel) {
      struct conn *k = &c[next++];
      opening++;
      int fd = conn_open(name, ep, &addr, k);
      k->attempts = 1;
      if (fd >= 0) k->fd = fd, k->state = OPENING;
      else k->retry_at = now + 0.05;
    }
    int r = epoll_wait(ep, ev, 1024, 10);
    now = conn_mono();
    for (int i = 0; i < r; i++) {
      struct conn *k = ev[i].data.ptr;
      int err = 0;
      if (k->state == OPENING) {
        if (!(ev[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) continue;
        err = conn_result(k->fd);
        if (!err && write(k->fd, msg, MSG) != MSG) err = errno ? errno : EIO;
        if (!err) k->state = ECHOING;
      }
      if (!err && k->state == ECHOING && (ev[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP))) {
        ssize_t got = read(k->fd, buf + k->got, (size_t)(MSG - k->got));
        if (got > 0 && memcmp(buf + k->got, msg + k->got, (size_t)got) != 0) {
          fprintf(stderr, "%s: connection %ld: wrong echo\n", name, (long)(k - c));
          return 1;
        }
        if (got > 0) k->got += (int)got;
        else if (got == 0 || errno != EAGAIN) err = got == 0 ? ECONNRESET : errno;
        if (k->got == MSG) k->state = HELD, held++, opening--, progress = now;
      }
      if (err) { /* retry from the start */
        if (k->attempts >= MAX_ATTEMPTS) {
          fprintf(stderr, "%s: connection %ld failed %d times: %s\n", name, (long)(k - c), k->attempts,
                  strerror(err));
          return 1;
        }
        close(k->fd);
        k->fd = -1, k->got = 0, k->state = WAITING, k->retry_at = now + 0.05;
      }
    }
    if (now - progress > timeout) {
      fprintf(stderr, "%s: no progress for %.0f s: %ld of %ld connections held\n", name, timeout, held, n);
      return 1;
    }
  }
  printf("held=%ld seconds=%.3f\n", held, conn_mono() - t0);
  fflush(stdout);
  int sig;
  sigwait(&stop, &sig);
  return 0;
}
