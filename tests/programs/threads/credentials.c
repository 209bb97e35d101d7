/* The set*id family in a threaded process: glibc makes every thread change
 * its credentials (SIGSETXID to each). Called from threads, from main, and
 * while a helper thread exists under ringlet (a process-shared condition
 * wait creates one), each call must return as natively and the process must
 * live on. */
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "report.h"

static void *change(void *x) {
  (void)x;
  int a = setgid(getgid()), b = setuid(getuid()), c = setresgid(-1, getegid(), -1), d = seteuid(geteuid());
  gid_t g[64];
  int n = getgroups(64, g);
  int e = n >= 0 ? setgroups((size_t)n, g) : -2;
  int eperm = e == -1 && errno == EPERM;
  return (void *)(long)(a == 0 && b == 0 && c == 0 && d == 0 && (e == 0 || eperm));
}

int main(void) {
  pthread_t t[4];
  for (int i = 0; i < 4; i++) CHECK_RC(pthread_create(&t[i], NULL, change, NULL), 0);
  report_os_threads();
  long ok = 0;
  for (int i = 0; i < 4; i++) {
    void *r;
    CHECK_RC(pthread_join(t[i], &r), 0);
    ok += (long)r;
  }
  printf("threads whose calls succeeded: %ld of 4\n", ok);

  /* A process-shared condition wait that times out. */
  pthread_mutexattr_t ma;
  pthread_mutexattr_init(&ma);
  pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
  static pthread_mutex_t m;
  static pthread_cond_t c;
  pthread_mutex_init(&m, &ma);
  pthread_cond_init(&c, &ca);
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_nsec += 10000000;
  if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
  pthread_mutex_lock(&m);
  int w = pthread_cond_timedwait(&c, &m, &ts);
  pthread_mutex_unlock(&m);
  printf("shared condition wait: %s\n", strerror(w));

  printf("main after that: %s\n", change(NULL) ? "succeeded" : "failed");
  CHECK_RC(pthread_create(&t[0], NULL, change, NULL), 0);
  void *r;
  CHECK_RC(pthread_join(t[0], &r), 0);
  printf("a thread after that: %s\n", r ? "succeeded" : "failed");
  return 0;
}
