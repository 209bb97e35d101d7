/* echo_openloop: an open-loop load generator for TCP echo servers, with
 * latency measured from each message's intended send time (no coordinated
 * omission: a slow server does not slow the schedule down, so its stalls
 * show in the tail instead of vanishing from it).
 *
 *   echo_openloop --port P [--host 127.0.0.1] --conns N --size S --rate R
 *                 --seconds D [--warmup SEC] [--timeout SEC]
 *
 * Message k (k = 0, 1, ...) is due at start + k/R and goes out on connection
 * k mod N, carrying k in its first 8 bytes. One thread, one epoll set,
 * non-blocking sockets; a message that cannot be written at once waits in
 * its connection's buffer and keeps its due time. The latency of a message
 * is the time from its due time to the end of its echo; those due during
 * the first --warmup seconds (default 1) are not counted.
 *
 * Prints one line on stdout:
 *   conns=N size=S rate=R seconds=D sent=X received=Y achieved=A
 *   p50_us=.. p90_us=.. p99_us=.. p999_us=.. max_us=..
 * and exits 1 on a byte mismatch, a connection failure, or no progress for
 * --timeout seconds (default 10). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void die(const char *what) {
  fprintf(stderr, "echo_openloop: %s: %s\n", what, strerror(errno));
  exit(1);
}

struct conn {
  int fd;
  char *out;            /* bytes not yet written */
  size_t out_len, out_cap;
  char *in;             /* a partly received message */
  size_t in_len;
  int want_out;
};

static size_t size;

static void fill(char *msg, uint64_t k) {
  memcpy(msg, &k, sizeof k);
  for (size_t i = sizeof k; i < size; i++) msg[i] = (char)(k * 131 + i);
}

static int check(const char *msg, uint64_t *k) {
  memcpy(k, msg, sizeof *k);
  for (size_t i = sizeof *k; i < size; i++)
    if (msg[i] != (char)(*k * 131 + i)) return -1;
  return 0;
}

static int cmp(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  const char *host = "127.0.0.1";
  int port = 0, conns = 0;
  double rate = 0, seconds = 0, warmup = 1, timeout = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    const char *k = argv[i], *v = argv[i + 1];
    if (!strcmp(k, "--host")) host = v;
    else if (!strcmp(k, "--port")) port = atoi(v);
    else if (!strcmp(k, "--conns")) conns = atoi(v);
    else if (!strcmp(k, "--size")) size = (size_t)atol(v);
    else if (!strcmp(k, "--rate")) rate = atof(v);
    else if (!strcmp(k, "--seconds")) seconds = atof(v);
    else if (!strcmp(k, "--warmup")) warmup = atof(v);
    else if (!strcmp(k, "--timeout")) timeout = atof(v);
    else {
      fprintf(stderr, "echo_openloop: unknown option %s\n", k);
      return 2;
    }
  }
  if (port <= 0 || conns <= 0 || size < 8 || rate <= 0 || seconds <= 0) {
    fprintf(stderr, "usage: echo_openloop --port P --conns N --size S(>=8) --rate R --seconds D "
                    "[--host H] [--warmup SEC] [--timeout SEC]\n");
    return 2;
  }
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
    fprintf(stderr, "echo_openloop: bad host %s\n", host);
    return 2;
  }
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  struct conn *c = calloc((size_t)conns, sizeof *c);
  if (!c) die("calloc");
  for (int i = 0; i < conns; i++) {
    /* Blocking connects, one by one: a thread-per-connection server's
     * accept queue never overflows, and the load starts with all in place. */
    c[i].fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c[i].fd < 0) die("socket");
    if (connect(c[i].fd, (struct sockaddr *)&sa, sizeof sa) != 0) die("connect");
    int one = 1;
    setsockopt(c[i].fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(c[i].fd, F_SETFL, O_NONBLOCK);
    c[i].in = malloc(size);
    if (!c[i].in) die("malloc");
    struct epoll_event e = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &e) != 0) die("epoll_ctl");
  }

  uint64_t total = (uint64_t)((warmup + seconds) * rate);
  int64_t *due = malloc(total * sizeof *due);
  int64_t *lat = malloc(total * sizeof *lat);
  char *msg = malloc(size);
  if (!due || !lat || !msg) die("malloc");
  double interval = 1e9 / rate;
  int64_t start = now_ns(), warm_end = start + (int64_t)(warmup * 1e9), last_progress = start;
  uint64_t next = 0, received = 0, counted = 0;
  struct epoll_event ev[256];
  while (received < total) {
    int64_t now = now_ns();
    /* Everything due by now goes out (or into its connection's buffer). */
    while (next < total && start + (int64_t)(next * interval) <= now) {
      struct conn *k = &c[next % (uint64_t)conns];
      due[next] = start + (int64_t)(next * interval);
      fill(msg, next);
      if (k->out_len + size > k->out_cap) {
        k->out_cap = (k->out_len + size) * 2;
        k->out = realloc(k->out, k->out_cap);
        if (!k->out) die("realloc");
      }
      memcpy(k->out + k->out_len, msg, size);
      k->out_len += size;
      next++;
      ssize_t w = send(k->fd, k->out, k->out_len, MSG_NOSIGNAL);
      if (w < 0 && errno != EAGAIN) die("send");
      if (w > 0) {
        memmove(k->out, k->out + w, k->out_len - (size_t)w);
        k->out_len -= (size_t)w;
      }
      if (k->out_len && !k->want_out) {
        struct epoll_event e = {.events = EPOLLIN | EPOLLOUT, .data.u32 = (uint32_t)(k - c)};
        epoll_ctl(ep, EPOLL_CTL_MOD, k->fd, &e);
        k->want_out = 1;
      }
    }
    int64_t wait_ns = next < total ? start + (int64_t)(next * interval) - now_ns() : 100000000;
    if (wait_ns < 0) wait_ns = 0;
    struct timespec ts = {wait_ns / 1000000000, wait_ns % 1000000000};
    int n = epoll_pwait2(ep, ev, 256, &ts, NULL);
    if (n < 0 && errno != EINTR) die("epoll_pwait2");
    now = now_ns();
    for (int i = 0; i < n; i++) {
      struct conn *k = &c[ev[i].data.u32];
      if (ev[i].events & EPOLLOUT && k->out_len) {
        ssize_t w = send(k->fd, k->out, k->out_len, MSG_NOSIGNAL);
        if (w < 0 && errno != EAGAIN) die("send");
        if (w > 0) {
          memmove(k->out, k->out + w, k->out_len - (size_t)w);
          k->out_len -= (size_t)w;
        }
        if (!k->out_len) {
          struct epoll_event e = {.events = EPOLLIN, .data.u32 = ev[i].data.u32};
          epoll_ctl(ep, EPOLL_CTL_MOD, k->fd, &e);
          k->want_out = 0;
        }
      }
      if (ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        for (;;) {
          ssize_t r = recv(k->fd, k->in + k->in_len, size - k->in_len, 0);
          if (r < 0 && errno == EAGAIN) break;
          if (r <= 0) {
            fprintf(stderr, "echo_openloop: connection %u closed or failed\n", ev[i].data.u32);
            return 1;
          }
          k->in_len += (size_t)r;
          if (k->in_len < size) continue;
          uint64_t id;
          if (check(k->in, &id) != 0 || id >= next) {
            fprintf(stderr, "echo_openloop: wrong bytes on connection %u\n", ev[i].data.u32);
            return 1;
          }
          k->in_len = 0;
          received++;
          last_progress = now;
          if (due[id] >= warm_end) lat[counted++] = now - due[id];
        }
      }
    }
    if (now - last_progress > (int64_t)(timeout * 1e9) && received < next) {
      fprintf(stderr, "echo_openloop: no echo for %.0f s (%llu of %llu back)\n", timeout,
              (unsigned long long)received, (unsigned long long)next);
      return 1;
    }
  }
  double elapsed = (double)(now_ns() - warm_end) / 1e9;
  qsort(lat, counted, sizeof *lat, cmp);
#define PCT(p) (counted ? (double)lat[(size_t)((p) * (double)(counted - 1))] / 1000.0 : 0.0)
  printf("conns=%d size=%zu rate=%.0f seconds=%.1f sent=%llu received=%llu achieved=%.0f "
         "p50_us=%.1f p90_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f\n",
         conns, size, rate, seconds, (unsigned long long)next, (unsigned long long)received,
         elapsed > 0 ? (double)counted / elapsed : 0.0, PCT(0.5), PCT(0.9), PCT(0.99), PCT(0.999),
         counted ? (double)lat[counted - 1] / 1000.0 : 0.0);
  return 0;
}
