/* pthread_cancel with deferred cancellation at blocking calls, and the
 * cleanup handlers of pthread_cleanup_push (C, setjmp form): each case runs
 * a thread that pushes two handlers and blocks in one call, and main
 * cancels it; the handlers must run innermost first, the join must return
 * PTHREAD_CANCELED, and a condition wait must hold its mutex again when the
 * handlers run. Also: disabled cancellation, pthread_testcancel in a loop
 * with no cancellation point, asynchronous self-cancellation, pthread_exit
 * running the handlers, pthread_cleanup_pop(1), and cancelling a thread
 * that already returned. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "report.h"

static char trail[64]; /* what the handlers of the current case did */
static pthread_mutex_t trail_mu = PTHREAD_MUTEX_INITIALIZER;
static sem_t blocking; /* posted just before the thread blocks */

static void note(void *what) {
  pthread_mutex_lock(&trail_mu);
  strcat(trail, (const char *)what);
  pthread_mutex_unlock(&trail_mu);
}

static int pipefd[2], listenfd, sockfd[2], epfd;
static pthread_mutex_t cmu;
static pthread_cond_t ccv = PTHREAD_COND_INITIALIZER;
static sem_t never;
static pthread_t sleeper;

static void unlock_cmu(void *x) {
  (void)x;
  /* An error-checking mutex: unlocking succeeds only if we hold it. */
  note(pthread_mutex_unlock(&cmu) == 0 ? "U" : "!");
}

static void block_in(const char *call) {
  char c;
  if (!strcmp(call, "read")) {
    sem_post(&blocking);
    ssize_t r = read(pipefd[0], &c, 1);
    (void)r;
  } else if (!strcmp(call, "nanosleep")) {
    struct timespec ts = {30, 0};
    sem_post(&blocking);
    nanosleep(&ts, NULL);
  } else if (!strcmp(call, "poll")) {
    struct pollfd p = {pipefd[0], POLLIN, 0};
    sem_post(&blocking);
    poll(&p, 1, 30000);
  } else if (!strcmp(call, "select")) {
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(pipefd[0], &rs);
    struct timeval tv = {30, 0};
    sem_post(&blocking);
    select(pipefd[0] + 1, &rs, NULL, NULL, &tv);
  } else if (!strcmp(call, "accept")) {
    sem_post(&blocking);
    accept(listenfd, NULL, NULL);
  } else if (!strcmp(call, "recv")) {
    sem_post(&blocking);
    recv(sockfd[0], &c, 1, 0);
  } else if (!strcmp(call, "epoll_wait")) {
    struct epoll_event ev;
    sem_post(&blocking);
    epoll_wait(epfd, &ev, 1, 30000);
  } else if (!strcmp(call, "usleep")) {
    sem_post(&blocking);
    usleep(30000000);
  } else if (!strcmp(call, "sem_timedwait")) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 30;
    sem_post(&blocking);
    sem_timedwait(&never, &ts);
  } else if (!strcmp(call, "timedjoin")) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 30;
    sem_post(&blocking);
    pthread_timedjoin_np(sleeper, NULL, &ts);
  } else if (!strcmp(call, "sem_wait")) {
    sem_post(&blocking);
    sem_wait(&never);
  } else if (!strcmp(call, "join")) {
    sem_post(&blocking);
    pthread_join(sleeper, NULL);
  } else if (!strcmp(call, "cond_wait") || !strcmp(call, "cond_timedwait")) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 30;
    int timed = !strcmp(call, "cond_timedwait");
    pthread_mutex_lock(&cmu);
    pthread_cleanup_push(unlock_cmu, NULL);
    sem_post(&blocking);
    for (;;) timed ? pthread_cond_timedwait(&ccv, &cmu, &ts) : pthread_cond_wait(&ccv, &cmu);
    pthread_cleanup_pop(0);
  }
}

static void *blocker(void *arg) {
  pthread_cleanup_push(note, "1");
  pthread_cleanup_push(note, "2");
  block_in((const char *)arg);
  pthread_cleanup_pop(0);
  pthread_cleanup_pop(0);
  return (void *)"returned";
}

static void *sleep_forever(void *x) {
  (void)x;
  for (;;) sleep(100);
  return NULL;
}

static void run_case(const char *call) {
  trail[0] = 0;
  pthread_t t;
  CHECK_RC(pthread_create(&t, NULL, blocker, (void *)call), 0);
  sem_wait(&blocking);
  usleep(20000); /* let it reach the call (either way it must end cancelled) */
  CHECK_RC(pthread_cancel(t), 0);
  void *r;
  CHECK_RC(pthread_join(t, &r), 0);
  printf("%-10s %s, handlers ran: %s\n", call, r == PTHREAD_CANCELED ? "cancelled" : (char *)r, trail);
}

static volatile int go_on;

static void *disabled(void *x) {
  (void)x;
  int old = -1;
  CHECK_RC(pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old), 0);
  CHECK(old == PTHREAD_CANCEL_ENABLE);
  pthread_cleanup_push(note, "D");
  sem_post(&blocking);
  struct timespec ts = {0, 80000000};
  CHECK(nanosleep(&ts, NULL) == 0); /* not a cancellation point while disabled */
  note("s");
  CHECK_RC(pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old), 0);
  CHECK(old == PTHREAD_CANCEL_DISABLE);
  note("e");
  pthread_testcancel();
  note("!");
  pthread_cleanup_pop(0);
  return NULL;
}

static void *spinner(void *x) {
  (void)x;
  pthread_cleanup_push(note, "S");
  sem_post(&blocking);
  while (!go_on) sched_yield(); /* not a cancellation point */
  note("t");
  pthread_testcancel();
  note("!");
  pthread_cleanup_pop(0);
  return NULL;
}

static void *async_self(void *x) {
  (void)x;
  pthread_cleanup_push(note, "A");
  int old = -1;
  CHECK_RC(pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old), 0);
  CHECK(old == PTHREAD_CANCEL_DEFERRED);
  pthread_cancel(pthread_self());
  note("!");
  pthread_cleanup_pop(0);
  return NULL;
}

static void *exits(void *x) {
  (void)x;
  pthread_cleanup_push(note, "x");
  pthread_cleanup_push(note, "y");
  pthread_cleanup_pop(1); /* runs y now */
  pthread_exit((void *)"exited");
  pthread_cleanup_pop(0);
  return NULL;
}

static void *quick(void *x) { return x; }

static void other(const char *name, void *(*fn)(void *), int poke) {
  trail[0] = 0;
  go_on = 0;
  pthread_t t;
  CHECK_RC(pthread_create(&t, NULL, fn, NULL), 0);
  if (poke) {
    sem_wait(&blocking);
    CHECK_RC(pthread_cancel(t), 0);
    usleep(10000);
    go_on = 1;
  }
  void *r;
  CHECK_RC(pthread_join(t, &r), 0);
  printf("%-10s %s, handlers ran: %s\n", name, r == PTHREAD_CANCELED ? "cancelled" : (char *)r, trail);
}

int main(void) {
  sem_init(&blocking, 0, 0);
  sem_init(&never, 0, 0);
  CHECK(pipe(pipefd) == 0);
  pthread_mutexattr_t ma;
  pthread_mutexattr_init(&ma);
  pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK);
  pthread_mutex_init(&cmu, &ma);
  listenfd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  CHECK(bind(listenfd, (struct sockaddr *)&a, sizeof a) == 0 && listen(listenfd, 4) == 0);
  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sockfd) == 0);
  epfd = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = pipefd[0]};
  CHECK(epfd >= 0 && epoll_ctl(epfd, EPOLL_CTL_ADD, pipefd[0], &ev) == 0);
  CHECK_RC(pthread_create(&sleeper, NULL, sleep_forever, NULL), 0);
  report_os_threads();

  const char *calls[] = {"read",     "nanosleep",     "poll",      "select",    "accept",    "recv",
                         "epoll_wait", "usleep",      "sem_wait",  "sem_timedwait", "join", "timedjoin",
                         "cond_wait",  "cond_timedwait"};
  for (unsigned i = 0; i < sizeof calls / sizeof calls[0]; i++) run_case(calls[i]);
  other("disabled", disabled, 1);
  other("testcancel", spinner, 1);
  other("async", async_self, 0);
  other("exit", exits, 0);

  pthread_t t;
  CHECK_RC(pthread_create(&t, NULL, quick, (void *)"done"), 0);
  usleep(20000);
  int rc = pthread_cancel(t); /* already returned, not yet joined */
  void *r;
  CHECK_RC(pthread_join(t, &r), 0);
  printf("cancel after return: %d, join gave %s\n", rc, (char *)r);
  /* The sleeper is still joinable after a cancelled join of it. */
  CHECK_RC(pthread_cancel(sleeper), 0);
  CHECK_RC(pthread_join(sleeper, &r), 0);
  printf("sleeper %s\n", r == PTHREAD_CANCELED ? "cancelled" : "not cancelled");
  return 0;
}
