/* The older ways to handle signals, which glibc builds on calls of its own:
 * sighold/sigrelse, sigset (with SIG_HOLD), sigpause in a thread ended by
 * pthread_kill, sysv_signal (reset after one delivery) and the handler
 * signal() returns. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "report.h"
#include "counted.h"


struct pauser {
  atomic_int ready;
  int r, err, in_self;
};
static void *pause_thread(void *x) {
  struct pauser *p = x;
  atomic_store(&p->ready, 1);
  errno = 0;
  p->r = sigpause(SIGUSR1); /* X/Open: lets SIGUSR1 through while it waits */
  p->err = errno;
  p->in_self = pthread_equal(ran_in, pthread_self());
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  CHECK(signal(SIGUSR1, on_sig) == SIG_DFL);
  printf("signal() returns the previous handler: %s\n", signal(SIGUSR1, on_sig) == on_sig ? "yes" : "no");

  CHECK(sighold(SIGUSR1) == 0);
  CHECK(raise(SIGUSR1) == 0);
  sigset_t pend;
  CHECK(sigpending(&pend) == 0);
  printf("held: handler ran %d, pending %d\n", (int)hits, sigismember(&pend, SIGUSR1));
  CHECK(sigrelse(SIGUSR1) == 0);
  printf("released: handler ran %d\n", (int)hits);

  printf("sigset first: %s\n", sigset(SIGUSR2, on_sig) == SIG_DFL ? "SIG_DFL" : "other");
  printf("sigset SIG_HOLD returns: %s\n", sigset(SIGUSR2, SIG_HOLD) == on_sig ? "the handler" : "other");
  int before = hits;
  CHECK(raise(SIGUSR2) == 0);
  printf("held by sigset: ran %d\n", hits - before);
  printf("sigset again returns: %s\n", sigset(SIGUSR2, on_sig) == SIG_HOLD ? "SIG_HOLD" : "other");
  printf("and the held signal ran: %d\n", hits - before);

  /* sigpause in a thread that blocks SIGUSR1 */
  sigset_t u1;
  sigemptyset(&u1);
  sigaddset(&u1, SIGUSR1);
  CHECK_RC(pthread_sigmask(SIG_BLOCK, &u1, NULL), 0);
  struct pauser p;
  memset(&p, 0, sizeof p);
  pthread_t t;
  CHECK_RC(pthread_create(&t, NULL, pause_thread, &p), 0);
  while (!atomic_load(&p.ready)) usleep(1000);
  usleep(50000);
  CHECK_RC(pthread_kill(t, SIGUSR1), 0);
  CHECK_RC(pthread_join(t, NULL), 0);
  printf("sigpause in a thread: %d %s, handler in it: %s\n", p.r, strerror(p.err), p.in_self ? "yes" : "no");
  report_os_threads();

  /* sysv_signal: once, then the default */
  CHECK(sysv_signal(SIGHUP, on_sig) != SIG_ERR);
  before = hits;
  CHECK(raise(SIGHUP) == 0);
  struct sigaction now;
  CHECK(sigaction(SIGHUP, NULL, &now) == 0);
  printf("sysv_signal: ran %d, then %s\n", hits - before, now.sa_handler == SIG_DFL ? "SIG_DFL" : "still the handler");
  return 0;
}
