// sigaction(sig, &sa, &sa): the new action is read before the old one is
// (aliasing act and oldact is what real programs do; the warning is about that)
#pragma GCC diagnostic ignored "-Wrestrict"
// written back (glibc copies act first).
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
static void h1(int s){ write(1, "h1 ran\n", 7); }
static void h2(int s){ write(1, "h2 ran\n", 7); }
int main(){
  struct sigaction sa; memset(&sa, 0, sizeof sa);
  sa.sa_handler = h1; sigaction(SIGUSR1, &sa, NULL);
  sa.sa_handler = h2; sigaction(SIGUSR1, &sa, &sa);
  printf("returned old handler is h1: %d\n", sa.sa_handler == h1); fflush(stdout);
  kill(getpid(), SIGUSR1);
  struct sigaction q; sigaction(SIGUSR1, NULL, &q);
  printf("current handler is h2: %d\n", q.sa_handler == h2);
  return 0;
}
