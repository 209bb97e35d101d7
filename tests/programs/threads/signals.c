/* Signals sent to one thread (pthread_kill) run their handler in that
 * thread, with SI_TKILL; a thread's own signal mask holds them pending
 * until it unblocks them (the handler runs before pthread_sigmask returns);
 * a new thread inherits its creator's mask; a blocked read with SA_RESTART
 * goes on after the handler; ignored signals vanish. */
#include <errno.h>
#include <poll.h>
#include <sys/wait.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "report.h"

static __thread int got_usr1, got_usr2;
static __thread int handler_in_self; /* pthread_self() in the handler was this thread */
static __thread pthread_t me;
static volatile int bad_info;
static sem_t ready;
static int fds[2];

static void on_signal(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  if (si->si_code != SI_TKILL || si->si_pid != getpid()) bad_info++;
  if (pthread_equal(pthread_self(), me)) handler_in_self++;
  if (sig == SIGUSR1) got_usr1++;
  else got_usr2++;
}

static void nap(long ms) {
  struct timespec ts = {0, ms * 1000000};
  nanosleep(&ts, NULL); /* EINTR natively when a handler runs: fine */
}

static void *sleeper(void *x) {
  (void)x;
  me = pthread_self();
  sem_post(&ready);
  while (!got_usr1) nap(2);
  return (void *)(long)(got_usr1 * 10 + handler_in_self);
}

static void *reader(void *x) {
  (void)x;
  me = pthread_self();
  sem_post(&ready);
  char c = 0;
  ssize_t n = read(fds[0], &c, 1); /* SA_RESTART: goes on after the handler */
  return (void *)(long)(n == 1 && c == 'x' ? 100 + got_usr1 * 10 + handler_in_self : -1);
}

static void *masked(void *x) {
  (void)x;
  me = pthread_self();
  sigset_t s, old;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR2);
  CHECK(sigprocmask(SIG_BLOCK, &s, &old) == 0); /* the same as pthread_sigmask in a thread */
  CHECK(!sigismember(&old, SIGUSR2));
  sem_post(&ready);
  nap(30);
  int before = got_usr2;
  sigset_t p;
  CHECK(sigpending(&p) == 0);
  int pending = sigismember(&p, SIGUSR2);
  CHECK_RC(pthread_sigmask(SIG_UNBLOCK, &s, NULL), 0);
  int after = got_usr2; /* delivered before pthread_sigmask returned */
  return (void *)(long)(before * 100 + pending * 10 + after);
}

static void *inherits(void *x) {
  (void)x;
  sem_post(&ready);
  sigset_t cur;
  CHECK_RC(pthread_sigmask(SIG_BLOCK, NULL, &cur), 0);
  return (void *)(long)sigismember(&cur, SIGUSR2);
}

static long run(void *(*fn)(void *), int sig, int write_after) {
  pthread_t t;
  CHECK_RC(pthread_create(&t, NULL, fn, NULL), 0);
  sem_wait(&ready);
  nap(10);
  if (sig) CHECK_RC(pthread_kill(t, sig), 0);
  if (write_after) {
    nap(20);
    CHECK(write(fds[1], "x", 1) == 1);
  }
  void *r;
  CHECK_RC(pthread_join(t, &r), 0);
  return (long)r;
}

/* A process-directed signal that only main accepts, while main waits in
 * poll and the other thread (which blocks it) sleeps: it must be taken
 * (natively it interrupts poll; the handler writes to a pipe). */
static int selfpipe[2];
static void on_usr1_pipe(int sig) {
  (void)sig;
  char c = 1;
  ssize_t n = write(selfpipe[1], &c, 1);
  (void)n;
}
static void *blocks_usr1_and_sleeps(void *x) {
  (void)x;
  for (int i = 0; i < 40; i++) nap(50);
  return NULL;
}
static void process_signal_while_idle(void) {
  CHECK(pipe(selfpipe) == 0);
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR1);
  CHECK_RC(pthread_sigmask(SIG_BLOCK, &s, NULL), 0);
  pthread_t t;
  CHECK_RC(pthread_create(&t, NULL, blocks_usr1_and_sleeps, NULL), 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1_pipe;
  sigaction(SIGUSR1, &sa, NULL);
  CHECK_RC(pthread_sigmask(SIG_UNBLOCK, &s, NULL), 0);
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    usleep(100000);
    kill(getppid(), SIGUSR1);
    _exit(0);
  }
  struct pollfd p = {selfpipe[0], POLLIN, 0};
  int r;
  do r = poll(&p, 1, -1); /* no timeout: a signal that never arrives hangs here */
  while (r < 0 && errno == EINTR);
  printf("process-directed signal taken while the others block it: %s\n", r == 1 ? "yes" : "no");
  waitpid(pid, NULL, 0);
  CHECK_RC(pthread_join(t, NULL), 0);
}

int main(void) {
  me = pthread_self();
  sem_init(&ready, 0, 0);
  CHECK(pipe(fds) == 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_signal;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigaction(SIGUSR1, &sa, NULL);
  sigaction(SIGUSR2, &sa, NULL);
  report_os_threads();

  printf("sleeping thread: got*10+in_self = %ld\n", run(sleeper, SIGUSR1, 0));
  printf("blocked read: %ld\n", run(reader, SIGUSR1, 1));
  printf("masked: before*100+pending*10+after = %ld\n", run(masked, SIGUSR2, 0));

  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR2);
  CHECK_RC(pthread_sigmask(SIG_BLOCK, &s, NULL), 0);
  printf("new thread inherits the mask: %ld\n", run(inherits, 0, 0));
  CHECK_RC(pthread_sigmask(SIG_UNBLOCK, &s, NULL), 0);

  CHECK_RC(pthread_kill(pthread_self(), SIGUSR1), 0);
  printf("to itself: handled before pthread_kill returned: %d (in self: %d)\n", got_usr1, handler_in_self);
  printf("main's SIGUSR2 count (sent only to others): %d\n", got_usr2);

  signal(SIGUSR2, SIG_IGN);
  printf("ignored signal to a thread: %ld\n", run(inherits, SIGUSR2, 0));
  printf("signal 0: %d, signal 999: %s\n", pthread_kill(pthread_self(), 0), strerror(pthread_kill(pthread_self(), 999)));
  printf("siginfo wrong in handlers: %d\n", bad_info);
  process_signal_while_idle();
  return 0;
}
