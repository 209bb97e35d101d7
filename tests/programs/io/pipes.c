/* Pipes between threads: a 10,000-round ping-pong; a 4 MiB blocking write
 * read in 1000-byte chunks; short reads; EOF; EPIPE; O_NONBLOCK pipes
 * (EAGAIN, partial writes); readv/writev; blocked readers and writers woken
 * by the other end's close. */
#include "check.h"
#include "clock.h"
#include "report.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <time.h>


enum { PINGPONGS = 10000, BIG = 4 << 20, CHUNK = 1000 };
static int ping[2], pong[2];

static char pattern(long i) { return (char)(i * 7 + i / 4093); }

static void *ponger(void *arg) {
  for (int i = 0; i < PINGPONGS; i++) {
    int v;
    CHECK(read(ping[0], &v, sizeof v) == sizeof v && v == 2 * i);
    v++;
    CHECK(write(pong[1], &v, sizeof v) == sizeof v);
  }
  return NULL;
}

static void *chunk_reader(void *arg) {
  int fd = (int)(intptr_t)arg;
  char buf[CHUNK];
  long total = 0, reads = 0;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    CHECK(n >= 0);
    if (n == 0) break;
    for (ssize_t k = 0; k < n; k++)
      if (buf[k] != pattern(total + k)) FAIL("byte %ld differs", total + k);
    total += n, reads++;
  }
  CHECK(total == BIG);
  fprintf(stderr, "reader: %ld bytes in %ld reads\n", total, reads);
  return NULL;
}

static void *close_later(void *arg) {
  sleep_ms(100);
  CHECK(close((int)(intptr_t)arg) == 0);
  return NULL;
}

static void *write_later(void *arg) {
  sleep_ms(100);
  CHECK(write((int)(intptr_t)arg, "0123456789", 10) == 10);
  return NULL;
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  pthread_t t;
  char buf[2000];

  CHECK(pipe(ping) == 0 && pipe(pong) == 0);
  CHECK(pthread_create(&t, NULL, ponger, NULL) == 0);
  for (int i = 0; i < PINGPONGS; i++) {
    int v = 2 * i;
    CHECK(write(ping[1], &v, sizeof v) == sizeof v);
    CHECK(read(pong[0], &v, sizeof v) == sizeof v && v == 2 * i + 1);
  }
  pthread_join(t, NULL);
  printf("ping-pong over two pipes: %d round trips ok\n", PINGPONGS);

  int p[2];
  CHECK(pipe(p) == 0);
  char *big = malloc(BIG);
  for (long i = 0; i < BIG; i++) big[i] = pattern(i);
  CHECK(pthread_create(&t, NULL, chunk_reader, (void *)(intptr_t)p[0]) == 0);
  report_os_threads();
  ssize_t n = write(p[1], big, BIG);
  CHECK(n == BIG);
  CHECK(close(p[1]) == 0);
  pthread_join(t, NULL);
  close(p[0]);
  printf("4 MiB blocking write: returned %zd, read back in %d-byte chunks, all bytes ok\n", n, CHUNK);

  CHECK(pipe(p) == 0);
  CHECK(write(p[1], "0123456789", 10) == 10);
  CHECK(read(p[0], buf, 100) == 10 && memcmp(buf, "0123456789", 10) == 0);
  double t0 = now_ms(); /* the other thread sleeps 100 ms from its start */
  CHECK(pthread_create(&t, NULL, write_later, (void *)(intptr_t)p[1]) == 0);
  CHECK(read(p[0], buf, 100) == 10 && now_ms() - t0 >= 90);
  pthread_join(t, NULL);
  printf("read of 100 bytes with 10 available: returns 10 (at once and after blocking)\n");

  CHECK(write(p[1], "abc", 3) == 3 && close(p[1]) == 0);
  CHECK(read(p[0], buf, 100) == 3 && read(p[0], buf, 100) == 0);
  close(p[0]);
  CHECK(pipe(p) == 0);
  t0 = now_ms();
  CHECK(pthread_create(&t, NULL, close_later, (void *)(intptr_t)p[1]) == 0);
  CHECK(read(p[0], buf, 100) == 0 && now_ms() - t0 >= 90);
  pthread_join(t, NULL);
  close(p[0]);
  printf("EOF: read returns 0 after the writer closed, also when blocked\n");

  CHECK(pipe(p) == 0 && close(p[0]) == 0);
  CHECK(write(p[1], "x", 1) == -1 && errno == EPIPE);
  close(p[1]);
  CHECK(pipe(p) == 0);
  int cap = fcntl(p[1], F_GETPIPE_SZ);
  CHECK(cap > 0 && cap <= BIG && write(p[1], big, (size_t)cap) == cap); /* now full */
  t0 = now_ms();
  CHECK(pthread_create(&t, NULL, close_later, (void *)(intptr_t)p[0]) == 0);
  CHECK(write(p[1], "x", 1) == -1 && errno == EPIPE && now_ms() - t0 >= 90);
  pthread_join(t, NULL);
  close(p[1]);
  printf("write with the reader gone: EPIPE, also when blocked on a full pipe\n");

  CHECK(pipe2(p, O_NONBLOCK) == 0 && (fcntl(p[0], F_GETFL) & O_NONBLOCK));
  t0 = now_ms();
  CHECK(read(p[0], buf, 100) == -1 && errno == EAGAIN && now_ms() - t0 < 100);
  cap = fcntl(p[1], F_GETPIPE_SZ);
  n = write(p[1], big, (size_t)cap + 34464);
  fprintf(stderr, "nonblocking write of %d bytes into an empty pipe of %d: %zd\n", cap + 34464, cap, n);
  CHECK(n == cap);
  CHECK(write(p[1], "x", 1) == -1 && errno == EAGAIN);
  close(p[0]), close(p[1]);
  printf("pipe2(O_NONBLOCK): EAGAIN at once; a large write fills the pipe and returns its capacity\n");

  CHECK(pipe(p) == 0);
  struct iovec out[3] = {{"Hello, ", 7}, {"vectored ", 9}, {"pipes", 5}};
  CHECK(writev(p[1], out, 3) == 21);
  char a[10] = {0}, b[20] = {0};
  struct iovec in[2] = {{a, 9}, {b, sizeof b}};
  CHECK(readv(p[0], in, 2) == 21);
  CHECK(memcmp(a, "Hello, ve", 9) == 0 && strcmp(b, "ctored pipes") == 0);
  close(p[0]), close(p[1]);
  printf("writev of 3 pieces, readv into 2: all bytes ok\n");
  free(big);
  return 0;
}
