/* Regression: sem_post (async-signal-safe) from a signal handler that
 * interrupts a thread inside the runtime's own wake-up path must neither
 * deadlock nor lose a wake-up. Two threads ping-pong on semaphores while a
 * 20 µs interval timer's handler posts one of them. */
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <sys/time.h>
#include <unistd.h>

#include "report.h"
static sem_t a, b;
static volatile long posted;
static void on_alarm(int sig) { (void)sig; sem_post(&a); posted++; }
static void *ping(void *x) {
  (void)x; for (int i = 0; i < 300000; i++) { sem_wait(&a); sem_post(&b); } return 0; }
static void *pong(void *x) {
  (void)x; for (int i = 0; i < 300000; i++) { sem_post(&a); sem_wait(&b); } return 0; }
int main(void) {
  sem_init(&a, 0, 0); sem_init(&b, 0, 0);
  struct sigaction sa = {0}; sa.sa_handler = on_alarm; sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, 0);
  struct itimerval it = {{0, 20}, {0, 20}};
  setitimer(ITIMER_REAL, &it, 0);
  pthread_t t1, t2;
  pthread_create(&t1, 0, ping, 0); pthread_create(&t2, 0, pong, 0);
  report_os_threads();
  pthread_join(t2, 0);
  struct itimerval off = {0}; setitimer(ITIMER_REAL, &off, 0);
  printf("done (%s)\n", posted ? "handler ran" : "no signals");
  return 0;
}
