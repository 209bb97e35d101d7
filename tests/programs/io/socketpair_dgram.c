/* AF_UNIX socketpairs (stream and datagram) and UDP on 127.0.0.1 between
 * threads: sendto/recvfrom, sendmsg/recvmsg, MSG_PEEK, MSG_WAITALL,
 * MSG_TRUNC, datagram boundaries and empty datagrams, SCM_RIGHTS passing
 * descriptors whose O_NONBLOCK flag travels with them, and the sender's
 * address from recvfrom. */
#include "check.h"
#include "clock.h"
#include "report.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>


enum { PIECES = 10, PIECE = 1000, UDP_ROUNDS = 100 };
static int sv[2];

static void send_fd(int sock, int fd) {
  union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u = {0};
  struct iovec iov = {"F", 1};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET, c->cmsg_type = SCM_RIGHTS, c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  CHECK(sendmsg(sock, &m, 0) == 1);
}

static int recv_fd(int sock) {
  union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u;
  char b;
  struct iovec iov = {&b, 1};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
  CHECK(recvmsg(sock, &m, 0) == 1 && b == 'F');
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  CHECK(c && c->cmsg_type == SCM_RIGHTS);
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

/* Waits for the reader's "go" byte (sent once it has started its clock). */
static void wait_go(void) {
  char go;
  CHECK(recv(sv[1], &go, 1, 0) == 1 && go == 'g');
}

/* The writer side of the stream tests, in its own thread. */
static void *stream_writer(void *arg) {
  sleep_ms(100);
  CHECK(sendto(sv[1], "peekaboo", 8, 0, NULL, 0) == 8);
  wait_go();
  char piece[PIECE];
  for (int i = 0; i < PIECES; i++) {
    for (int k = 0; k < PIECE; k++) piece[k] = (char)(i * PIECE + k);
    sleep_ms(10);
    CHECK(send(sv[1], piece, PIECE, 0) == PIECE);
  }
  int np[2], p[2]; /* a nonblocking pipe, to a thread that never set the flag */
  CHECK(pipe2(np, O_NONBLOCK) == 0 && pipe(p) == 0);
  send_fd(sv[1], np[0]);
  send_fd(sv[1], p[0]);
  wait_go();
  sleep_ms(100);
  CHECK(write(p[1], "late", 4) == 4);
  close(np[0]), close(np[1]), close(p[0]), close(p[1]);
  return NULL;
}

static void stream_tests(void) {
  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
  pthread_t t;
  double t0 = now_ms(); /* the writer sleeps 100 ms from its start */
  CHECK(pthread_create(&t, NULL, stream_writer, NULL) == 0);
  report_os_threads();
  char buf[PIECES * PIECE + 1];
  CHECK(recv(sv[0], buf, 8, MSG_PEEK) == 8 && memcmp(buf, "peekaboo", 8) == 0);
  CHECK(now_ms() - t0 >= 90);
  struct sockaddr_un from;
  socklen_t flen = sizeof from;
  CHECK(recvfrom(sv[0], buf, 8, 0, (struct sockaddr *)&from, &flen) == 8 && memcmp(buf, "peekaboo", 8) == 0);
  printf("stream: a blocking MSG_PEEK waits and leaves the data; recvfrom then reads it\n");

  t0 = now_ms();
  CHECK(send(sv[0], "g", 1, 0) == 1);
  ssize_t n = recv(sv[0], buf, PIECES * PIECE, MSG_WAITALL);
  double took = now_ms() - t0;
  fprintf(stderr, "MSG_WAITALL: %zd bytes after %.1f ms\n", n, took);
  CHECK(n == PIECES * PIECE && took >= 80);
  for (int k = 0; k < n; k++) CHECK(buf[k] == (char)k);
  printf("stream: MSG_WAITALL returns all %d bytes sent in %d pieces\n", PIECES * PIECE, PIECES);

  int fd = recv_fd(sv[0]);
  CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK);
  t0 = now_ms();
  CHECK(read(fd, buf, 10) == -1 && errno == EAGAIN && now_ms() - t0 < 100);
  close(fd);
  fd = recv_fd(sv[0]);
  CHECK(!(fcntl(fd, F_GETFL) & O_NONBLOCK));
  t0 = now_ms();
  CHECK(send(sv[0], "g", 1, 0) == 1);
  CHECK(read(fd, buf, 10) == 4 && memcmp(buf, "late", 4) == 0 && now_ms() - t0 >= 90);
  close(fd);
  printf("SCM_RIGHTS: a received nonblocking pipe gives EAGAIN, a blocking one waits\n");
  pthread_join(t, NULL);
  CHECK(close(sv[1]) == 0 && recv(sv[0], buf, 10, 0) == 0);
  close(sv[0]);
}

static const int dgram_sizes[] = {10, 0, 200, 3000, 100, 100};

static void *dgram_writer(void *arg) {
  static char data[3000];
  for (int i = 0; i < 3000; i++) data[i] = (char)(i % 251);
  sleep_ms(100);
  for (size_t i = 0; i < sizeof dgram_sizes / sizeof *dgram_sizes; i++) {
    struct iovec iov = {data, (size_t)dgram_sizes[i]};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    CHECK(sendmsg(sv[1], &m, 0) == dgram_sizes[i]);
  }
  return NULL;
}

static void dgram_tests(void) {
  CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
  pthread_t t;
  double t0 = now_ms(); /* the writer sleeps 100 ms from its start */
  CHECK(pthread_create(&t, NULL, dgram_writer, NULL) == 0);
  char buf[4096];
  CHECK(recv(sv[0], buf, sizeof buf, MSG_PEEK) == 10 && now_ms() - t0 >= 90);
  for (int i = 0; i < 4; i++) {
    ssize_t n = recv(sv[0], buf, sizeof buf, 0);
    CHECK(n == dgram_sizes[i]);
    for (int k = 0; k < n; k++) CHECK(buf[k] == (char)(k % 251));
  }
  printf("datagram: boundaries kept (10, 0, 200, 3000 bytes), an empty datagram reads as 0\n");
  CHECK(recv(sv[0], buf, 10, MSG_TRUNC) == 100);
  struct iovec iov = {buf, 10};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
  CHECK(recvmsg(sv[0], &m, 0) == 10 && (m.msg_flags & MSG_TRUNC));
  printf("datagram: a short buffer truncates; MSG_TRUNC returns the real length 100\n");
  pthread_join(t, NULL);
  CHECK(recv(sv[0], buf, sizeof buf, MSG_DONTWAIT) == -1 && errno == EAGAIN);
  close(sv[0]), close(sv[1]);
}

static int udp_socket(struct sockaddr_in *addr) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  socklen_t len = sizeof *addr;
  *addr = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  CHECK(fd >= 0 && bind(fd, (struct sockaddr *)addr, sizeof *addr) == 0);
  CHECK(getsockname(fd, (struct sockaddr *)addr, &len) == 0);
  return fd;
}

static struct sockaddr_in server_addr, client_addr;

static void *udp_client(void *arg) {
  struct sockaddr_in from;
  int fd = udp_socket(&client_addr);
  char buf[64], want[64];
  for (int i = 0; i < UDP_ROUNDS; i++) {
    int len = snprintf(buf, sizeof buf, "ping %d", i);
    CHECK(sendto(fd, buf, (size_t)len, 0, (struct sockaddr *)&server_addr, sizeof server_addr) == len);
    socklen_t flen = sizeof from;
    ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
    len = snprintf(want, sizeof want, "pong %d", i);
    CHECK(n == len && memcmp(buf, want, (size_t)len) == 0);
    CHECK(flen == sizeof from && from.sin_port == server_addr.sin_port &&
          from.sin_addr.s_addr == server_addr.sin_addr.s_addr);
  }
  close(fd);
  return NULL;
}

static void udp_tests(void) {
  int fd = udp_socket(&server_addr);
  pthread_t t;
  CHECK(pthread_create(&t, NULL, udp_client, NULL) == 0);
  for (int i = 0; i < UDP_ROUNDS; i++) {
    char buf[64], want[64];
    struct sockaddr_in from;
    socklen_t flen = sizeof from;
    ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
    int len = snprintf(want, sizeof want, "ping %d", i);
    CHECK(n == len && memcmp(buf, want, (size_t)len) == 0);
    CHECK(flen == sizeof from && from.sin_family == AF_INET && from.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
    CHECK(from.sin_port == client_addr.sin_port);
    len = snprintf(buf, sizeof buf, "pong %d", i);
    CHECK(sendto(fd, buf, (size_t)len, 0, (struct sockaddr *)&from, flen) == len);
  }
  pthread_join(t, NULL);
  close(fd);
  printf("UDP on 127.0.0.1: %d round trips, recvfrom reports the sender's address\n", UDP_ROUNDS);
}

int main(void) {
  stream_tests();
  dgram_tests();
  udp_tests();
  return 0;
}
