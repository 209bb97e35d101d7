/* Limits: with the address space capped (RLIMIT_AS), creating threads with
 * default stacks until pthread_create fails must fail with EAGAIN, as
 * glibc's does, never crash; the threads created meanwhile still run and
 * join; and a program-given stack of PTHREAD_STACK_MIN bytes works. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "check.h"
#include "report.h"

#define MAX 100000
static pthread_t t[MAX];
static volatile int release;

static void *waiter(void *x) {
  (void)x;
  while (!release) usleep(1000);
  return (void *)1;
}

static void *tiny(void *x) {
  char buf[1024];
  memset(buf, 1, sizeof buf);
  return (void *)(long)(buf[10] + (long)x);
}

static long vm_kib(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long v = 0;
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, "VmSize:", 7)) v = atol(line + 7);
  if (f) fclose(f);
  return v;
}

int main(void) {
  /* A small stack given by the program: PTHREAD_STACK_MIN. */
  size_t len = PTHREAD_STACK_MIN;
  void *stk = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(stk != MAP_FAILED);
  pthread_attr_t a;
  pthread_attr_init(&a);
  CHECK_RC(pthread_attr_setstack(&a, stk, len), 0);
  pthread_t s;
  CHECK_RC(pthread_create(&s, &a, tiny, (void *)1), 0);
  void *r;
  CHECK_RC(pthread_join(s, &r), 0);
  printf("thread on a %zu-byte stack returned %ld\n", len, (long)r);

  /* Room for a few hundred default (8 MiB) stacks, not for MAX. */
  struct rlimit rl;
  rl.rlim_cur = rl.rlim_max = (rlim_t)(vm_kib() + 2 * 1024 * 1024) * 1024;
  CHECK(setrlimit(RLIMIT_AS, &rl) == 0);
  int n = 0, err = 0;
  for (; n < MAX; n++) {
    err = pthread_create(&t[n], NULL, waiter, NULL);
    if (err) break;
  }
  report_os_threads();
  release = 1;
  long joined = 0;
  for (int i = 0; i < n; i++) {
    CHECK_RC(pthread_join(t[i], &r), 0);
    joined += (long)r;
  }
  printf("creation stopped with %s; some were created first: %s; all of those joined: %s\n",
         err ? strerror(err) : "no error", n > 10 ? "yes" : "no", joined == n ? "yes" : "no");
  return 0;
}
