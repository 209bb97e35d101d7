// C11 <threads.h>: glibc builds it on its own pthread code through internal
// calls ringlet cannot see, so a thrd_create would make a kernel thread and
// an mtx_lock would sleep in the kernel. Each is redone here over the
// pthread functions as ringlet exports them (fibers in fiber context,
// glibc's elsewhere), with glibc's mapping of error numbers and its layouts
// (mtx_t is a pthread_mutex_t, cnd_t a pthread_cond_t, tss_t a
// pthread_key_t, once_flag a pthread_once_t).
#include <pthread.h>
#include <sched.h>
#include <threads.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <ctime>

#include "export.h"

namespace {

static_assert(sizeof(mtx_t) == sizeof(pthread_mutex_t) && sizeof(cnd_t) == sizeof(pthread_cond_t));
static_assert(sizeof(tss_t) == sizeof(pthread_key_t) && sizeof(once_flag) == sizeof(pthread_once_t));

// glibc's thrd_err_map.
int mapped(int err) {
  switch (err) {
    case 0: return thrd_success;
    case ENOMEM: return thrd_nomem;
    case ETIMEDOUT: return thrd_timedout;
    case EBUSY: return thrd_busy;
    default: return thrd_error;
  }
}

struct Start {
  thrd_start_t fn;
  void* arg;
};

void* trampoline(void* p) {
  Start s = *static_cast<Start*>(p);
  free(p);
  return reinterpret_cast<void*>(intptr_t(s.fn(s.arg)));
}

pthread_mutex_t* M(mtx_t* m) { return reinterpret_cast<pthread_mutex_t*>(m); }
pthread_cond_t* C(cnd_t* c) { return reinterpret_cast<pthread_cond_t*>(c); }

}  // namespace

RINGLET_EXPORT int thrd_create(thrd_t* t, thrd_start_t fn, void* arg) {
  auto* s = static_cast<Start*>(malloc(sizeof(Start)));
  if (!s) return thrd_nomem;
  *s = {fn, arg};
  int r = pthread_create(reinterpret_cast<pthread_t*>(t), nullptr, trampoline, s);
  if (r) free(s);
  return mapped(r);
}

RINGLET_EXPORT int thrd_join(thrd_t t, int* res) {
  void* v;
  int r = pthread_join(pthread_t(t), &v);
  if (r == 0 && res) *res = int(intptr_t(v));
  return mapped(r);
}

RINGLET_EXPORT void thrd_exit(int res) { pthread_exit(reinterpret_cast<void*>(intptr_t(res))); }
RINGLET_EXPORT int thrd_detach(thrd_t t) noexcept { return mapped(pthread_detach(pthread_t(t))); }
RINGLET_EXPORT thrd_t thrd_current(void) noexcept { return thrd_t(pthread_self()); }
RINGLET_EXPORT int thrd_equal(thrd_t a, thrd_t b) noexcept { return pthread_equal(pthread_t(a), pthread_t(b)); }
RINGLET_EXPORT void thrd_yield(void) noexcept { sched_yield(); }

// 0, -1 if interrupted by a signal, another negative value on error.
RINGLET_EXPORT int thrd_sleep(const struct timespec* d, struct timespec* rem) {
  if (nanosleep(d, rem) == 0) return 0;
  return errno == EINTR ? -1 : -2;
}

RINGLET_EXPORT int mtx_init(mtx_t* m, int type) noexcept {
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  if (type & mtx_recursive) pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
  int r = pthread_mutex_init(M(m), &a);
  pthread_mutexattr_destroy(&a);
  return mapped(r);
}

RINGLET_EXPORT int mtx_lock(mtx_t* m) noexcept { return mapped(pthread_mutex_lock(M(m))); }
RINGLET_EXPORT int mtx_trylock(mtx_t* m) noexcept { return mapped(pthread_mutex_trylock(M(m))); }
RINGLET_EXPORT int mtx_timedlock(mtx_t* m, const struct timespec* abs) noexcept {
  return mapped(pthread_mutex_timedlock(M(m), abs));
}
RINGLET_EXPORT int mtx_unlock(mtx_t* m) noexcept { return mapped(pthread_mutex_unlock(M(m))); }
RINGLET_EXPORT void mtx_destroy(mtx_t* m) noexcept { pthread_mutex_destroy(M(m)); }

RINGLET_EXPORT int cnd_init(cnd_t* c) noexcept { return mapped(pthread_cond_init(C(c), nullptr)); }
RINGLET_EXPORT int cnd_signal(cnd_t* c) noexcept { return mapped(pthread_cond_signal(C(c))); }
RINGLET_EXPORT int cnd_broadcast(cnd_t* c) noexcept { return mapped(pthread_cond_broadcast(C(c))); }
RINGLET_EXPORT int cnd_wait(cnd_t* c, mtx_t* m) { return mapped(pthread_cond_wait(C(c), M(m))); }
RINGLET_EXPORT int cnd_timedwait(cnd_t* c, mtx_t* m, const struct timespec* abs) {
  return mapped(pthread_cond_timedwait(C(c), M(m), abs));
}
RINGLET_EXPORT void cnd_destroy(cnd_t* c) noexcept { pthread_cond_destroy(C(c)); }

RINGLET_EXPORT int tss_create(tss_t* k, tss_dtor_t dtor) noexcept {
  return mapped(pthread_key_create(reinterpret_cast<pthread_key_t*>(k), dtor));
}
RINGLET_EXPORT void* tss_get(tss_t k) noexcept { return pthread_getspecific(pthread_key_t(k)); }
RINGLET_EXPORT int tss_set(tss_t k, void* v) noexcept { return mapped(pthread_setspecific(pthread_key_t(k), v)); }
RINGLET_EXPORT void tss_delete(tss_t k) noexcept { pthread_key_delete(pthread_key_t(k)); }

RINGLET_EXPORT void call_once(once_flag* f, void (*fn)(void)) { pthread_once(reinterpret_cast<pthread_once_t*>(f), fn); }
