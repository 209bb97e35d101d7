// A handler that blocks SIGUSR2: sigreturn restores the mask the thread had
// before the handler, so SIGUSR2 is not blocked afterwards.
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>
static volatile sig_atomic_t got2;
static void h1(int s){ sigset_t m; sigemptyset(&m); sigaddset(&m, SIGUSR2); sigprocmask(SIG_BLOCK, &m, NULL); }
static void h2(int s){ got2++; }
static void check(const char* how){
  sigset_t m; sigprocmask(SIG_BLOCK, NULL, &m);
  got2 = 0; kill(getpid(), SIGUSR2);
  printf("%-28s after handler: USR2 blocked per sigprocmask=%d, USR2 handler ran=%d\n", how, sigismember(&m, SIGUSR2), (int)got2);
  sigprocmask(SIG_UNBLOCK, &(sigset_t){0}, NULL);
  sigset_t u; sigemptyset(&u); sigaddset(&u, SIGUSR2); sigprocmask(SIG_UNBLOCK, &u, NULL);
}
int main(){
  struct sigaction a; memset(&a,0,sizeof a); a.sa_handler=h1; sigaction(SIGUSR1,&a,NULL);
  a.sa_handler=h2; sigaction(SIGUSR2,&a,NULL);
  kill(getpid(), SIGUSR1); check("kill(getpid(),SIGUSR1)");
  pthread_kill(pthread_self(), SIGUSR1); check("pthread_kill(self,SIGUSR1)");
  return 0;
}
