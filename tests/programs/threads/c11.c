/* C11 <threads.h>: threads, plain/recursive/timed mutexes, condition
 * variables (with timeouts), thread-specific storage with destructors,
 * call_once, thrd_sleep and thrd_exit, with blocking calls inside critical
 * sections: the same results natively and under ringlet, where they are
 * fibers. */
#include <stdint.h>
#include <stdio.h>
#include <threads.h>
#include <time.h>

#include "check.h"
#include "report.h"

#define N 16
static mtx_t mu, rec;
static cnd_t go_cv;
static int go, counter, once_runs, tss_dtor_runs;
static tss_t key;
static once_flag once = ONCE_FLAG_INIT;
static _Thread_local int mine;

static void init_once(void) {
  struct timespec d = {0, 5000000};
  thrd_sleep(&d, NULL);
  once_runs++;
}

static void tss_dtor(void *v) {
  mtx_lock(&mu);
  tss_dtor_runs += (int)(intptr_t)v > 0;
  mtx_unlock(&mu);
}

static int worker(void *arg) {
  int id = (int)(intptr_t)arg;
  mine = id;
  CHECK(tss_set(key, (void *)(intptr_t)(id + 1)) == thrd_success);
  mtx_lock(&mu);
  while (!go) cnd_wait(&go_cv, &mu);
  mtx_unlock(&mu);
  if (id == 0) report_os_threads();
  call_once(&once, init_once);
  for (int i = 0; i < 10; i++) {
    CHECK(mtx_lock(&rec) == thrd_success);
    CHECK(mtx_lock(&rec) == thrd_success); /* recursive */
    int v = counter;
    struct timespec d = {0, 200000};
    CHECK(thrd_sleep(&d, NULL) == 0); /* blocking inside the critical section */
    counter = v + 1;
    mtx_unlock(&rec);
    mtx_unlock(&rec);
  }
  CHECK(mine == id && (int)(intptr_t)tss_get(key) == id + 1);
  if (id % 2) thrd_exit(id * 3);
  return id * 3;
}

int main(void) {
  CHECK(mtx_init(&mu, mtx_plain) == thrd_success);
  CHECK(mtx_init(&rec, mtx_recursive | mtx_timed) == thrd_success);
  CHECK(cnd_init(&go_cv) == thrd_success);
  CHECK(tss_create(&key, tss_dtor) == thrd_success);
  thrd_t t[N];
  for (int i = 0; i < N; i++) CHECK(thrd_create(&t[i], worker, (void *)(intptr_t)i) == thrd_success);
  struct timespec d = {0, 20000000};
  thrd_sleep(&d, NULL);
  mtx_lock(&mu);
  go = 1;
  cnd_broadcast(&go_cv);
  mtx_unlock(&mu);
  long sum = 0;
  for (int i = 0; i < N; i++) {
    int r = -1;
    CHECK(thrd_join(t[i], &r) == thrd_success);
    sum += r;
  }
  printf("threads=%d counter=%d once_runs=%d tss destructors=%d sum of results=%ld\n", N, counter, once_runs,
         tss_dtor_runs, sum);

  /* Timeouts and busy. */
  struct timespec abs;
  timespec_get(&abs, TIME_UTC);
  abs.tv_nsec += 20000000;
  if (abs.tv_nsec >= 1000000000) abs.tv_sec++, abs.tv_nsec -= 1000000000;
  mtx_lock(&mu);
  int tw = cnd_timedwait(&go_cv, &mu, &abs);
  mtx_unlock(&mu);
  mtx_t timed;
  CHECK(mtx_init(&timed, mtx_timed) == thrd_success);
  CHECK(mtx_lock(&timed) == thrd_success);
  int busy = mtx_trylock(&timed);
  printf("cnd_timedwait: %s, mtx_trylock on a held mutex: %s, current==self: %d\n",
         tw == thrd_timedout ? "timed out" : "other", busy == thrd_busy ? "busy" : "other",
         thrd_equal(thrd_current(), thrd_current()));
  mtx_unlock(&timed);
  mtx_destroy(&timed);
  cnd_destroy(&go_cv);
  tss_delete(key);
  return 0;
}
