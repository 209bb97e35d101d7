// The main thread blocks SIGCHLD and waits for it in sigtimedwait; a
// helper thread, started earlier, leaves it unblocked with its default
// disposition (ignore). The child's SIGCHLD goes to the parent that waits
// for it, so the wait returns it with the child's status. (Under ringlet
// the carrier must keep it blocked although a fiber does not block it.)
// A process-directed signal with a terminating default (SIGUSR1) is not
// tested so: natively the kernel may give it to the idle thread.
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>
#include <sys/wait.h>
static int pfd[2];
static void *idle(void *p) { char c; read(pfd[0], &c, 1); return 0; }
int main(){
  setvbuf(stdout, NULL, _IONBF, 0);
  pipe(pfd);
  pthread_t t; pthread_create(&t, NULL, idle, NULL);
  usleep(20000);
  sigset_t s; sigemptyset(&s); sigaddset(&s, SIGCHLD); sigaddset(&s, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &s, NULL);
  struct timespec ts = {3, 0};
  siginfo_t si;
  pid_t c = fork();
  /* The child exits once the parent waits: a SIGCHLD sent before that
   * finds the parent blocking it, and natively the kernel then hands it to
   * the idle thread, which discards it (seen on a loaded machine). */
  if (c == 0) {
    usleep(200000);
    _exit(7);
  }
  int r = sigtimedwait(&s, &si, &ts);
  printf("SIGCHLD wait: r=%d (%s) si_pid==child %d si_status=%d\n", r, r > 0 ? strsignal(r) : "none", si.si_pid == c, si.si_status);
  waitpid(c, NULL, 0);
  return 0;
}
