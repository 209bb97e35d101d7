/* errno belongs to each thread: 8 threads set distinct errno values, block in
 * calls that succeed (nanosleep, poll timing out, poll + read of a ready
 * pipe) and find their own value again; one thread's failing call does not
 * touch the others' errno; and errno from failing blocking calls (ETIMEDOUT
 * from sem_timedwait, EAGAIN from a non-blocking read) survives other
 * threads blocking and failing meanwhile. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "report.h"


#define N 8
static pthread_barrier_t barrier;

static void sync_all(void) {
  int rc = pthread_barrier_wait(&barrier);
  CHECK(rc == 0 || rc == PTHREAD_BARRIER_SERIAL_THREAD);
}

static void expect_errno(int id, int want, const char *where) {
  int e = errno;
  if (e != want) FAIL("thread %d %s: errno %d (%s), want %d", id, where, e, strerror(e), want);
}

static void *worker(void *arg) {
  int id = (int)(intptr_t)arg, mine = 1000 + id;
  int fds[2], nb[2];
  CHECK(pipe(fds) == 0);
  CHECK(pipe2(nb, O_NONBLOCK) == 0);
  sync_all();
  if (id == 0) report_os_threads();

  /* Phase 1: calls that succeed leave errno alone. */
  int *ep = &errno;
  for (int round = 0; round < 20; round++) {
    errno = mine + round;
    struct timespec ts = {0, 10000000};
    CHECK(nanosleep(&ts, NULL) == 0);
    expect_errno(id, mine + round, "after nanosleep");
    if (*ep != mine + round) FAIL("thread %d: *(&errno) changed across nanosleep", id);

    struct pollfd p = {.fd = fds[0], .events = POLLIN};
    CHECK(poll(&p, 1, 5) == 0);  /* empty pipe: times out */
    expect_errno(id, mine + round, "after poll timeout");

    char c = (char)id;
    CHECK(write(fds[1], &c, 1) == 1);
    CHECK(poll(&p, 1, 10000) == 1 && (p.revents & POLLIN));
    CHECK(read(fds[0], &c, 1) == 1 && c == (char)id);
    sched_yield();
    expect_errno(id, mine + round, "after write/poll/read");
  }
  sync_all();

  /* Phase 2: thread 0 fails a call; the others' errno stays. */
  errno = mine;
  sync_all();
  if (id == 0) {
    CHECK(close(-1) == -1);
    expect_errno(id, EBADF, "after close(-1)");
  }
  sync_all();
  expect_errno(id, id == 0 ? EBADF : mine, "after thread 0 failed a call");
  sync_all();

  /* Phase 3: errors from blocking calls survive the others' blocking. */
  int want;
  if (id % 2) {
    sem_t s;
    CHECK(sem_init(&s, 0, 0) == 0);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 20000000;
    if (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
    CHECK(sem_timedwait(&s, &ts) == -1);
    want = ETIMEDOUT;
    CHECK(sem_destroy(&s) == 0);
  } else {
    char c;
    CHECK(read(nb[0], &c, 1) == -1);
    want = EAGAIN;
  }
  expect_errno(id, want, "right after the failing call");
  struct timespec ts = {0, 30000000};
  CHECK(nanosleep(&ts, NULL) == 0);
  sync_all();
  expect_errno(id, want, "after the others failed theirs");

  close(fds[0]);
  close(fds[1]);
  close(nb[0]);
  close(nb[1]);
  return NULL;
}

int main(void) {
  pthread_t t[N];
  CHECK(pthread_barrier_init(&barrier, NULL, N) == 0);
  for (int i = 0; i < N; i++) CHECK(pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i) == 0);
  errno = 4242;  /* main's own, kept across the joins */
  for (int i = 0; i < N; i++) CHECK(pthread_join(t[i], NULL) == 0);
  CHECK(pthread_barrier_destroy(&barrier) == 0);
  expect_errno(-1, 4242, "main after joining");
  printf("%d threads kept their own errno\n", N);
  return 0;
}
