// A handler of SIGUSR1 (sa_mask: SIGUSR2) that blocks in usleep. Meanwhile
// another thread sends SIGUSR2 to itself with tgkill: its own mask lets it
// through, so the handler runs before tgkill returns.
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>
#include <sys/syscall.h>
static volatile sig_atomic_t got2;
static void h1(int s){ usleep(300000); }
static void h2(int s){ got2 = 1; }
static void* b(void* p){
  usleep(100000);
  syscall(SYS_tgkill, getpid(), gettid(), SIGUSR2);
  printf("thread B: right after tgkill(self, SIGUSR2): handler ran=%d\n", (int)got2);
  sigset_t m; pthread_sigmask(SIG_BLOCK, NULL, &m);
  printf("thread B: own mask has USR1=%d USR2=%d\n", sigismember(&m,SIGUSR1), sigismember(&m,SIGUSR2));
  return 0;
}
int main(){
  struct sigaction a; memset(&a,0,sizeof a); a.sa_handler=h1; sigaddset(&a.sa_mask, SIGUSR2);
  sigaction(SIGUSR1,&a,NULL);
  a.sa_handler=h2; sigemptyset(&a.sa_mask); sigaction(SIGUSR2,&a,NULL);
  pthread_t t; pthread_create(&t,NULL,b,NULL);
  pthread_kill(pthread_self(), SIGUSR1);
  pthread_join(t,NULL);
  printf("main: got2=%d\n", (int)got2);
}
