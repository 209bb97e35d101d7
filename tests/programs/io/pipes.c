/* Pipes between threads: a 10,000-round ping-pong; a 4 MiB blocking write
 * read in 1000-byte chunks; short reads; EOF; EPIPE; O_NONBLOCK pipes
 * (EAGAIN, partial writes); readv/writev; blocked readers and writers woken
 * by the other end's close. */
#include "report.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <time.h>

#define die(...) (fprintf(stderr, "pipes: " __VA_ARGS__), fputc('\n', stderr), exit(1))
#define check(cond) ((cond) ? (void)0 : die("line %d: check failed: %s (last errno: %s)", __LINE__, #cond, strerror(errno)))

enum { PINGPONGS = 10000, BIG = 4 << 20, CHUNK = 1000 };
static int ping[2], pong[2];

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, ms % 1000 * 1000000L};
  nanosleep(&ts, NULL);
}

static char pattern(long i) { return (char)(i * 7 + i / 4093); }

static void *ponger(void *arg) {
  for (int i = 0; i < PINGPONGS; i++) {
    int v;
    check(read(ping[0], &v, sizeof v) == sizeof v && v == 2 * i);
    v++;
    check(write(pong[1], &v, sizeof v) == sizeof v);
  }
  return NULL;
}

static void *chunk_reader(void *arg) {
  int fd = (int)(intptr_t)arg;
  char buf[CHUNK];
  long total = 0, reads = 0;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    check(n >= 0);
    if (n == 0) break;
    for (ssize_t k = 0; k < n; k++)
      if (buf[k] != pattern(total + k)) die("byte %ld differs", total + k);
    total += n, reads++;
  }
  check(total == BIG);
  fprintf(stderr, "reader: %ld bytes in %ld reads\n", total, reads);
  return NULL;
}

static void *close_later(void *arg) {
  sleep_ms(100);
  check(close((int)(intptr_t)arg) == 0);
  return NULL;
}

static void *write_later(void *arg) {
  sleep_ms(100);
  check(write((int)(intptr_t)arg, "0123456789", 10) == 10);
  return NULL;
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  pthread_t t;
  char buf[2000];

  check(pipe(ping) == 0 && pipe(pong) == 0);
  check(pthread_create(&t, NULL, ponger, NULL) == 0);
  for (int i = 0; i < PINGPONGS; i++) {
    int v = 2 * i;
    check(write(ping[1], &v, sizeof v) == sizeof v);
    check(read(pong[0], &v, sizeof v) == sizeof v && v == 2 * i + 1);
  }
  pthread_join(t, NULL);
  printf("ping-pong over two pipes: %d round trips ok\n", PINGPONGS);

  int p[2];
  check(pipe(p) == 0);
  char *big = malloc(BIG);
  for (long i = 0; i < BIG; i++) big[i] = pattern(i);
  check(pthread_create(&t, NULL, chunk_reader, (void *)(intptr_t)p[0]) == 0);
  report_os_threads();
  ssize_t n = write(p[1], big, BIG);
  check(n == BIG);
  check(close(p[1]) == 0);
  pthread_join(t, NULL);
  close(p[0]);
  printf("4 MiB blocking write: returned %zd, read back in %d-byte chunks, all bytes ok\n", n, CHUNK);

  check(pipe(p) == 0);
  check(write(p[1], "0123456789", 10) == 10);
  check(read(p[0], buf, 100) == 10 && memcmp(buf, "0123456789", 10) == 0);
  double t0 = now_ms(); /* the other thread sleeps 100 ms from its start */
  check(pthread_create(&t, NULL, write_later, (void *)(intptr_t)p[1]) == 0);
  check(read(p[0], buf, 100) == 10 && now_ms() - t0 >= 90);
  pthread_join(t, NULL);
  printf("read of 100 bytes with 10 available: returns 10 (at once and after blocking)\n");

  check(write(p[1], "abc", 3) == 3 && close(p[1]) == 0);
  check(read(p[0], buf, 100) == 3 && read(p[0], buf, 100) == 0);
  close(p[0]);
  check(pipe(p) == 0);
  t0 = now_ms();
  check(pthread_create(&t, NULL, close_later, (void *)(intptr_t)p[1]) == 0);
  check(read(p[0], buf, 100) == 0 && now_ms() - t0 >= 90);
  pthread_join(t, NULL);
  close(p[0]);
  printf("EOF: read returns 0 after the writer closed, also when blocked\n");

  check(pipe(p) == 0 && close(p[0]) == 0);
  check(write(p[1], "x", 1) == -1 && errno == EPIPE);
  close(p[1]);
  check(pipe(p) == 0);
  int cap = fcntl(p[1], F_GETPIPE_SZ);
  check(cap > 0 && cap <= BIG && write(p[1], big, (size_t)cap) == cap); /* now full */
  t0 = now_ms();
  check(pthread_create(&t, NULL, close_later, (void *)(intptr_t)p[0]) == 0);
  check(write(p[1], "x", 1) == -1 && errno == EPIPE && now_ms() - t0 >= 90);
  pthread_join(t, NULL);
  close(p[1]);
  printf("write with the reader gone: EPIPE, also when blocked on a full pipe\n");

  check(pipe2(p, O_NONBLOCK) == 0 && (fcntl(p[0], F_GETFL) & O_NONBLOCK));
  t0 = now_ms();
  check(read(p[0], buf, 100) == -1 && errno == EAGAIN && now_ms() - t0 < 100);
  cap = fcntl(p[1], F_GETPIPE_SZ);
  n = write(p[1], big, (size_t)cap + 34464);
  fprintf(stderr, "nonblocking write of %d bytes into an empty pipe of %d: %zd\n", cap + 34464, cap, n);
  check(n == cap);
  check(write(p[1], "x", 1) == -1 && errno == EAGAIN);
  close(p[0]), close(p[1]);
  printf("pipe2(O_NONBLOCK): EAGAIN at once; a large write fills the pipe and returns its capacity\n");

  check(pipe(p) == 0);
  struct iovec out[3] = {{"Hello, ", 7}, {"vectored ", 9}, {"pipes", 5}};
  check(writev(p[1], out, 3) == 21);
  char a[10] = {0}, b[20] = {0};
  struct iovec in[2] = {{a, 9}, {b, sizeof b}};
  check(readv(p[0], in, 2) == 21);
  check(memcmp(a, "Hello, ve", 9) == 0 && strcmp(b, "ctored pipes") == 0);
  close(p[0]), close(p[1]);
  printf("writev of 3 pieces, readv into 2: all bytes ok\n");
  free(big);
  return 0;
}
