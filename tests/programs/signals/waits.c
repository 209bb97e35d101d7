/* Waiting for signals parks only the waiting thread; a ticker thread keeps
 * its rhythm meanwhile:
 *  - sigwait in a thread, signals sent to the process and to the thread;
 *  - sigtimedwait: a timeout, a pending signal with its siginfo, and
 *    sigqueue's value through sigwaitinfo;
 *  - sigsuspend in a thread: ended by pthread_kill, and by a kill() to the
 *    process that only this thread accepts while it is suspended;
 *  - pause() in main, ended by a signal another thread sends;
 *  - a thread blocked in read on a signalfd. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "report.h"
#include "counted.h"
#include "ticker.h"


static void install(int sig) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sig;
  sigemptyset(&sa.sa_mask);
  CHECK(sigaction(sig, &sa, NULL) == 0);
}

static sigset_t set_of(int sig) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, sig);
  return s;
}

static int acks[2];

static void *sigwaiter(void *x) {
  (void)x;
  sigset_t s = set_of(SIGUSR1);
  for (int i = 0; i < 4; i++) {
    int sig = 0;
    CHECK_RC(sigwait(&s, &sig), 0);
    CHECK(sig == SIGUSR1);
    CHECK(write(acks[1], "a", 1) == 1);
  }
  return NULL;
}

struct suspender {
  atomic_int ready;
  int r, err, in_self;
};
static void *suspend_thread(void *x) {
  struct suspender *s = x;
  sigset_t m;
  CHECK_RC(pthread_sigmask(SIG_BLOCK, NULL, &m), 0);
  sigdelset(&m, SIGUSR1);
  atomic_store(&s->ready, 1);
  errno = 0;
  s->r = sigsuspend(&m);
  s->err = errno;
  s->in_self = pthread_equal(ran_in, pthread_self());
  sigset_t after;
  CHECK_RC(pthread_sigmask(SIG_BLOCK, NULL, &after), 0);
  CHECK(sigismember(&after, SIGUSR1) == 1); /* the old mask is back */
  return NULL;
}

static atomic_int paused_done;
static void *poke_main(void *x) {
  (void)x;
  sigset_t all;
  sigfillset(&all);
  CHECK_RC(pthread_sigmask(SIG_BLOCK, &all, NULL), 0); /* never the kernel's choice itself */
  while (!atomic_load(&paused_done)) {
    usleep(50000);
    if (!atomic_load(&paused_done)) CHECK(kill(getpid(), SIGUSR2) == 0);
  }
  return NULL;
}

struct fdreader {
  int fd;
  struct signalfd_siginfo si;
  ssize_t n;
};
static void *read_signalfd(void *x) {
  struct fdreader *r = x;
  r->n = read(r->fd, &r->si, sizeof r->si);
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  install(SIGUSR1);
  install(SIGUSR2);
  /* Every thread blocks SIGUSR1 and SIGRTMIN (created after this). */
  sigset_t blk = set_of(SIGUSR1);
  sigaddset(&blk, SIGRTMIN);
  CHECK_RC(pthread_sigmask(SIG_BLOCK, &blk, NULL), 0);
  sigset_t u2 = set_of(SIGUSR2);
  ticker_start(&u2); /* and SIGUSR1, blocked above, by inheritance */
  CHECK(pipe(acks) == 0);

  /* sigwait in a thread */
  pthread_t wt;
  CHECK_RC(pthread_create(&wt, NULL, sigwaiter, NULL), 0);
  long t0 = ticker_ticks();
  char c;
  for (int i = 0; i < 3; i++) {
    usleep(30000);
    CHECK(kill(getpid(), SIGUSR1) == 0);
    CHECK(read(acks[0], &c, 1) == 1);
  }
  usleep(30000);
  CHECK_RC(pthread_kill(wt, SIGUSR1), 0);
  CHECK(read(acks[0], &c, 1) == 1);
  CHECK_RC(pthread_join(wt, NULL), 0);
  printf("sigwait took 4 signals (3 to the process, 1 to the thread), handler ran %d times, ticker ran: %s\n",
         hits, ticker_ticks() - t0 >= 10 ? "yes" : "no");

  /* sigtimedwait */
  sigset_t s1 = set_of(SIGUSR1);
  struct timespec ts = {0, 100000000};
  siginfo_t si;
  errno = 0;
  int r = sigtimedwait(&s1, &si, &ts);
  printf("sigtimedwait with nothing pending: %d %s\n", r, strerror(errno));
  CHECK(kill(getpid(), SIGUSR1) == 0);
  memset(&si, 0, sizeof si);
  r = sigtimedwait(&s1, &si, &ts);
  printf("sigtimedwait with SIGUSR1 pending: %s, code SI_USER %s, from this process %s\n",
         r == SIGUSR1 ? "SIGUSR1" : "other", si.si_code == SI_USER ? "yes" : "no",
         si.si_pid == getpid() ? "yes" : "no");
  sigset_t rt = set_of(SIGRTMIN);
  union sigval v = {.sival_int = 42};
  CHECK(sigqueue(getpid(), SIGRTMIN, v) == 0);
  memset(&si, 0, sizeof si);
  r = sigwaitinfo(&rt, &si);
  printf("sigwaitinfo after sigqueue: %s, value %d, code SI_QUEUE %s\n", r == SIGRTMIN ? "SIGRTMIN" : "other",
         si.si_value.sival_int, si.si_code == SI_QUEUE ? "yes" : "no");

  /* sigsuspend in a thread: pthread_kill, then a kill() only it accepts */
  for (int round = 0; round < 2; round++) {
    struct suspender sp;
    memset(&sp, 0, sizeof sp);
    pthread_t st;
    CHECK_RC(pthread_create(&st, NULL, suspend_thread, &sp), 0);
    while (!atomic_load(&sp.ready)) usleep(1000);
    usleep(50000);
    if (round == 0)
      CHECK_RC(pthread_kill(st, SIGUSR1), 0);
    else
      CHECK(kill(getpid(), SIGUSR1) == 0);
    CHECK_RC(pthread_join(st, NULL), 0);
    printf("sigsuspend ended by %s: %d %s, handler in the suspended thread: %s\n",
           round == 0 ? "pthread_kill" : "kill(getpid())", sp.r, strerror(sp.err), sp.in_self ? "yes" : "no");
  }

  /* pause in main */
  pthread_t self = pthread_self(), pk;
  CHECK_RC(pthread_create(&pk, NULL, poke_main, &self), 0);
  errno = 0;
  r = pause();
  int e = errno;
  atomic_store(&paused_done, 1);
  CHECK_RC(pthread_join(pk, NULL), 0);
  printf("pause in main: %d %s, handler in main: %s\n", r, strerror(e), pthread_equal(ran_in, self) ? "yes" : "no");

  /* signalfd read in a thread */
  sigset_t s2 = set_of(SIGUSR2);
  CHECK_RC(pthread_sigmask(SIG_BLOCK, &s2, NULL), 0);
  struct fdreader fr;
  memset(&fr, 0, sizeof fr);
  fr.fd = signalfd(-1, &s2, SFD_CLOEXEC);
  CHECK(fr.fd >= 0);
  pthread_t rd;
  t0 = ticker_ticks();
  CHECK_RC(pthread_create(&rd, NULL, read_signalfd, &fr), 0);
  usleep(100000);
  CHECK(kill(getpid(), SIGUSR2) == 0);
  CHECK_RC(pthread_join(rd, NULL), 0);
  printf("signalfd read in a thread: %zd bytes, SIGUSR2 %s, from this process %s, ticker ran: %s\n", fr.n,
         fr.si.ssi_signo == SIGUSR2 ? "yes" : "no", fr.si.ssi_pid == (unsigned)getpid() ? "yes" : "no",
         ticker_ticks() - t0 >= 10 ? "yes" : "no");

  report_os_threads();
  ticker_stop();
  return 0;
}
