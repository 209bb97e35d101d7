/* echo_uring: a hand-written io_uring echo server, the ceiling for this
 * kernel (issue 5, peer 4). One thread, one ring: a multishot accept, then
 * per connection one RECV at a time into its own buffer and a SEND of what
 * arrived (resubmitted on a short send); the next RECV goes out once the
 * echo is written, so bytes are never reordered.
 *
 *   echo_uring [--port P] [--bind ADDR] [--entries N]
 *
 * Prints "port N" once listening and runs until SIGTERM or SIGINT. */
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "serve.h"

enum { kBuf = 16384 };
enum op { OP_ACCEPT, OP_RECV, OP_SEND };

struct conn {
  int fd;
  char buf[kBuf];
  size_t len, sent;  /* bytes received, and written back so far */
};

static struct io_uring ring;
static volatile sig_atomic_t stopping;
static void on_stop(int sig) {
  (void)sig;
  stopping = 1;
}

static void die(const char *what, int err) {
  fprintf(stderr, "echo_uring: %s: %s\n", what, strerror(err));
  exit(1);
}

static struct io_uring_sqe *sqe(void) {
  struct io_uring_sqe *s = io_uring_get_sqe(&ring);
  if (!s) {
    io_uring_submit(&ring);
    s = io_uring_get_sqe(&ring);
    if (!s) die("no SQE", EBUSY);
  }
  return s;
}

/* user_data: the connection pointer with the operation in its low bits. */
static void tag(struct io_uring_sqe *s, struct conn *c, enum op o) {
  io_uring_sqe_set_data64(s, (uint64_t)(uintptr_t)c | (uint64_t)o);
}

static void post_recv(struct conn *c) {
  struct io_uring_sqe *s = sqe();
  io_uring_prep_recv(s, c->fd, c->buf, kBuf, 0);
  tag(s, c, OP_RECV);
}

static void post_send(struct conn *c) {
  struct io_uring_sqe *s = sqe();
  io_uring_prep_send(s, c->fd, c->buf + c->sent, c->len - c->sent, MSG_NOSIGNAL);
  tag(s, c, OP_SEND);
}

static void post_accept(int ls) {
  struct io_uring_sqe *s = sqe();
  io_uring_prep_multishot_accept(s, ls, NULL, NULL, 0);
  tag(s, NULL, OP_ACCEPT);
}

static void drop(struct conn *c) {
  close(c->fd);
  free(c);
}

int main(int argc, char **argv) {
  int port = 0;
  unsigned entries = 4096;
  const char *bind_addr = "127.0.0.1";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--bind")) bind_addr = argv[i + 1];
    else if (!strcmp(argv[i], "--entries")) entries = (unsigned)atoi(argv[i + 1]);
    else {
      fprintf(stderr, "usage: echo_uring [--port P] [--bind ADDR] [--entries N]\n");
      return 2;
    }
  }
  int ls = serve_listen("echo_uring", bind_addr, port, 0, on_stop);
  int one = 1;
  struct io_uring_params p;
  memset(&p, 0, sizeof p);
  p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  int r = io_uring_queue_init_params(entries, &ring, &p);
  if (r < 0) {
    memset(&p, 0, sizeof p);  /* an older kernel: no single-issuer flags */
    r = io_uring_queue_init_params(entries, &ring, &p);
  }
  if (r < 0) die("io_uring_queue_init", -r);
  post_accept(ls);
  while (!stopping) {
    r = io_uring_submit_and_wait(&ring, 1);
    if (r < 0 && r != -EINTR) die("io_uring_submit_and_wait", -r);
    struct io_uring_cqe *cqe;
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&ring, head, cqe) {
      seen++;
      uint64_t ud = cqe->user_data;
      enum op o = (enum op)(ud & 3);
      struct conn *c = (struct conn *)(uintptr_t)(ud & ~(uint64_t)3);
      int res = cqe->res;
      if (o == OP_ACCEPT) {
        if (res >= 0) {
          setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          struct conn *nc = malloc(sizeof *nc);
          if (!nc) die("malloc", ENOMEM);
          nc->fd = res;
          nc->len = nc->sent = 0;
          post_recv(nc);
        }
        if (!(cqe->flags & IORING_CQE_F_MORE)) post_accept(ls);
      } else if (o == OP_RECV) {
        if (res <= 0) {
          drop(c);
        } else {
          c->len = (size_t)res;
          c->sent = 0;
          post_send(c);
        }
      } else {
        if (res < 0) {
          drop(c);
        } else {
          c->sent += (size_t)res;
          if (c->sent < c->len) post_send(c);
          else post_recv(c);
        }
      }
    }
    io_uring_cq_advance(&ring, seen);
  }
  io_uring_queue_exit(&ring);
  return 0;
}
