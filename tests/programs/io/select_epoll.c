/* select, pselect, poll, ppoll, epoll_wait and epoll_pwait on pipes: timeouts,
 * readiness, timeout 0, infinite waits woken by another thread; EBADF,
 * ignored fd -1, POLLNVAL, POLLHUP; two threads in epoll_wait on one epoll
 * fd with EPOLLONESHOT; a waiter woken by an EPOLL_CTL_ADD. */
#include "check.h"
#include "clock.h"
#include "report.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>


enum { SELECT, PSELECT, POLL, PPOLL, EPOLL_WAIT, EPOLL_PWAIT, NKINDS };
static const char *names[] = {"select", "pselect", "poll", "ppoll", "epoll_wait", "epoll_pwait"};
static int rd[2], wr[2]; /* two pipes: read ends, write ends */
static int epfd;

/* Waits until rd[0] or rd[1] is readable; sets ready[i]; returns the count. */
static int wait_readable(int kind, int timeout_ms, int ready[2]) {
  struct timeval tv = {timeout_ms / 1000, timeout_ms % 1000 * 1000}, orig = tv;
  struct timespec ts = {timeout_ms / 1000, timeout_ms % 1000 * 1000000L}, ots = ts;
  struct pollfd p[2] = {{rd[0], POLLIN, 0}, {rd[1], POLLIN, 0}};
  struct epoll_event ev[2];
  fd_set set;
  FD_ZERO(&set);
  FD_SET(rd[0], &set);
  FD_SET(rd[1], &set);
  int nfds = (rd[0] > rd[1] ? rd[0] : rd[1]) + 1, n;
  sigset_t none;
  sigemptyset(&none);
  ready[0] = ready[1] = 0;
  switch (kind) {
  case SELECT:
  case PSELECT:
    if (kind == SELECT) {
      n = select(nfds, &set, NULL, NULL, timeout_ms < 0 ? NULL : &tv);
      /* Linux writes back the time not slept: 0 after a timeout. */
      CHECK(tv.tv_sec * 1000000L + tv.tv_usec <= orig.tv_sec * 1000000L + orig.tv_usec);
      if (n == 0) CHECK(tv.tv_sec == 0 && tv.tv_usec == 0);
      if (n > 0 && timeout_ms > 1000) CHECK(tv.tv_sec * 1000L + tv.tv_usec / 1000 > timeout_ms - 1000);
    } else {
      n = pselect(nfds, &set, NULL, NULL, timeout_ms < 0 ? NULL : &ts, &none);
      CHECK(ts.tv_sec == ots.tv_sec && ts.tv_nsec == ots.tv_nsec); /* const: untouched */
    }
    for (int i = 0; n > 0 && i < 2; i++) ready[i] = FD_ISSET(rd[i], &set) != 0;
    break;
  case POLL:
  case PPOLL:
    n = kind == POLL ? poll(p, 2, timeout_ms) : ppoll(p, 2, timeout_ms < 0 ? NULL : &ts, NULL);
    for (int i = 0; n > 0 && i < 2; i++) {
      CHECK(p[i].revents == 0 || p[i].revents == POLLIN);
      ready[i] = p[i].revents == POLLIN;
    }
    break;
  default:
    n = kind == EPOLL_WAIT ? epoll_wait(epfd, ev, 2, timeout_ms) : epoll_pwait(epfd, ev, 2, timeout_ms, &none);
    for (int i = 0; i < n; i++) {
      CHECK(ev[i].events == EPOLLIN && (ev[i].data.u32 == 0 || ev[i].data.u32 == 1));
      ready[ev[i].data.u32] = 1;
    }
  }
  if (n < 0) FAIL("%s: %s", names[kind], strerror(errno));
  return n;
}

static void *write_later(void *arg) {
  sleep_ms(100);
  CHECK(write((int)(intptr_t)arg, "x", 1) == 1);
  return NULL;
}

static void drain(int fd) {
  char c;
  CHECK(read(fd, &c, 1) == 1);
}

static void check_kind(int kind) {
  int ready[2];
  double t0 = now_ms();
  CHECK(wait_readable(kind, 200, ready) == 0);
  double took = now_ms() - t0;
  fprintf(stderr, "%s: 200 ms timeout took %.1f ms\n", names[kind], took);
  CHECK(took >= 180 && took < 10000);

  t0 = now_ms();
  CHECK(wait_readable(kind, 0, ready) == 0);
  CHECK(now_ms() - t0 < 1000);

  CHECK(write(wr[1], "x", 1) == 1);
  t0 = now_ms();
  CHECK(wait_readable(kind, 5000, ready) == 1 && !ready[0] && ready[1]);
  CHECK(now_ms() - t0 < 1000);
  drain(rd[1]);

  pthread_t t;
  t0 = now_ms(); /* the writer sleeps 100 ms from its start */
  CHECK(pthread_create(&t, NULL, write_later, (void *)(intptr_t)wr[0]) == 0);
  CHECK(wait_readable(kind, -1, ready) == 1 && ready[0] && !ready[1]);
  took = now_ms() - t0;
  pthread_join(t, NULL);
  CHECK(took >= 90);
  drain(rd[0]);
  printf("%s: times out, finds the ready fd, returns at once with timeout 0, "
         "is woken by another thread\n", names[kind]);
}

static void check_bad_fds(void) {
  int closed = dup(rd[0]);
  CHECK(closed >= 0 && close(closed) == 0);
  fd_set set;
  FD_ZERO(&set);
  FD_SET(closed, &set);
  struct timeval tv = {1, 0};
  CHECK(select(closed + 1, &set, NULL, NULL, &tv) == -1 && errno == EBADF);
  printf("select on a closed fd: EBADF\n");

  CHECK(write(wr[1], "x", 1) == 1);
  struct pollfd p[3] = {{-1, POLLIN, 0}, {rd[1], POLLIN, 0}, {closed, POLLIN, 0}};
  CHECK(poll(p, 3, 1000) == 2);
  CHECK(p[0].revents == 0 && p[1].revents == POLLIN && p[2].revents == POLLNVAL);
  drain(rd[1]);
  printf("poll: fd -1 ignored, POLLNVAL for a closed fd\n");

  int sv[2], pp[2];
  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0 && pipe(pp) == 0);
  CHECK(close(sv[1]) == 0 && close(pp[1]) == 0);
  struct pollfd h[2] = {{sv[0], POLLIN, 0}, {pp[0], POLLIN, 0}};
  CHECK(poll(h, 2, 1000) == 2);
  printf("peer closed: socketpair revents %#x, pipe revents %#x\n", h[0].revents, h[1].revents);
  CHECK(h[0].revents == (POLLIN | POLLHUP) && h[1].revents == POLLHUP);
  close(sv[0]);
  close(pp[0]);
}

static int oneshot_fd[2], got[2];

static void *oneshot_waiter(void *arg) {
  struct epoll_event ev;
  int n = epoll_wait(epfd, &ev, 1, -1);
  CHECK(n == 1 && ev.events == EPOLLIN);
  got[(intptr_t)arg] = (int)ev.data.u32;
  return NULL;
}

static void check_epoll_threads(void) {
  int p[2][2];
  epfd = epoll_create1(EPOLL_CLOEXEC);
  CHECK(epfd >= 0 && pipe(p[0]) == 0 && pipe(p[1]) == 0);
  for (int i = 0; i < 2; i++) {
    oneshot_fd[i] = p[i][0];
    struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.u32 = (uint32_t)i};
    CHECK(epoll_ctl(epfd, EPOLL_CTL_ADD, p[i][0], &ev) == 0);
  }
  pthread_t t[2];
  for (int i = 0; i < 2; i++) CHECK(pthread_create(&t[i], NULL, oneshot_waiter, (void *)(intptr_t)i) == 0);
  sleep_ms(100);
  report_os_threads();
  CHECK(write(p[0][1], "ab", 2) == 2);
  sleep_ms(100);
  CHECK(write(p[1][1], "cd", 2) == 2);
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
  CHECK(got[0] != got[1]);
  printf("two threads in epoll_wait on one epoll fd: each got one of the two fds\n");

  struct epoll_event ev;
  CHECK(epoll_wait(epfd, &ev, 1, 0) == 0); /* still readable, but disarmed */
  ev = (struct epoll_event){.events = EPOLLIN | EPOLLONESHOT, .data.u32 = 1};
  CHECK(epoll_ctl(epfd, EPOLL_CTL_MOD, p[1][0], &ev) == 0);
  CHECK(epoll_wait(epfd, &ev, 1, 1000) == 1 && ev.data.u32 == 1);
  CHECK(epoll_wait(epfd, &ev, 1, 0) == 0);
  printf("EPOLLONESHOT: disarmed after one event, rearmed by EPOLL_CTL_MOD\n");
  for (int i = 0; i < 2; i++) close(p[i][0]), close(p[i][1]);
  close(epfd);
}

static void *add_later(void *arg) {
  sleep_ms(100);
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 7};
  CHECK(epoll_ctl(epfd, EPOLL_CTL_ADD, (int)(intptr_t)arg, &ev) == 0);
  return NULL;
}

static void check_epoll_add_wakes(void) {
  int p[2];
  epfd = epoll_create1(0);
  CHECK(epfd >= 0 && pipe(p) == 0 && write(p[1], "x", 1) == 1);
  pthread_t t;
  double t0 = now_ms();
  CHECK(pthread_create(&t, NULL, add_later, (void *)(intptr_t)p[0]) == 0);
  struct epoll_event ev;
  CHECK(epoll_wait(epfd, &ev, 1, -1) == 1 && ev.data.u32 == 7 && ev.events == EPOLLIN);
  CHECK(now_ms() - t0 >= 90);
  pthread_join(t, NULL);
  printf("epoll_wait on an empty set is woken by EPOLL_CTL_ADD of a ready fd\n");
  close(p[0]), close(p[1]), close(epfd);
}

int main(void) {
  int a[2], b[2];
  CHECK(pipe(a) == 0 && pipe(b) == 0);
  rd[0] = a[0], wr[0] = a[1], rd[1] = b[0], wr[1] = b[1];
  epfd = epoll_create1(0);
  CHECK(epfd >= 0);
  for (uint32_t i = 0; i < 2; i++) {
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
    CHECK(epoll_ctl(epfd, EPOLL_CTL_ADD, rd[i], &ev) == 0);
  }
  for (int k = 0; k < NKINDS; k++) check_kind(k);
  check_bad_fds();
  close(epfd);
  check_epoll_threads();
  check_epoll_add_wakes();
  return 0;
}
