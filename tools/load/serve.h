/* What the echo servers of tools/load share: SIGTERM and SIGINT call
 * `on_stop` (without SA_RESTART, so a blocked wait ends), then a TCP socket
 * listens on addr:port (port 0: ephemeral) and "port N" is printed on stdout
 * once it does. Returns the listening socket; a bad address exits 2, a
 * failure 1, each with one line on stderr naming `name`. */
#ifndef RINGLET_LOAD_SERVE_H
#define RINGLET_LOAD_SERVE_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

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

#endif
