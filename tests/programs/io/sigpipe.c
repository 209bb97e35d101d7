/* SIGPIPE as Linux sends it: send, sendto, sendmsg and write on a stream
 * socket whose peer is gone raise SIGPIPE at the caller and fail with EPIPE;
 * MSG_NOSIGNAL suppresses the signal; with the default disposition the
 * process dies of it. Each case runs in a thread of its own. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "report.h"

static atomic_int signals;
static void on_pipe(int sig) { (void)sig; atomic_fetch_add(&signals, 1); }

static int broken_socket(void) {
  int s[2];
  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, s) == 0);
  close(s[1]);
  return s[0];
}

static void *sender(void *arg) {
  long how = (long)arg;
  int fd = broken_socket();
  struct iovec v = {"x", 1};
  struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1};
  ssize_t r = how == 0 ? send(fd, "x", 1, 0)
            : how == 1 ? sendto(fd, "x", 1, 0, NULL, 0)
            : how == 2 ? sendmsg(fd, &m, 0)
            : how == 3 ? write(fd, "x", 1)
                       : send(fd, "x", 1, MSG_NOSIGNAL);
  int e = errno;
  close(fd);
  return (void *)(long)(r == -1 && e == EPIPE);
}

int main(void) {
  struct sigaction sa = {.sa_handler = on_pipe};
  sigemptyset(&sa.sa_mask);
  CHECK(sigaction(SIGPIPE, &sa, NULL) == 0);
  const char *names[] = {"send", "sendto", "sendmsg", "write", "send MSG_NOSIGNAL"};
  for (long how = 0; how < 5; how++) {
    int before = atomic_load(&signals);
    pthread_t t;
    void *ok;
    CHECK(pthread_create(&t, NULL, sender, (void *)how) == 0);
    CHECK(pthread_join(t, &ok) == 0);
    printf("%s: %s, %d SIGPIPE\n", names[how], ok ? "EPIPE" : "unexpected result",
           atomic_load(&signals) - before);
  }
  report_os_threads();
  pid_t pid = fork();
  if (pid == 0) {
    signal(SIGPIPE, SIG_DFL);
    pthread_t t;
    pthread_create(&t, NULL, sender, (void *)0);
    pthread_join(t, NULL);
    _exit(0);
  }
  int st;
  CHECK(waitpid(pid, &st, 0) == pid);
  printf("default disposition: %s\n",
         WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE ? "killed by SIGPIPE" : "survived");
  return 0;
}
