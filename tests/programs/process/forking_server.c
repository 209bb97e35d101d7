/* A pre-forking thread-per-connection server: the parent listens, forks
 * three workers that accept on the shared socket and start one thread per
 * connection, then runs 60 client threads against them. Each worker also
 * has a thread in sigwait(SIGUSR1) that reports the worker's OS threads
 * when the parent asks (all 60 connections open at that moment), and stops
 * on SIGTERM: its accept() fails with EINTR, it waits for its connection
 * threads and tells the parent how many connections it served.
 *
 * Natively each worker has over 20 threads at the peak; under ringlet the
 * workers are ringlet processes whose threads are fibers. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "report.h"

enum { kWorkers = 3, kClients = 60, kRounds = 20, kSize = 512 };

static int listener;
static struct sockaddr_in addr;

/* ---- worker ---------------------------------------------------------------- */

static volatile sig_atomic_t stopping;
static atomic_int served, live;
static void on_term(int sig) {
  (void)sig;
  stopping = 1;
}

static void *conn_thread(void *x) {
  int fd = (int)(long)x;
  char buf[kSize];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    CHECK(send(fd, buf, (size_t)n, 0) == n);
  }
  close(fd);
  atomic_fetch_add(&served, 1);
  atomic_fetch_sub(&live, 1);
  return NULL;
}

static void *reporter(void *x) {
  (void)x;
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR1);
  for (;;) {
    int sig;
    CHECK_RC(sigwait(&s, &sig), 0);
    report_os_threads();
  }
  return NULL;
}

static int worker(int result_fd) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR1);
  CHECK_RC(pthread_sigmask(SIG_BLOCK, &s, NULL), 0);
  pthread_t r;
  CHECK_RC(pthread_create(&r, NULL, reporter, NULL), 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_term;
  CHECK(sigaction(SIGTERM, &sa, NULL) == 0);  /* no SA_RESTART: accept ends */
  while (!stopping) {
    int fd = accept(listener, NULL, NULL);
    if (fd < 0) {
      CHECK(errno == EINTR);
      continue;
    }
    atomic_fetch_add(&live, 1);
    pthread_t t;
    CHECK_RC(pthread_create(&t, NULL, conn_thread, (void *)(long)fd), 0);
    CHECK_RC(pthread_detach(t), 0);
  }
  while (atomic_load(&live) > 0) usleep(1000);
  int n = atomic_load(&served);
  CHECK(write(result_fd, &n, sizeof n) == sizeof n);
  return 0;
}

/* ---- clients ----------------------------------------------------------------- */

static pthread_barrier_t all_connected, reported;

static void *client(void *x) {
  long id = (long)x;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(fd >= 0);
  CHECK(connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0);
  char out[kSize], in[kSize];
  for (int round = 0; round < kRounds; round++) {
    for (int i = 0; i < kSize; i++) out[i] = (char)(id * 31 + round * 7 + i);
    CHECK(send(fd, out, kSize, 0) == kSize);
    size_t got = 0;
    while (got < kSize) {
      ssize_t n = recv(fd, in + got, kSize - got, 0);
      CHECK(n > 0);
      got += (size_t)n;
    }
    CHECK(memcmp(in, out, kSize) == 0);
    if (round == 0) {
      pthread_barrier_wait(&all_connected);
      pthread_barrier_wait(&reported);
    }
  }
  close(fd);
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  listener = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(listener >= 0);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  CHECK(bind(listener, (struct sockaddr *)&addr, sizeof addr) == 0);
  socklen_t len = sizeof addr;
  CHECK(getsockname(listener, (struct sockaddr *)&addr, &len) == 0);
  CHECK(listen(listener, 128) == 0);

  int results[2];
  CHECK(pipe(results) == 0);
  pid_t workers[kWorkers];
  for (int i = 0; i < kWorkers; i++) {
    workers[i] = fork();
    CHECK(workers[i] >= 0);
    if (workers[i] == 0) exit(worker(results[1]));
  }

  CHECK_RC(pthread_barrier_init(&all_connected, NULL, kClients + 1), 0);
  CHECK_RC(pthread_barrier_init(&reported, NULL, kClients + 1), 0);
  pthread_t c[kClients];
  for (long i = 0; i < kClients; i++) CHECK_RC(pthread_create(&c[i], NULL, client, (void *)i), 0);
  pthread_barrier_wait(&all_connected);
  report_os_threads();
  for (int i = 0; i < kWorkers; i++) CHECK(kill(workers[i], SIGUSR1) == 0);
  usleep(200000); /* the workers report */
  pthread_barrier_wait(&reported);
  for (int i = 0; i < kClients; i++) CHECK_RC(pthread_join(c[i], NULL), 0);
  printf("%d clients x %d round trips of %d bytes: all echoed\n", kClients, kRounds, kSize);

  int total = 0, clean = 0;
  for (int i = 0; i < kWorkers; i++) {
    int st, n;
    /* Again until it is gone: a SIGTERM between its check of the flag and
     * its accept() would leave it waiting for a connection. */
    while (waitpid(workers[i], &st, WNOHANG) == 0) {
      CHECK(kill(workers[i], SIGTERM) == 0);
      usleep(20000);
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) clean++;
    CHECK(read(results[0], &n, sizeof n) == sizeof n);
    total += n;
  }
  printf("workers exited cleanly: %d of %d, connections served: %d\n", clean, kWorkers, total);
  return 0;
}
