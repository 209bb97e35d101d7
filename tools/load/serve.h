/* What the servers of tools/load share: SIGTERM and SIGINT call
 * `on_stop` (without SA_RESTART, so a blocked wait ends), then a TCP socket
 * listens on addr:port (port 0: ephemeral) and "port N" is printed on stdout
 * once it does. Returns the listening socket; a bad address exits 2, a
 * failure 1, each with one line on stderr naming `name`. */
#ifndef RINGLET_LOAD_SERVE_H
#define RINGLET_LOAD_SERVE_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int serve_listen(const char *name, const char *addr, int port, int sock_flags, void (*on_stop)(int)) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)port);
  if (inet_pton(AF_INET, addr, &a.sin_addr) != 1) {
    fprintf(stderr, "%s: bad address %s\n", name, addr);
    exit(2);
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | sock_flags, 0);
  int one = 1;
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 4096) != 0) {
    fprintf(stderr, "%s: listening on %s:%d: %s\n", name, addr, port, strerror(errno));
    exit(1);
  }
  socklen_t alen = sizeof a;
  getsockname(fd, (struct sockaddr *)&a, &alen);
  printf("port %d\n", ntohs(a.sin_port));
  fflush(stdout);
  return fd;
}

/* One line per second at most, so a storm of failures stays readable. */
static inline void serve_complain(const char *name, const char *what, int err) {
  static time_t last;
  time_t now = time(NULL);
  if (now != last) {
    last = now;
    fprintf(stderr, "%s: %s: %s\n", name, what, strerror(err));
  }
}

/* The thread-per-connection accept loop of echo_server and http_server:
 * accept, TCP_NODELAY, one detached pthread (default attributes) running
 * serve((void *)(long)fd). Out of descriptors or memory, it waits for
 * connections to close; another accept error ends it (returns 1). */
static inline int serve_threads(const char *name, int lfd, void *(*serve)(void *)) {
  int one = 1;
  signal(SIGPIPE, SIG_IGN);
  for (;;) {
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0) {
      int err = errno;
      if (err == EINTR || err == ECONNABORTED) continue;
      serve_complain(name, "accept", err);
      if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
        usleep(10000);
        continue;
      }
      return 1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    pthread_t tid;
    int err = pthread_create(&tid, NULL, serve, (void *)(long)fd);
    if (err != 0) {
      serve_complain(name, "pthread_create", err);
      close(fd);
      continue;
    }
    pthread_detach(tid);
  }
}

#endif
