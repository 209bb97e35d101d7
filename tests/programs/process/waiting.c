/* Waiting for children while other threads keep their rhythm: waitpid for
 * each of three children (different exit codes and times), wait() for the
 * next, wait4 with rusage, waitid for a child killed by a signal, waitpid
 * with WNOHANG before a child is done, and ECHILD once none is left. A
 * ticker thread counts meanwhile: it must have run during the waits. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "report.h"

static volatile long ticks;
static volatile int ticking = 1;
static void *ticker(void *x) {
  (void)x;
  while (ticking) {
    usleep(2000);
    ticks++;
  }
  return NULL;
}

static pid_t child(int ms, int code) {
  pid_t p = fork();
  CHECK(p >= 0);
  if (p == 0) {
    usleep(ms * 1000);
    _exit(code);
  }
  return p;
}

int main(void) {
  pthread_t tk;
  CHECK_RC(pthread_create(&tk, NULL, ticker, NULL), 0);
  report_os_threads();

  pid_t a = child(120, 3), b = child(60, 4), c = child(180, 5);
  long t0 = ticks;
  int st;
  CHECK(waitpid(a, &st, 0) == a);
  printf("waitpid a: exited=%d code=%d\n", WIFEXITED(st), WEXITSTATUS(st));
  CHECK(waitpid(b, &st, 0) == b);
  printf("waitpid b: exited=%d code=%d\n", WIFEXITED(st), WEXITSTATUS(st));
  printf("c still running (WNOHANG): %d\n", waitpid(c, &st, WNOHANG));
  CHECK(wait(&st) == c);
  printf("wait: code=%d\n", WEXITSTATUS(st));
  printf("ticker ran during the waits: %s\n", ticks - t0 >= 10 ? "yes" : "no");

  pid_t d = child(50, 6);
  struct rusage ru;
  memset(&ru, 0xff, sizeof ru);
  CHECK(wait4(-1, &st, 0, &ru) == d);
  printf("wait4: code=%d, rusage filled: %s\n", WEXITSTATUS(st), ru.ru_utime.tv_sec >= 0 && ru.ru_utime.tv_sec < 100 ? "yes" : "no");

  pid_t e = child(10000, 7);
  usleep(20000);
  kill(e, SIGTERM);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  CHECK(waitid(P_PID, (id_t)e, &si, WEXITED) == 0);
  printf("waitid: pid matches=%d code=%s status=%d\n", si.si_pid == e,
         si.si_code == CLD_KILLED ? "CLD_KILLED" : "other", si.si_status);

  pid_t f = child(50, 8);
  CHECK(waitid(P_PID, (id_t)f, NULL, WEXITED) == 0); /* Linux allows no infop */
  printf("waitid without infop: collected %s\n", waitpid(f, &st, WNOHANG) < 0 && errno == ECHILD ? "yes" : "no");

  errno = 0;
  int r = waitpid(-1, &st, 0);
  printf("no children left: %d (%s)\n", r, strerror(errno));
  ticking = 0;
  pthread_join(tk, NULL);
  return 0;
}
