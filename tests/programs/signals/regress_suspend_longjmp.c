// sigsuspend whose handler leaves by siglongjmp: the mask saved by
// sigsetjmp (SIGUSR1 blocked) is the mask afterwards.
#include <signal.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>
static sigjmp_buf env;
static volatile int hits;
static void h(int s){ hits++; siglongjmp(env, 1); }
static void *other(void *p) { usleep(50000); kill(getpid(), SIGUSR1); return 0; }
int main(){ setvbuf(stdout, NULL, _IONBF, 0);
  struct sigaction a; memset(&a,0,sizeof a); a.sa_handler=h; sigaction(SIGUSR1,&a,NULL);
  sigset_t b, e, m; sigemptyset(&b); sigaddset(&b, SIGUSR1); sigemptyset(&e);
  sigprocmask(SIG_BLOCK, &b, NULL);
  static int round;
  for (round = 0; round < 2; ++round) {
    pthread_t t; pthread_create(&t, NULL, other, NULL);
    if (sigsetjmp(env, 1) == 0) { sigsuspend(&e); printf("sigsuspend returned?\n"); }
    pthread_join(t, NULL);
    sigprocmask(SIG_BLOCK, NULL, &m);
    printf("round %d: hits=%d, SIGUSR1 blocked after longjmp=%d\n", round, hits, sigismember(&m, SIGUSR1));
  }
  /* Still blocked: a new SIGUSR1 must stay pending. */
  hits = 0;
  if (sigsetjmp(env, 1) == 0) { kill(getpid(), SIGUSR1); usleep(10000); }
  sigset_t p; sigpending(&p);
  printf("after kill while blocked: handler ran=%d pending=%d\n", hits, sigismember(&p, SIGUSR1));
  return 0;
}
