/* Read-write locks and spinlocks: error cases, timeouts, the
 * writer-nonrecursive kind (new readers wait behind a waiting writer), and
 * contention with blocking calls inside the critical sections. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

#include "check.h"
#include "clock.h"
#include "report.h"

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static long a, b;
static atomic_int torn, started;

static void *try_from_other(void *arg) {
  pthread_rwlock_t *l = arg;
  long r = pthread_rwlock_trywrlock(l) * 1000 + pthread_rwlock_tryrdlock(l);
  if (r % 1000 == 0) pthread_rwlock_unlock(l);
  return (void *)r;
}

static long other(pthread_rwlock_t *l) {
  pthread_t t;
  void *r;
  CHECK_RC(pthread_create(&t, NULL, try_from_other, l), 0);
  CHECK_RC(pthread_join(t, &r), 0);
  return (long)r;
}

static void *writer(void *arg) {
  (void)arg;
  atomic_fetch_add(&started, 1);
  for (int i = 0; i < 2000; i++) {
    CHECK_RC(pthread_rwlock_wrlock(&rw), 0);
    a++;
    if (i % 200 == 0) usleep(200); /* block while holding it */
    b++;
    CHECK_RC(pthread_rwlock_unlock(&rw), 0);
  }
  return NULL;
}

static void *reader(void *arg) {
  (void)arg;
  atomic_fetch_add(&started, 1);
  for (int i = 0; i < 3000; i++) {
    CHECK_RC(pthread_rwlock_rdlock(&rw), 0);
    if (a != b) atomic_fetch_add(&torn, 1);
    if (i % 300 == 0) sleep_ms(0);
    CHECK_RC(pthread_rwlock_unlock(&rw), 0);
  }
  return NULL;
}

static pthread_rwlock_t pref = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;
static void *waiting_writer(void *arg) {
  (void)arg;
  CHECK_RC(pthread_rwlock_wrlock(&pref), 0);
  CHECK_RC(pthread_rwlock_unlock(&pref), 0);
  return NULL;
}

static pthread_spinlock_t spin;
static long spun;
static void *spinner(void *arg) {
  (void)arg;
  for (int i = 0; i < 1000; i++) {
    CHECK_RC(pthread_spin_lock(&spin), 0);
    long v = spun;
    if (i % 100 == 0) usleep(100); /* the others find it taken meanwhile */
    spun = v + 1;
    CHECK_RC(pthread_spin_unlock(&spin), 0);
  }
  return NULL;
}

int main(void) {
  /* Readers share, writers exclude; what the owner may not do. */
  CHECK_RC(pthread_rwlock_rdlock(&rw), 0);
  CHECK_RC(pthread_rwlock_rdlock(&rw), 0);
  printf("held for reading twice; another thread: trywrlock %s, tryrdlock %s\n",
         other(&rw) / 1000 == EBUSY ? "EBUSY" : "?", other(&rw) % 1000 == 0 ? "ok" : "?");
  struct timespec ts = deadline_ms(CLOCK_REALTIME, 100);
  double t0 = mono_now();
  CHECK_RC(pthread_rwlock_timedwrlock(&rw, &ts), ETIMEDOUT);
  CHECK(mono_now() - t0 >= 0.09);
  CHECK_RC(pthread_rwlock_unlock(&rw), 0);
  CHECK_RC(pthread_rwlock_unlock(&rw), 0);
  CHECK_RC(pthread_rwlock_wrlock(&rw), 0);
  printf("held for writing: rdlock %s, wrlock %s; another thread: tryrdlock %s\n",
         pthread_rwlock_rdlock(&rw) == EDEADLK ? "EDEADLK" : "?",
         pthread_rwlock_wrlock(&rw) == EDEADLK ? "EDEADLK" : "?",
         other(&rw) % 1000 == EBUSY ? "EBUSY" : "?");
  CHECK_RC(pthread_rwlock_unlock(&rw), 0);

  /* Writer-nonrecursive: a writer waiting holds back new readers. */
  CHECK_RC(pthread_rwlock_rdlock(&pref), 0);
  pthread_t w;
  CHECK_RC(pthread_create(&w, NULL, waiting_writer, NULL), 0);
  sleep_ms(50);
  printf("writer waiting: a new reader gets %s\n", other(&pref) % 1000 == EBUSY ? "EBUSY" : "in");
  CHECK_RC(pthread_rwlock_unlock(&pref), 0);
  CHECK_RC(pthread_join(w, NULL), 0);

  /* Contention. */
  pthread_t t[12];
  for (int i = 0; i < 4; i++) CHECK_RC(pthread_create(&t[i], NULL, writer, NULL), 0);
  for (int i = 4; i < 12; i++) CHECK_RC(pthread_create(&t[i], NULL, reader, NULL), 0);
  while (atomic_load(&started) < 12) sleep_ms(1);
  report_os_threads();
  for (int i = 0; i < 12; i++) CHECK_RC(pthread_join(t[i], NULL), 0);
  printf("4 writers, 8 readers: a=%ld b=%ld, torn reads %d\n", a, b, atomic_load(&torn));

  CHECK_RC(pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE), 0);
  for (int i = 0; i < 4; i++) CHECK_RC(pthread_create(&t[i], NULL, spinner, NULL), 0);
  for (int i = 0; i < 4; i++) CHECK_RC(pthread_join(t[i], NULL), 0);
  CHECK_RC(pthread_spin_trylock(&spin), 0);
  CHECK_RC(pthread_spin_trylock(&spin), EBUSY);
  CHECK_RC(pthread_spin_unlock(&spin), 0);
  printf("spinlock: %ld increments\n", spun);
  return 0;
}
