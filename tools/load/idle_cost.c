/* idle_cost [N]: the memory an idle thread costs. N threads (default
 * 10,000, default attributes) each block on one condition variable; once all
 * wait, the growth of VmRSS and VmPTE (page tables) since before the first
 * was created, divided by N, is printed as one line:
 *   threads=N rss_kib_per_thread=X pte_kib_per_thread=Y os_threads=T */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER, all_in = PTHREAD_COND_INITIALIZER;
static long started, go;

static long status_kib(const char *key) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long v = -1;
  size_t n = strlen(key);
  while (f && fgets(line, sizeof line, f))
    if (!strncmp(line, key, n) && line[n] == ':') v = atol(line + n + 1);
  if (f) fclose(f);
  return v;
}

static void *idle(void *x) {
  (void)x;
  pthread_mutex_lock(&mu);
  if (++started == (long)(size_t)x) pthread_cond_signal(&all_in);
  while (!go) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  return NULL;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 10000;
  if (n <= 0) return 2;
  pthread_t *t = calloc((size_t)n, sizeof *t);
  long rss0 = status_kib("VmRSS"), pte0 = status_kib("VmPTE");
  for (long i = 0; i < n; i++)
    if (pthread_create(&t[i], NULL, idle, (void *)(size_t)n) != 0) {
      fprintf(stderr, "idle_cost: pthread_create failed at %ld\n", i);
      return 1;
    }
  pthread_mutex_lock(&mu);
  while (started < n) pthread_cond_wait(&all_in, &mu);
  pthread_mutex_unlock(&mu);
  long rss1 = status_kib("VmRSS"), pte1 = status_kib("VmPTE"), threads = status_kib("Threads");
  pthread_mutex_lock(&mu);
  go = 1;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
  for (long i = 0; i < n; i++) pthread_join(t[i], NULL);
  printf("threads=%ld rss_kib_per_thread=%.2f pte_kib_per_thread=%.2f os_threads=%ld\n", n,
         (double)(rss1 - rss0) / (double)n, (double)(pte1 - pte0) / (double)n, threads);
  return 0;
}
