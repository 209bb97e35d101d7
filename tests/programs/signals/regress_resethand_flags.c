// After SA_RESETHAND fires, sigaction reports SIG_DFL with the flags and
// mask the program gave, as the kernel keeps them (kill, pthread_kill, raise).
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>
static volatile int got;
static void h(int s){ got++; }
static void show(const char* what, int sig){
  struct sigaction o; sigaction(sig, NULL, &o);
  printf("%s: handler=%s flags=%#x mask_has_self=%d\n", what,
    o.sa_handler==SIG_DFL?"DFL":o.sa_handler==SIG_IGN?"IGN":"fn", (unsigned)o.sa_flags, sigismember(&o.sa_mask, sig));
}
int main(){
  struct sigaction a; memset(&a,0,sizeof a); a.sa_handler=h; a.sa_flags=SA_RESETHAND; sigaddset(&a.sa_mask, SIGUSR2);
  sigaction(SIGUSR1,&a,NULL); show("installed USR1", SIGUSR1);
  kill(getpid(), SIGUSR1); show("after kill USR1", SIGUSR1);
  sigaction(SIGUSR2,&a,NULL);
  pthread_kill(pthread_self(), SIGUSR2); show("after pthread_kill USR2", SIGUSR2);
  sysv_signal(SIGHUP, h); show("sysv_signal HUP", SIGHUP);
  raise(SIGHUP); show("after raise HUP", SIGHUP);
  printf("got=%d\n", got);
  return 0;
}
