/* echo_epoll: the event loop an expert writes instead of threads (issue 5,
 * peer 3). One thread, one epoll set, edge-triggered non-blocking sockets;
 * each connection echoes what it reads, keeping what the peer does not take
 * yet in a per-connection buffer (then waits for EPOLLOUT).
 *
 *   echo_epoll [--port P] [--bind ADDR]
 *
 * Prints "port N" once listening (as echo_server does) and runs until
 * SIGTERM or SIGINT. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "serve.h"

struct conn {
  int fd;
  char *pend;  /* read but not yet written back */
  size_t len, cap;
};

static volatile sig_atomic_t stopping;
static void on_stop(int sig) {
  (void)sig;
  stopping = 1;
}

static void die(const char *what) {
  fprintf(stderr, "echo_epoll: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void drop(int ep, struct conn *c) {
  epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  free(c->pend);
  free(c);
}

/* Writes what is pending; 0 when all is out, 1 when the socket is full, -1 on error. */
static int flush(struct conn *c) {
  while (c->len) {
    ssize_t w = send(c->fd, c->pend, c->len, MSG_NOSIGNAL);
    if (w < 0) return errno == EAGAIN ? 1 : -1;
    memmove(c->pend, c->pend + w, c->len - (size_t)w);
    c->len -= (size_t)w;
  }
  return 0;
}

/* Reads until EAGAIN, echoing as it goes. -1: closed or failed. */
static int serve(struct conn *c) {
  char buf[16384];
  for (;;) {
    ssize_t r = recv(c->fd, buf, sizeof buf, 0);
    if (r == 0) return -1;
    if (r < 0) return errno == EAGAIN ? 0 : -1;
    ssize_t w = c->len ? 0 : send(c->fd, buf, (size_t)r, MSG_NOSIGNAL);
    if (w < 0 && errno != EAGAIN) return -1;
    if (w < 0) w = 0;
    size_t rest = (size_t)(r - w);
    if (rest) {
      if (c->len + rest > c->cap) {
        c->cap = (c->len + rest) * 2;
        char *p = realloc(c->pend, c->cap);
        if (!p) return -1;
        c->pend = p;
      }
      memcpy(c->pend + c->len, buf + w, rest);
      c->len += rest;
    }
  }
}

int main(int argc, char **argv) {
  int port = 0;
  const char *bind_addr = "127.0.0.1";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--bind")) bind_addr = argv[i + 1];
    else {
      fprintf(stderr, "usage: echo_epoll [--port P] [--bind ADDR]\n");
      return 2;
    }
  }
  int ls = serve_listen("echo_epoll", bind_addr, port, SOCK_NONBLOCK, on_stop);
  int one = 1;
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  struct epoll_event le = {.events = EPOLLIN, .data.ptr = NULL};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, ls, &le) != 0) die("epoll_ctl");
  struct epoll_event ev[512];
  while (!stopping) {
    int n = epoll_wait(ep, ev, 512, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int i = 0; i < n; i++) {
      struct conn *c = ev[i].data.ptr;
      if (!c) {
        for (;;) {
          int fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (fd < 0) break;  /* EAGAIN, or a connection gone already */
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          struct conn *nc = calloc(1, sizeof *nc);
          if (!nc) die("calloc");
          nc->fd = fd;
          struct epoll_event e = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = nc};
          if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) != 0) die("epoll_ctl");
        }
        continue;
      }
      int bad = (ev[i].events & EPOLLERR) != 0;
      if (!bad && (ev[i].events & EPOLLOUT) && flush(c) < 0) bad = 1;
      if (!bad && (ev[i].events & (EPOLLIN | EPOLLHUP)) && serve(c) < 0) bad = 1;
      if (!bad && c->len && flush(c) < 0) bad = 1;
      if (bad) drop(ep, c);
    }
  }
  return 0;
}
