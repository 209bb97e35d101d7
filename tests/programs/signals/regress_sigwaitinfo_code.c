// si_code that sigwaitinfo reports for pthread_kill / raise / kill.
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>
static void *sender(void *p){ usleep(50000); pthread_kill(*(pthread_t*)p, SIGUSR1); return 0; }
int main(){
  sigset_t s; sigemptyset(&s); sigaddset(&s, SIGUSR1); pthread_sigmask(SIG_BLOCK, &s, NULL);
  siginfo_t si;
  raise(SIGUSR1);
  memset(&si, 0, sizeof si); int r = sigwaitinfo(&s, &si);
  printf("raise:            r=%d si_code=%d si_pid_is_me=%d\n", r, si.si_code, si.si_pid == getpid());
  pthread_kill(pthread_self(), SIGUSR1);
  memset(&si, 0, sizeof si); r = sigwaitinfo(&s, &si);
  printf("pthread_kill self: r=%d si_code=%d si_pid_is_me=%d\n", r, si.si_code, si.si_pid == getpid());
  pthread_t me = pthread_self(), t; pthread_create(&t, NULL, sender, &me);
  memset(&si, 0, sizeof si); r = sigwaitinfo(&s, &si);
  printf("pthread_kill from thread: r=%d si_code=%d si_pid_is_me=%d\n", r, si.si_code, si.si_pid == getpid());
  pthread_join(t, NULL);
  return 0;
}
