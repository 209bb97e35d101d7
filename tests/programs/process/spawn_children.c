/* Children of a threaded program: vfork + exec (a failing exec reports its
 * errno through a close-on-exec pipe, as subprocess modules do), fork with
 * other threads running (the child keeps only the caller and can start
 * threads of its own), and posix_spawn. The parent reads the pipes with
 * blocking reads while a ticker thread keeps running. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static atomic_int ticks, stop;

static void *ticker(void *arg) {
  (void)arg;
  while (!atomic_load(&stop)) {
    usleep(1000);
    atomic_fetch_add(&ticks, 1);
  }
  return NULL;
}

static void *child_thread(void *arg) { return (char *)arg + 1; }

static int exec_errno(const char *path) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return -1;
  pid_t pid = vfork();
  if (pid == 0) {
    char *argv[] = {(char *)path, NULL};
    execve(path, argv, environ);
    int e = errno;
    ssize_t w = write(p[1], &e, sizeof e);
    (void)w;
    _exit(127);
  }
  close(p[1]);
  int e = 0;
  ssize_t n = read(p[0], &e, sizeof e); /* 0 bytes: exec succeeded */
  close(p[0]);
  int st;
  waitpid(pid, &st, 0);
  return n == sizeof e ? e : 0;
}

int main(void) {
  pthread_t tk;
  pthread_create(&tk, NULL, ticker, NULL);
  int e = exec_errno("/nonexistent/program");
  printf("vfork+exec of a missing program: %s\n", strerror(e));
  printf("vfork+exec of /bin/true: %s\n", exec_errno("/bin/true") ? "failed" : "ok");

  int p[2];
  if (pipe(p) != 0) return 1;
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    pthread_t t;
    void *ret = NULL;
    if (pthread_create(&t, NULL, child_thread, (void *)41) != 0 || pthread_join(t, &ret) != 0) _exit(1);
    char msg[64];
    int len = snprintf(msg, sizeof msg, "child thread returned %ld\n", (long)ret);
    if (write(p[1], msg, (size_t)len) != len) _exit(2);
    _exit(0);
  }
  close(p[1]);
  char buf[64] = {0};
  ssize_t n = read(p[0], buf, sizeof buf - 1);
  int st = 0;
  waitpid(pid, &st, 0);
  printf("fork: %.*s", (int)(n > 0 ? n : 0), buf);
  printf("fork: child exit status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);

  pid_t sp;
  char *argv[] = {"/bin/sh", "-c", "exit 7", NULL};
  if (posix_spawn(&sp, "/bin/sh", NULL, NULL, argv, environ) != 0) return 1;
  waitpid(sp, &st, 0);
  printf("posix_spawn: exit status %d\n", WEXITSTATUS(st));

  atomic_store(&stop, 1);
  pthread_join(tk, NULL);
  if (atomic_load(&ticks) == 0) {
    fprintf(stderr, "the ticker thread never ran\n");
    return 1;
  }
  return 0;
}
