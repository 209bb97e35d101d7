// The main thread blocks SIGUSR1 and SIGCHLD and waits for them in
// sigtimedwait; a helper thread, started earlier, leaves them unblocked.
// The kernel prefers the main thread, which is waiting for the signal, so
// the wait returns it (neither the default termination of SIGUSR1 nor the
// default "ignore" of SIGCHLD applies).
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
  if (c == 0) _exit(7);
  int r = sigtimedwait(&s, &si, &ts);
  printf("SIGCHLD wait: r=%d (%s) si_pid==child %d si_status=%d\n", r, r > 0 ? strsignal(r) : "none", si.si_pid == c, si.si_status);
  waitpid(c, NULL, 0);
  if (fork() == 0) { usleep(100000); kill(getppid(), SIGUSR1); _exit(0); }
  r = sigtimedwait(&s, &si, &ts);
  printf("SIGUSR1 wait: r=%d (%s) code=%d\n", r, r > 0 ? strsignal(r) : "none", si.si_code);
  wait(NULL);
  return 0;
}
