/* Each thread counts in its own __thread and _Thread_local variables while
 * blocking (nanosleep, poll, pipe reads, mutex and condition waits): 64
 * threads, initialized (.tdata) and zeroed (.tbss) variables, an array, a
 * struct, addresses taken before a blocking call and used after it, and a
 * pointer to one thread's variable read by another (it must see that
 * thread's value, not its own). */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "report.h"

#define N 64
#define ROUNDS 40

static __thread long counter;                 /* .tbss */
static __thread int seeded = 12345;           /* .tdata */
static _Thread_local int arr[64];             /* .tbss array */
static _Thread_local struct { char tag[16]; double x; } rec = {"init", 1.5};

static long *published[N];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int ready;
static pthread_barrier_t barrier;

static void nap(long ns) {
  struct timespec ts = {0, ns};
  CHECK(nanosleep(&ts, NULL) == 0);
}

static void *worker(void *arg) {
  int id = (int)(intptr_t)arg;
  CHECK(counter == 0 && seeded == 12345 && strcmp(rec.tag, "init") == 0 && rec.x == 1.5);
  for (int i = 0; i < 64; i++) CHECK(arr[i] == 0);
  snprintf(rec.tag, sizeof rec.tag, "t%d", id);
  seeded = id * 7;
  long *mine = &counter;
  int fds[2];
  CHECK(pipe(fds) == 0);
  pthread_barrier_wait(&barrier);
  if (id == 0) report_os_threads();
  for (int r = 0; r < ROUNDS; r++) {
    ++*mine;
    arr[r % 64] += id;
    switch (r % 4) {
      case 0: nap(100000 + id * 1000); break;
      case 1: CHECK(poll(NULL, 0, 1) == 0); break;
      case 2: {
        char c = (char)id, d;
        CHECK(write(fds[1], &c, 1) == 1);
        CHECK(read(fds[0], &d, 1) == 1 && d == c);
        nap(50000);
        break;
      }
      case 3:
        pthread_mutex_lock(&mu);
        nap(20000); /* a blocking call inside the critical section */
        pthread_mutex_unlock(&mu);
        break;
    }
    if (mine != &counter) FAIL("thread %d: &counter moved across a blocking call", id);
    if (counter != r + 1) FAIL("thread %d: counter %ld after %d rounds", id, counter, r + 1);
    if (seeded != id * 7) FAIL("thread %d: seeded is %d", id, seeded);
  }
  char want[16];
  snprintf(want, sizeof want, "t%d", id);
  if (strcmp(rec.tag, want) != 0) FAIL("thread %d: rec.tag is '%s'", id, rec.tag);
  long sum = 0;
  for (int i = 0; i < 64; i++) sum += arr[i];
  if (sum != (long)ROUNDS * id) FAIL("thread %d: array sum %ld", id, sum);

  /* Publish the address of this thread's counter and let the next thread
   * read it through the pointer while this one waits. */
  counter = 1000 + id;
  published[id] = &counter;
  pthread_mutex_lock(&mu);
  ready++;
  pthread_cond_broadcast(&cv);
  while (ready < N) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  long seen = *published[(id + 1) % N];
  if (seen != 1000 + (id + 1) % N) FAIL("thread %d: read %ld through thread %d's pointer", id, seen, (id + 1) % N);
  for (int j = 0; j < N; j++)
    if (j != id && published[j] == &counter) FAIL("threads %d and %d share &counter", id, j);
  pthread_barrier_wait(&barrier); /* keep every block alive until all have looked */
  close(fds[0]);
  close(fds[1]);
  return (void *)(intptr_t)(counter - 1000);
}

int main(void) {
  pthread_t t[N];
  pthread_barrier_init(&barrier, NULL, N);
  counter = -1;
  for (int i = 0; i < N; i++) CHECK_RC(pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i), 0);
  long total = 0;
  for (int i = 0; i < N; i++) {
    void *r;
    CHECK_RC(pthread_join(t[i], &r), 0);
    total += (intptr_t)r;
  }
  CHECK(counter == -1 && seeded == 12345);
  printf("threads=%d sum of ids=%ld main counter=%ld\n", N, total, counter);
  return 0;
}
