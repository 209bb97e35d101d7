/* Handlers interrupting blocking calls, as signal(7) says, while a ticker
 * thread keeps its rhythm:
 *  - alarm() during a blocked read: EINTR, the handler ran in main;
 *  - SA_RESTART: the read is restarted and gets the data written later;
 *  - signal() restarts, siginterrupt(sig, 1) makes it interrupt;
 *  - setitimer and timer_create signals interrupt reads;
 *  - nanosleep reports the time left, sleep() the seconds left;
 *  - poll and a socket with SO_RCVTIMEO: EINTR even with SA_RESTART;
 *  - a process-directed kill() goes to main unless main blocks it, then to
 *    the one thread that does not block it, whose read is interrupted;
 *  - raise() in a thread runs the handler in that thread before it returns;
 *  - pthread_kill to a thread blocked in read: EINTR, or restarted;
 *  - sem_wait: EINTR without SA_RESTART, restarted with it;
 *  - a thread in pthread_cond_wait runs its handler without being woken
 *    from the wait (no spurious return needed to see it);
 *  - a handler that leaves by siglongjmp, three times in a row (the mask
 *    the jump restores lets the next alarm through);
 *  - SIGCHLD arrives while the parent waits for the child.
 * The ticker blocks every signal so that the kernel's choice of thread is
 * the same on every run. */
/* siginterrupt is deprecated but still what programs call. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "report.h"
#include "counted.h"
#include "ticker.h"


static void install(int sig, int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sig;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = flags;
  CHECK(sigaction(sig, &sa, NULL) == 0);
}

static void block_all(void) {
  sigset_t all;
  sigfillset(&all);
  CHECK_RC(pthread_sigmask(SIG_BLOCK, &all, NULL), 0);
}


static void arm_ms(int ms) {
  struct itimerval it = {{0, 0}, {ms / 1000, (ms % 1000) * 1000}};
  CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
}

static const char *who(pthread_t t) { return pthread_equal(t, pthread_self()) ? "this thread" : "another thread"; }

/* Writes one byte to fd once the handler has run (hits > seen). */
struct late_write {
  int fd;
  int seen;
};
static void *write_after_handler(void *x) {
  struct late_write *w = x;
  block_all();
  while (hits <= w->seen) usleep(1000);
  usleep(20000);
  CHECK(write(w->fd, "x", 1) == 1);
  return NULL;
}

/* A thread blocked in read on its own pipe, for routing and pthread_kill. */
struct reader {
  int fds[2];
  ssize_t r;
  int err;
  pthread_t ran_in;
  int self_is_ran_in;
  atomic_int started;
};
static void *blocked_reader(void *x) {
  struct reader *rd = x;
  char c;
  atomic_store(&rd->started, 1);
  rd->r = read(rd->fds[0], &c, 1);
  rd->err = errno;
  rd->self_is_ran_in = pthread_equal(ran_in, pthread_self());
  return NULL;
}

static sigjmp_buf jump_back;
static void on_alarm_jump(int sig) {
  (void)sig;
  siglongjmp(jump_back, 1);
}

static sem_t sem;
struct sem_waiter {
  int r, err;
  atomic_int started;
};
static void *sem_waiter(void *x) {
  struct sem_waiter *w = x;
  atomic_store(&w->started, 1);
  errno = 0;
  w->r = sem_wait(&sem);
  w->err = errno;
  return NULL;
}

static pthread_mutex_t cm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int cond_go;
static atomic_int cond_started;
static void *cond_waiter(void *x) {
  (void)x;
  pthread_mutex_lock(&cm);
  atomic_store(&cond_started, 1);
  while (!cond_go) pthread_cond_wait(&cv, &cm);
  pthread_mutex_unlock(&cm);
  return NULL;
}

static void *kill_process_later(void *x) {
  int sig = (int)(long)x;
  block_all(); /* never the kernel's choice itself */
  usleep(150000);
  CHECK(kill(getpid(), sig) == 0);
  return NULL;
}

static void *raiser(void *x) {
  (void)x;
  int before = hits;
  CHECK(raise(SIGUSR1) == 0);
  printf("raise in a thread: handler ran before raise returned: %s, in %s\n", hits == before + 1 ? "yes" : "no",
         who(ran_in));
  return NULL;
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  sigset_t all;
  sigfillset(&all);
  ticker_start(&all); /* never the kernel's choice: the same thread gets each signal every run */
  int p[2];
  char c;
  CHECK(pipe(p) == 0);

  /* alarm, no SA_RESTART */
  install(SIGALRM, 0);
  long t0 = ticker_ticks();
  alarm(1);
  errno = 0;
  ssize_t n = read(p[0], &c, 1);
  printf("alarm during read: %zd %s, handler in %s, ticker ran: %s\n", n, strerror(errno), who(ran_in),
         ticker_ticks() - t0 >= 10 ? "yes" : "no");

  /* SA_RESTART: restarted, then gets the byte */
  install(SIGALRM, SA_RESTART);
  struct late_write lw = {p[1], hits};
  pthread_t wt;
  CHECK_RC(pthread_create(&wt, NULL, write_after_handler, &lw), 0);
  arm_ms(100);
  n = read(p[0], &c, 1);
  printf("SA_RESTART read: %zd '%c', handler ran: %s\n", n, n == 1 ? c : '?', hits > lw.seen ? "yes" : "no");
  CHECK_RC(pthread_join(wt, NULL), 0);

  /* signal() restarts; siginterrupt makes it interrupt */
  CHECK(signal(SIGALRM, on_sig) != SIG_ERR);
  lw.seen = hits;
  CHECK_RC(pthread_create(&wt, NULL, write_after_handler, &lw), 0);
  arm_ms(100);
  n = read(p[0], &c, 1);
  printf("signal() read: %zd (restarted)\n", n);
  CHECK_RC(pthread_join(wt, NULL), 0);
  CHECK(siginterrupt(SIGALRM, 1) == 0);
  arm_ms(100);
  errno = 0;
  n = read(p[0], &c, 1);
  printf("siginterrupt read: %zd %s\n", n, strerror(errno));
  struct sigaction old;
  CHECK(sigaction(SIGALRM, NULL, &old) == 0);
  printf("sigaction reports the program's handler: %s, SA_RESTART %s\n", old.sa_handler == on_sig ? "yes" : "no",
         (old.sa_flags & SA_RESTART) ? "set" : "clear");

  /* timer_create */
  install(SIGUSR2, 0);
  timer_t tm;
  struct sigevent sev;
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGUSR2;
  CHECK(timer_create(CLOCK_MONOTONIC, &sev, &tm) == 0);
  struct itimerspec its = {{0, 0}, {0, 100000000}};
  CHECK(timer_settime(tm, 0, &its, NULL) == 0);
  errno = 0;
  n = read(p[0], &c, 1);
  printf("timer_create signal during read: %zd %s, handler in %s\n", n, strerror(errno), who(ran_in));
  timer_delete(tm);

  /* sleeps tell the time left */
  install(SIGALRM, SA_RESTART);
  arm_ms(200);
  struct timespec req = {5, 0}, rem = {0, 0};
  errno = 0;
  int r = nanosleep(&req, &rem);
  printf("nanosleep: %d %s, time left 4-5 s: %s\n", r, strerror(errno), rem.tv_sec == 4 ? "yes" : "no");
  arm_ms(1200);
  unsigned left = sleep(5);
  printf("sleep(5) interrupted after 1.2 s: left %u\n", left);

  /* never restarted: poll, and a socket with a receive timeout */
  arm_ms(100);
  struct pollfd pf = {p[0], POLLIN, 0};
  errno = 0;
  r = poll(&pf, 1, 5000);
  printf("poll with SA_RESTART: %d %s\n", r, strerror(errno));
  int sv[2];
  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
  struct timeval tv = {5, 0};
  CHECK(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
  arm_ms(100);
  errno = 0;
  n = recv(sv[0], &c, 1, 0);
  printf("recv with SO_RCVTIMEO and SA_RESTART: %zd %s\n", n, strerror(errno));

  /* process-directed: main first */
  install(SIGUSR1, 0);
  pthread_t kt;
  CHECK_RC(pthread_create(&kt, NULL, kill_process_later, (void *)(long)SIGUSR1), 0);
  errno = 0;
  n = read(p[0], &c, 1);
  printf("kill(getpid()) while main reads: %zd %s, handler in %s\n", n, strerror(errno), who(ran_in));
  CHECK_RC(pthread_join(kt, NULL), 0);

  /* main blocks it: the reader thread, the only one that accepts it */
  struct reader rd;
  memset(&rd, 0, sizeof rd);
  CHECK(pipe(rd.fds) == 0);
  pthread_t rt;
  CHECK_RC(pthread_create(&rt, NULL, blocked_reader, &rd), 0);
  while (!atomic_load(&rd.started)) usleep(1000);
  sigset_t u1;
  sigemptyset(&u1);
  sigaddset(&u1, SIGUSR1);
  CHECK_RC(pthread_sigmask(SIG_BLOCK, &u1, NULL), 0);
  CHECK_RC(pthread_create(&kt, NULL, kill_process_later, (void *)(long)SIGUSR1), 0);
  CHECK_RC(pthread_join(rt, NULL), 0);
  CHECK_RC(pthread_join(kt, NULL), 0);
  printf("kill(getpid()) with main blocking it: reader got %zd %s, handler in the reader: %s\n", rd.r,
         strerror(rd.err), rd.self_is_ran_in ? "yes" : "no");
  CHECK_RC(pthread_sigmask(SIG_UNBLOCK, &u1, NULL), 0);

  /* raise in a thread */
  CHECK_RC(pthread_create(&rt, NULL, raiser, NULL), 0);
  CHECK_RC(pthread_join(rt, NULL), 0);

  /* pthread_kill to a blocked reader: EINTR without SA_RESTART... */
  memset(&rd, 0, sizeof rd);
  CHECK(pipe(rd.fds) == 0);
  CHECK_RC(pthread_create(&rt, NULL, blocked_reader, &rd), 0);
  while (!atomic_load(&rd.started)) usleep(1000);
  usleep(50000);
  CHECK_RC(pthread_kill(rt, SIGUSR1), 0);
  CHECK_RC(pthread_join(rt, NULL), 0);
  printf("pthread_kill to a reader: %zd %s, handler in the reader: %s\n", rd.r, strerror(rd.err),
         rd.self_is_ran_in ? "yes" : "no");
  /* ...restarted with it */
  install(SIGUSR1, SA_RESTART);
  memset(&rd, 0, sizeof rd);
  CHECK(pipe(rd.fds) == 0);
  CHECK_RC(pthread_create(&rt, NULL, blocked_reader, &rd), 0);
  while (!atomic_load(&rd.started)) usleep(1000);
  usleep(50000);
  int seen = hits;
  CHECK_RC(pthread_kill(rt, SIGUSR1), 0);
  while (hits == seen) usleep(1000);
  usleep(20000);
  CHECK(write(rd.fds[1], "y", 1) == 1);
  CHECK_RC(pthread_join(rt, NULL), 0);
  printf("pthread_kill to a reader, SA_RESTART: %zd, handler in the reader: %s\n", rd.r,
         rd.self_is_ran_in ? "yes" : "no");

  /* sem_wait: EINTR, then restarted with SA_RESTART */
  CHECK(sem_init(&sem, 0, 0) == 0);
  install(SIGUSR1, 0);
  struct sem_waiter sw;
  memset(&sw, 0, sizeof sw);
  CHECK_RC(pthread_create(&rt, NULL, sem_waiter, &sw), 0);
  while (!atomic_load(&sw.started)) usleep(1000);
  usleep(50000);
  CHECK_RC(pthread_kill(rt, SIGUSR1), 0);
  CHECK_RC(pthread_join(rt, NULL), 0);
  printf("sem_wait interrupted: %d %s\n", sw.r, strerror(sw.err));
  install(SIGUSR1, SA_RESTART);
  memset(&sw, 0, sizeof sw);
  CHECK_RC(pthread_create(&rt, NULL, sem_waiter, &sw), 0);
  while (!atomic_load(&sw.started)) usleep(1000);
  usleep(50000);
  seen = hits;
  CHECK_RC(pthread_kill(rt, SIGUSR1), 0);
  while (hits == seen) usleep(1000);
  usleep(20000);
  CHECK(sem_post(&sem) == 0);
  CHECK_RC(pthread_join(rt, NULL), 0);
  printf("sem_wait with SA_RESTART: %d after the post\n", sw.r);

  /* a handler runs in a thread waiting on a condition variable */
  CHECK_RC(pthread_create(&rt, NULL, cond_waiter, NULL), 0);
  while (!atomic_load(&cond_started)) usleep(1000);
  usleep(50000);
  seen = hits;
  CHECK_RC(pthread_kill(rt, SIGUSR1), 0);
  for (int i = 0; i < 2000 && hits == seen; i++) usleep(1000);
  printf("handler ran in a thread waiting on a condition variable: %s\n", hits == seen + 1 ? "yes" : "no");
  pthread_mutex_lock(&cm);
  cond_go = 1;
  pthread_cond_signal(&cv);
  pthread_mutex_unlock(&cm);
  CHECK_RC(pthread_join(rt, NULL), 0);

  /* siglongjmp out of the handler, again and again */
  struct sigaction sj;
  memset(&sj, 0, sizeof sj);
  sj.sa_handler = on_alarm_jump;
  CHECK(sigaction(SIGALRM, &sj, NULL) == 0);
  volatile int jumped = 0;
  for (int i = 0; i < 3; i++) {
    if (sigsetjmp(jump_back, 1) == 0) {
      arm_ms(50);
      n = read(p[0], &c, 1);
      printf("read returned %zd: the handler did not jump\n", n);
    } else {
      jumped++;
    }
  }
  printf("siglongjmp out of an alarm handler during read: %d of 3\n", jumped);

  /* SIGCHLD while waiting for the child */
  install(SIGCHLD, SA_RESTART);
  seen = hits;
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    usleep(100000);
    _exit(7);
  }
  int st;
  CHECK(waitpid(pid, &st, 0) == pid);
  printf("SIGCHLD handled while waiting: %s, child exit %d\n", hits == seen + 1 ? "yes" : "no", WEXITSTATUS(st));

  report_os_threads();
  ticker_stop();
  return 0;
}
