/* conn_churn: short-lived connections against an echo server (issue 5, B7).
 * C clients at once, each in a loop: connect, R round trips of S bytes,
 * close, connect again.
 *
 *   conn_churn --port P [--host 127.0.0.1] --concurrency C --seconds D
 *              [--rounds R] [--size S] [--warmup SEC] [--timeout SEC]
 *
 * One thread, one epoll set. Connections completed during the D seconds after
 * the warm-up (default 1 s) are counted. The client closes first, so the
 * TIME_WAIT states are on its side (the kernel reuses them for loopback
 * connections: net.ipv4.tcp_tw_reuse). Prints one line:
 *   concurrency=C rounds=R seconds=T connections=X rate=Y errors=E
 * (rate in connections per second; errors: connects refused or reset, which
 * are retried) and exits 1 on a wrong echo or no progress for --timeout
 * seconds (default 10). */
#include <signal.h>
#include <stdint.h>

#include "conn.h"

enum { CONNECTING, SENT };

struct slot {
  int fd, state, round, got;
};

static const char *const name = "conn_churn";
static struct sockaddr_in addr;
static int ep;
static long errors;

static void start(struct slot *s) {
  for (;;) {
    int fd = conn_open(name, ep, &addr, s);
    if (fd >= 0) {
      s->fd = fd, s->state = CONNECTING, s->round = 0, s->got = 0;
      return;
    }
    errors++;
  }
}

int main(int argc, char **argv) {
  const char *host = "127.0.0.1";
  long port = -1, conc = 0, rounds = 3, size = 64;
  double seconds = 0, warmup = 1, timeout = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    const char *a = argv[i], *v = argv[i + 1];
    if (!strcmp(a, "--port")) port = (long)conn_num(name, a, v, 1, 65535);
    else if (!strcmp(a, "--host")) host = v;
    else if (!strcmp(a, "--concurrency")) conc = (long)conn_num(name, a, v, 1, 100000);
    else if (!strcmp(a, "--seconds")) seconds = conn_num(name, a, v, 0.01, 1e6);
    else if (!strcmp(a, "--rounds")) rounds = (long)conn_num(name, a, v, 1, 1e6);
    else if (!strcmp(a, "--size")) size = (long)conn_num(name, a, v, 1, 65536);
    else if (!strcmp(a, "--warmup")) warmup = conn_num(name, a, v, 0, 1e6);
    else if (!strcmp(a, "--timeout")) timeout = conn_num(name, a, v, 0.1, 1e6);
    else port = -2;
  }
  if (port < 0 || conc <= 0 || seconds <= 0 || argc % 2 == 0) {
    fprintf(stderr,
            "usage: conn_churn --port P [--host ADDR] --concurrency C --seconds D [--rounds R] [--size S] "
            "[--warmup SEC] [--timeout SEC]\n");
    return 2;
  }
  addr = conn_addr(name, host, port);
  conn_fd_limit(name, conc);
  signal(SIGPIPE, SIG_IGN);
  struct slot *slots = calloc((size_t)conc, sizeof *slots);
  unsigned char *msg = malloc((size_t)size), *buf = malloc((size_t)size);
  ep = epoll_create1(EPOLL_CLOEXEC);
  if (!slots || !msg || !buf || ep < 0) {
    fprintf(stderr, "%s: out of memory or epoll: %s\n", name, strerror(errno));
    return 1;
  }
  for (long i = 0; i < size; i++) msg[i] = (unsigned char)(i * 13 + 5);
  for (long i = 0; i < conc; i++) start(&slots[i]);

  double t0 = conn_mono(), t_on = t0 + warmup, t_off = t_on + seconds, progress = t0, now = t0;
  long done = 0, counted = 0;
  static struct epoll_event ev[1024];
  while (now < t_off) {
    int r = epoll_wait(ep, ev, 1024, 10);
    now = conn_mono();
    for (int i = 0; i < r; i++) {
      struct slot *s = ev[i].data.ptr;
      int err = 0;
      if (s->state == CONNECTING) {
        if (!(ev[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) continue;
        err = conn_result(s->fd);
        if (!err && write(s->fd, msg, (size_t)size) != size) err = errno ? errno : EIO;
        if (!err) s->state = SENT;
      } else if (ev[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) {
        for (;;) {
          ssize_t got = read(s->fd, buf + s->got, (size_t)(size - s->got));
          if (got < 0 && errno == EAGAIN) break;
          if (got <= 0) {
            err = got == 0 ? ECONNRESET : errno;
            break;
          }
          if (memcmp(buf + s->got, msg + s->got, (size_t)got) != 0) {
            fprintf(stderr, "%s: wrong echo\n", name);
            return 1;
          }
          s->got += (int)got;
          if (s->got < size) continue;
          progress = now;
          s->got = 0;
          if (++s->round < rounds) {
            if (write(s->fd, msg, (size_t)size) != size) err = errno ? errno : EIO;
            break;
          }
          close(s->fd);
          done++;
          if (now >= t_on) counted++;
          start(s);
          break;
        }
      }
      if (err) {
        errors++;
        close(s->fd);
        start(s);
      }
    }
    if (now - progress > timeout) {
      fprintf(stderr, "%s: no connection completed for %.0f s (%ld done, %ld errors)\n", name, timeout, done,
              errors);
      return 1;
    }
  }
  printf("concurrency=%ld rounds=%ld seconds=%.3f connections=%ld rate=%.1f errors=%ld\n", conc, rounds, seconds,
         counted, (double)counted / seconds, errors);
  return 0;
}
