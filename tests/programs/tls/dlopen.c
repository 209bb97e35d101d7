/* A dlopen'ed library's thread-local variables are per thread: threads
 * started before and after the dlopen each see the initial values, keep
 * their own across blocking calls, and see the library's storage freed and
 * fresh after the library is closed and opened again. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "report.h"

#define N 32
static long *(*counter_addr)(void);
static long (*bump)(long);
static char *(*name_buf)(void);
static int (*seed_value)(void);
static pthread_barrier_t opened, done;

static void nap(long ns) {
  struct timespec ts = {0, ns};
  nanosleep(&ts, NULL);
}

static void *worker(void *arg) {
  int id = (int)(intptr_t)arg;
  if (id < N / 2) pthread_barrier_wait(&opened); /* started before dlopen */
  CHECK(*counter_addr() == 0 && seed_value() == 77 && strcmp(name_buf(), "unnamed") == 0);
  long *mine = counter_addr();
  snprintf(name_buf(), 32, "worker %d", id);
  for (int r = 1; r <= 25; r++) {
    bump(id);
    nap(200000 + 10000 * (id % 5));
    if (counter_addr() != mine) FAIL("thread %d: the library's TLS moved", id);
    if (*mine != (long)id * r) FAIL("thread %d: counter %ld after %d rounds", id, *mine, r);
  }
  char want[32];
  snprintf(want, sizeof want, "worker %d", id);
  if (strcmp(name_buf(), want) != 0) FAIL("thread %d: name '%s'", id, name_buf());
  if (id == 0) report_os_threads();
  pthread_barrier_wait(&done);
  return (void *)*mine;
}

static void *load(const char *path) {
  void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!h) FAIL("dlopen: %s", dlerror());
  counter_addr = (long *(*)(void))dlsym(h, "lib_counter_addr");
  bump = (long (*)(long))dlsym(h, "lib_bump");
  name_buf = (char *(*)(void))dlsym(h, "lib_name_buf");
  seed_value = (int (*)(void))dlsym(h, "lib_seed_value");
  CHECK(counter_addr && bump && name_buf && seed_value);
  return h;
}

int main(int argc, char **argv) {
  CHECK(argc == 2);
  pthread_t t[N];
  pthread_barrier_init(&opened, NULL, N / 2 + 1);
  pthread_barrier_init(&done, NULL, N);
  for (int i = 0; i < N / 2; i++) CHECK_RC(pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i), 0);
  void *h = load(argv[1]);
  pthread_barrier_wait(&opened);
  for (int i = N / 2; i < N; i++) CHECK_RC(pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i), 0);
  long sum = 0;
  for (int i = 0; i < N; i++) {
    void *r;
    CHECK_RC(pthread_join(t[i], &r), 0);
    sum += (long)(intptr_t)r;
  }
  bump(5);
  printf("sum=%ld main=%ld\n", sum, *counter_addr());
  dlclose(h);
  h = load(argv[1]);
  printf("after reopen: main=%ld seed=%d name=%s\n", *counter_addr(), seed_value(), name_buf());
  dlclose(h);
  return 0;
}
