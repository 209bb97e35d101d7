/* Default thread stacks are as deep as native ones: two threads with default
 * attributes each recurse through 75% of the default stack size
 * (pthread_getattr_default_np), with 1 KiB frames filled with a per-thread
 * pattern. Both wait at the bottom together, then verify every frame on the
 * way up. The main thread does the same with a quarter of that. The depth
 * reached depends only on the stack size and the frame size, so it is the
 * same natively and under ringlet. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "report.h"


#define FRAME 1024

struct probe {
  char *top;          /* the first frame's buffer */
  size_t budget;      /* bytes of stack to use */
  int pattern;
  int depth;          /* reached */
  pthread_barrier_t *bottom;  /* waited on twice at the deepest point */
};

static __attribute__((noinline)) int recurse(struct probe *p, int depth) {
  volatile char buf[FRAME];
  for (int i = 0; i < FRAME; i++) buf[i] = (char)(p->pattern + depth + i);
  if (!p->top) p->top = (char *)buf;
  int below = 0;
  if ((size_t)(p->top - (char *)buf) + 2 * FRAME >= p->budget) {
    p->depth = depth;
    for (int k = 0; p->bottom && k < 2; k++) {
      int rc = pthread_barrier_wait(p->bottom);
      CHECK(rc == 0 || rc == PTHREAD_BARRIER_SERIAL_THREAD);
    }
  } else {
    below = recurse(p, depth + 1);
  }
  for (int i = 0; i < FRAME; i++)
    if (buf[i] != (char)(p->pattern + depth + i))
      FAIL("frame %d of pattern %d overwritten at byte %d", depth, p->pattern, i);
  return below + 1;
}

static size_t default_stack_size(void) {
  pthread_attr_t a;
  size_t size = 0;
  CHECK_RC(pthread_getattr_default_np(&a), 0);
  CHECK_RC(pthread_attr_getstacksize(&a, &size), 0);
  CHECK_RC(pthread_attr_destroy(&a), 0);
  return size;
}

static void *deep(void *arg) {
  struct probe *p = arg;
  pthread_attr_t a;
  size_t size = 0;
  CHECK_RC(pthread_getattr_np(pthread_self(), &a), 0);
  CHECK_RC(pthread_attr_getstacksize(&a, &size), 0);
  CHECK_RC(pthread_attr_destroy(&a), 0);
  fprintf(stderr, "thread stack %zu bytes\n", size);
  CHECK(size >= p->budget);
  int frames = recurse(p, 1);
  CHECK(frames == p->depth);
  fprintf(stderr, "pattern %d: depth %d, %zu bytes used\n", p->pattern, p->depth, p->budget);
  return NULL;
}

int main(void) {
  size_t def = default_stack_size();
  fprintf(stderr, "default thread stack size %zu\n", def);
  CHECK(def >= 64 * 1024);

  pthread_barrier_t bottom;
  CHECK_RC(pthread_barrier_init(&bottom, NULL, 3), 0);
  struct probe p[2];
  pthread_t t[2];
  for (int i = 0; i < 2; i++) {
    p[i] = (struct probe){.budget = def / 4 * 3, .pattern = 17 + 40 * i, .bottom = &bottom};
    CHECK_RC(pthread_create(&t[i], NULL, deep, &p[i]), 0);
  }
  for (int k = 0; k < 2; k++) {
    int rc = pthread_barrier_wait(&bottom);
    CHECK(rc == 0 || rc == PTHREAD_BARRIER_SERIAL_THREAD);
    if (k == 0) report_os_threads();  /* both threads at their deepest point */
  }
  for (int i = 0; i < 2; i++) CHECK_RC(pthread_join(t[i], NULL), 0);
  CHECK_RC(pthread_barrier_destroy(&bottom), 0);
  CHECK(p[0].depth == p[1].depth);
  CHECK((size_t)p[0].depth * FRAME <= p[0].budget);  /* frames hold FRAME bytes */
  printf("threads recursed through 3/4 of the default stack: depth %d\n", p[0].depth);

  struct probe m = {.budget = def / 4, .pattern = 99};
  CHECK(recurse(&m, 1) == m.depth);
  printf("main recursed through 1/4 of it: depth %d\n", m.depth);
  return 0;
}
