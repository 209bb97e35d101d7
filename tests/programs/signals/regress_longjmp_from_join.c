// A timeout idiom: the handler siglongjmps out of a wait (here pthread_join).
// Afterwards the thread reads a pipe that another thread writes to.
#include <signal.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>
static sigjmp_buf env;
static int pfd[2];
static void h(int s){ siglongjmp(env, 1); }
static void *b(void *p){ usleep(50000); kill(getpid(), SIGUSR1); usleep(100000); write(pfd[1], "x", 1); return 0; }
int main(){
  setvbuf(stdout, NULL, _IONBF, 0);
  pipe(pfd);
  struct sigaction a; memset(&a,0,sizeof a); a.sa_handler=h; sigaction(SIGUSR1,&a,NULL);
  pthread_t t; pthread_create(&t,NULL,b,NULL);
  if (sigsetjmp(env, 1) == 0) { pthread_join(t, NULL); printf("joined first?\n"); return 1; }
  printf("jumped out of pthread_join\n");
  char c; int n = read(pfd[0], &c, 1);
  printf("read %d\n", n);
  pthread_join(t, NULL);
  printf("done\n");
}
