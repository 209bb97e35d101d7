/* A thread that recurses without end overflows its stack: natively the
 * kernel kills the process with SIGSEGV at the guard page; under ringlet
 * too, after one line naming the fiber. */
#include <pthread.h>
#include <stdio.h>

#pragma GCC diagnostic ignored "-Winfinite-recursion"
static int __attribute__((noinline)) down(int n) {
  volatile char frame[1024];
  frame[0] = (char)n;
  return down(n + 1) + frame[0];
}

static void *run(void *arg) {
  (void)arg;
  return (void *)(long)down(0);
}

int main(void) {
  pthread_t t;
  printf("recursing\n");
  fflush(stdout);
  pthread_create(&t, NULL, run, NULL);
  pthread_join(t, NULL);
  printf("not reached\n");
  return 0;
}
