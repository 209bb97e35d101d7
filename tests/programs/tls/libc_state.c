/* libc's own per-thread state across blocking calls, in a program without
 * thread-local variables of its own (so that under ringlet, without
 * FSGSBASE, it runs with copied TLS): errno, the messages strerror and
 * strsignal build for numbers they do not know (glibc keeps those in
 * struct pthread, not in TLS), inet_ntoa's buffer, the thread's locale
 * (uselocale) and its resolver state (_res). 24 threads take them, block,
 * and check they are still theirs. */
#include <arpa/inet.h>
#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <resolv.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "report.h"

#define N 24
#define ROUNDS 30

static void nap(long ns) {
  struct timespec ts = {0, ns};
  CHECK(nanosleep(&ts, NULL) == 0);
}

static void *worker(void *arg) {
  int id = (int)(intptr_t)arg;
  int p[2];
  CHECK(pipe(p) == 0);
  locale_t mine = newlocale(LC_NUMERIC_MASK, id % 2 ? "C.UTF-8" : "C", (locale_t)0);
  CHECK(mine != (locale_t)0);
  uselocale(mine);
  CHECK(res_init() == 0);
  _res.retry = 10 + id;
  if (id == 0) report_os_threads();
  for (int r = 0; r < ROUNDS; r++) {
    char want[64];
    const char *e = strerror(100000 + id);
    const char *s = strsignal(SIGRTMIN + id % 8);
    struct in_addr a = {htonl(0x0a000000u | (unsigned)id << 8 | (unsigned)r)};
    const char *ip = inet_ntoa(a);
    errno = 1000 + id;
    nap(100000 + id * 3000);                     /* parks */
    CHECK(write(p[1], "x", 1) == 1);
    char c;
    CHECK(read(p[0], &c, 1) == 1);              /* blocks through the runtime */
    snprintf(want, sizeof want, "Unknown error %d", 100000 + id);
    if (strcmp(e, want)) FAIL("thread %d: strerror says '%s'", id, e);
    snprintf(want, sizeof want, "Real-time signal %d", id % 8);
    if (strcmp(s, want)) FAIL("thread %d: strsignal says '%s'", id, s);
    snprintf(want, sizeof want, "10.0.%d.%d", id, r);
    if (strcmp(ip, want)) FAIL("thread %d: inet_ntoa says '%s'", id, ip);
    if (uselocale((locale_t)0) != mine) FAIL("thread %d: another thread's locale", id);
    if (_res.retry != 10 + id) FAIL("thread %d: _res.retry is %d", id, _res.retry);
    errno = 1000 + id;
    nap(50000);
    if (errno != 1000 + id) FAIL("thread %d: errno %d", id, errno);
  }
  uselocale(LC_GLOBAL_LOCALE);
  freelocale(mine);
  close(p[0]);
  close(p[1]);
  return NULL;
}

int main(void) {
  pthread_t t[N];
  for (int i = 0; i < N; i++) CHECK_RC(pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i), 0);
  for (int i = 0; i < N; i++) CHECK_RC(pthread_join(t[i], NULL), 0);
  CHECK(res_init() == 0);
  printf("threads=%d rounds=%d: strerror, strsignal, inet_ntoa, locale, _res and errno each their own; main's _res.retry %d\n",
         N, ROUNDS, _res.retry);
  return 0;
}
