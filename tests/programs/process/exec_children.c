/* A threaded program starting programs that use threads themselves, while
 * a ticker thread keeps running: fork + exec, system, popen/pclose and
 * posix_spawn of itself in "child" mode (eight threads passing a token
 * round a ring of pipes). The children write to the same stdout and
 * stderr; their "os_threads=" reports reach the runner too, so under
 * ringlet the children must be fibers as well.
 *
 * Also fork itself: pthread_atfork handlers run in order, the child keeps
 * only the forking thread (the ticker does not run there), and both
 * processes keep working; and clone() without CLONE_VM, whose child runs
 * threads of its own on the stack it was given. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "report.h"
#include "ticker.h"

extern char **environ;

enum { kRing = 8, kLaps = 50 };
static int ring[kRing][2];

static void *ring_member(void *x) {
  long i = (long)x;
  long sum = 0;
  for (int lap = 0; lap < kLaps; lap++) {
    long v;
    CHECK(read(ring[i][0], &v, sizeof v) == sizeof v);
    sum += v;
    v++;
    CHECK(write(ring[(i + 1) % kRing][1], &v, sizeof v) == sizeof v);
  }
  return (void *)sum;
}

static int child_main(const char *how) {
  for (int i = 0; i < kRing; i++) CHECK(pipe(ring[i]) == 0);
  pthread_t t[kRing];
  for (long i = 0; i < kRing; i++) CHECK_RC(pthread_create(&t[i], NULL, ring_member, (void *)i), 0);
  report_os_threads(); /* all alive: none can finish before the token moves */
  long v = 0;
  CHECK(write(ring[0][1], &v, sizeof v) == sizeof v);
  long total = 0;
  for (int i = 0; i < kRing; i++) {
    void *r;
    CHECK_RC(pthread_join(t[i], &r), 0);
    total += (long)r;
  }
  printf("child (%s): %d threads passed the token %d times, sum %ld\n", how, kRing, kRing * kLaps, total);
  /* Last long enough for the parent's ticker to count while it waits (2 ms a
   * tick): the token ring alone takes 10 ms or less. */
  usleep(50000);
  return 0;
}

static int clone_main(void *arg) { return child_main((const char *)arg); }

static char order[16];
static void at_prepare(void) { strcat(order, "P"); }
static void at_parent(void) { strcat(order, "A"); }
static void at_child(void) { strcat(order, "C"); }

int main(int argc, char **argv) {
  if (argc > 2 && strcmp(argv[1], "child") == 0) return child_main(argv[2]);
  setvbuf(stdout, NULL, _IOLBF, 0);
  ticker_start(NULL);
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  CHECK(n > 0);
  self[n] = 0;
  int st;

  /* fork: atfork handlers, only the caller in the child */
  CHECK_RC(pthread_atfork(at_prepare, at_parent, at_child), 0);
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    long t0 = ticker_ticks();
    usleep(50000);
    int alone = ticker_ticks() == t0;
    printf("forked child: handlers %s, ticker gone: %s\n", order, alone ? "yes" : "no");
    exit(child_main("fork"));
  }
  CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
  printf("parent after fork: handlers %s\n", order);

  /* clone without CLONE_VM: a process on its own stack */
  size_t stack_size = 1 << 20;
  char *stack = malloc(stack_size);
  CHECK(stack != NULL);
  pid = clone(clone_main, stack + stack_size, SIGCHLD, "clone");
  CHECK(pid > 0);
  CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
  free(stack);

  /* fork + exec */
  long t0 = ticker_ticks();
  pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    execl(self, self, "child", "exec", (char *)NULL);
    _exit(127);
  }
  CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);

  /* system */
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "'%s' child system", self);
  CHECK(system(cmd) == 0);

  /* popen */
  snprintf(cmd, sizeof cmd, "'%s' child popen", self);
  FILE *f = popen(cmd, "r");
  CHECK(f != NULL);
  char line[256];
  while (fgets(line, sizeof line, f)) printf("popen read: %s", line);
  CHECK(pclose(f) == 0);

  /* posix_spawn */
  char *args[] = {self, "child", "posix_spawn", NULL};
  CHECK_RC(posix_spawn(&pid, self, NULL, NULL, args, environ), 0);
  CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);

  printf("ticker ran meanwhile: %s\n", ticker_ticks() - t0 >= 10 ? "yes" : "no");
  report_os_threads();
  ticker_stop();
  return 0;
}
