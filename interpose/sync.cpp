// pthread mutexes, condition variables and unnamed semaphores, fiber-aware
// for every caller (fibers park; threads ringlet does not manage sleep in
// the kernel's futex; both can share one object). The runtime's structures
// are laid over glibc's types here, and only here.
//
// Left to glibc (a fiber waiting on one blocks its carrier; later work):
// robust, priority-inheritance, priority-protect and process-shared mutexes,
// process-shared condition variables and semaphores.
#include <pthread.h>
#include <semaphore.h>
#include <cstddef>
#include <cstring>

#include "export.h"
#include "runtime/fsig.h"
#include "foreign.h"
#include "runtime/cancel.h"
#include "runtime/sync/barrier.h"
#include "runtime/sync/cond.h"
#include "runtime/sync/mutex.h"
#include "runtime/sync/once.h"
#include "runtime/sync/sem.h"
#include "threads.h"

using ringlet::deadline_from;
using ringlet::valid_abstime;
using rt::sync::Barrier;
using rt::sync::Cond;
using rt::sync::Mutex;
using rt::sync::Sem;

// The overlay: the runtime's Mutex is glibc's __pthread_mutex_s in the
// fields static initializers write (kind at 16).
static_assert(offsetof(pthread_mutex_t, __data.__lock) == offsetof(Mutex, word));
static_assert(offsetof(pthread_mutex_t, __data.__count) == offsetof(Mutex, count));
static_assert(offsetof(pthread_mutex_t, __data.__owner) == offsetof(Mutex, owner));
static_assert(offsetof(pthread_mutex_t, __data.__kind) == offsetof(Mutex, kind));
static_assert(sizeof(Cond) <= offsetof(pthread_cond_t, __data.__wrefs));
static_assert(sizeof(Sem) <= sizeof(sem_t));
static_assert(offsetof(Barrier, reserved) == 12 && sizeof(Barrier) <= sizeof(pthread_barrier_t));

namespace {

// glibc's mutex kind bits for what ringlet leaves to it: robust (16),
// priority inheritance (32), priority protect (64), process-shared (128).
constexpr int kGlibcMutexBits = 16 | 32 | 64 | 128;
// glibc marks a process-shared condition variable in bit 0 of __wrefs.
constexpr unsigned kGlibcCondShared = 1;

Mutex* M(pthread_mutex_t* m) { return reinterpret_cast<Mutex*>(m); }
Cond* C(pthread_cond_t* c) { return reinterpret_cast<Cond*>(c); }
Sem* S(sem_t* s) { return reinterpret_cast<Sem*>(s); }
Barrier* B(pthread_barrier_t* b) { return reinterpret_cast<Barrier*>(b); }
// glibc keeps a barrier's futex "private" argument at offset 12, which it
// XORs into FUTEX_PRIVATE_FLAG: 0 for a process-private barrier, 128 for a
// process-shared one. Ringlet's own barriers carry a value glibc never
// writes there, so that a barrier glibc made (process-shared, or before
// ringlet loaded) is told apart and left to glibc.
int& barrier_flag(pthread_barrier_t* b) { return *reinterpret_cast<int*>(reinterpret_cast<char*>(b) + 12); }
constexpr int kRingletBarrier = 0x52474c54;  // "RGLT"

bool glibc_mutex(const pthread_mutex_t* m) { return m->__data.__kind & kGlibcMutexBits; }
bool glibc_cond(const pthread_cond_t* c) { return c->__data.__wrefs & kGlibcCondShared; }
bool shared_sem(sem_t* s) { return S(s)->priv != rt::sync::kSemPrivate; }

bool known_clock(clockid_t c) { return c == CLOCK_REALTIME || c == CLOCK_MONOTONIC; }

int timed_lock(pthread_mutex_t* m, clockid_t clock, const struct timespec* abs) {
  int r = rt::sync::trylock(M(m));
  if (r != EBUSY) return r;
  if ((m->__data.__kind & 3) == rt::sync::kErrorCheck && M(m)->owner.load() == rt::sync::self_id())
    return EDEADLK;
  if (!valid_abstime(abs)) return EINVAL;
  return rt::sync::lock(M(m), deadline_from(clock, abs));
}

// A mutex of glibc's released and retaken around a wait on ringlet's
// condition variable: through the wrappers, so that a fiber takes it as
// fibers do (owner table, no sleep inside glibc).
void glibc_unlock(void* m) { pthread_mutex_unlock(static_cast<pthread_mutex_t*>(m)); }
void glibc_lock(void* m) { pthread_mutex_lock(static_cast<pthread_mutex_t*>(m)); }

// A cancellation that ended the wait is acted upon with the mutex held
// again, as POSIX wants for the cleanup handlers.
int cond_wait_until(pthread_cond_t* c, pthread_mutex_t* m, int64_t deadline) {
  if (ringlet::fiber_path()) rt::cancel::test();
  int r = glibc_mutex(m) ? rt::sync::cond_wait_with(C(c), glibc_unlock, glibc_lock, m, deadline)
                         : rt::sync::cond_wait(C(c), M(m), deadline);
  if (r == int(rt::cancel::kInterrupted)) rt::cancel::act();
  return r;
}

// A handler ends the wait as the kernel's futex wait ends glibc's: EINTR,
// or the wait starts again with SA_RESTART (signal(7)).
int sem_wait_until(sem_t* s, int64_t deadline) {
  if (!ringlet::fiber_path()) return int(ringlet::edge(-rt::sync::sem_wait(S(s), deadline)));
  for (;;) {
    rt::cancel::test();
    int r;
    {
      rt::fsig::Point interruptible;
      r = rt::sync::sem_wait(S(s), deadline);
    }
    if (r != int(rt::cancel::kInterrupted)) return int(ringlet::edge(-r));
    if (rt::fsig::ends_call(true, true)) return int(ringlet::edge(-EINTR));
  }
}

}  // namespace

// ---- mutexes -------------------------------------------------------------

RINGLET_EXPORT int pthread_mutex_init(pthread_mutex_t* m, const pthread_mutexattr_t* attr) noexcept {
  int type = PTHREAD_MUTEX_DEFAULT;
  if (attr) {
    int pshared = PTHREAD_PROCESS_PRIVATE, robust = PTHREAD_MUTEX_STALLED, proto = PTHREAD_PRIO_NONE;
    pthread_mutexattr_getpshared(attr, &pshared);
    pthread_mutexattr_getrobust(attr, &robust);
    pthread_mutexattr_getprotocol(attr, &proto);
    if (pshared != PTHREAD_PROCESS_PRIVATE || robust != PTHREAD_MUTEX_STALLED || proto != PTHREAD_PRIO_NONE)
      return REAL(pthread_mutex_init)(m, attr);
    pthread_mutexattr_gettype(attr, &type);
  }
  memset(m, 0, sizeof *m);
  m->__data.__kind = type;
  return 0;
}

RINGLET_EXPORT int pthread_mutex_lock(pthread_mutex_t* m) noexcept {
  if (glibc_mutex(m))
    return ringlet::fiber_path() ? ringlet::foreign::mutex_lock(m, rt::kNoDeadline) : REAL(pthread_mutex_lock)(m);
  return rt::sync::lock(M(m), rt::kNoDeadline);
}

RINGLET_EXPORT int pthread_mutex_trylock(pthread_mutex_t* m) noexcept {
  if (glibc_mutex(m)) return ringlet::fiber_path() ? ringlet::foreign::mutex_trylock(m) : REAL(pthread_mutex_trylock)(m);
  return rt::sync::trylock(M(m));
}

RINGLET_EXPORT int pthread_mutex_timedlock(pthread_mutex_t* m, const struct timespec* abs) noexcept {
  if (glibc_mutex(m)) {
    if (!ringlet::fiber_path()) return REAL(pthread_mutex_timedlock)(m, abs);
    if (!valid_abstime(abs)) return EINVAL;
    return ringlet::foreign::mutex_lock(m, deadline_from(CLOCK_REALTIME, abs));
  }
  return timed_lock(m, CLOCK_REALTIME, abs);
}

RINGLET_EXPORT int pthread_mutex_clocklock(pthread_mutex_t* m, clockid_t clock, const struct timespec* abs) noexcept {
  if (glibc_mutex(m)) {
    if (!ringlet::fiber_path())
      return REAL(pthread_mutex_clocklock) ? REAL(pthread_mutex_clocklock)(m, clock, abs) : ENOSYS;
    if (!known_clock(clock) || !valid_abstime(abs)) return EINVAL;
    return ringlet::foreign::mutex_lock(m, deadline_from(clock, abs));
  }
  if (!known_clock(clock)) return EINVAL;
  return timed_lock(m, clock, abs);
}

RINGLET_EXPORT int pthread_mutex_unlock(pthread_mutex_t* m) noexcept {
  if (glibc_mutex(m)) return ringlet::fiber_path() ? ringlet::foreign::mutex_unlock(m) : REAL(pthread_mutex_unlock)(m);
  return rt::sync::unlock(M(m));
}

RINGLET_EXPORT int pthread_mutex_destroy(pthread_mutex_t* m) noexcept {
  if (glibc_mutex(m)) return REAL(pthread_mutex_destroy)(m);
  return M(m)->word.load() != 0 ? EBUSY : 0;
}

// ---- condition variables -------------------------------------------------

RINGLET_EXPORT int pthread_cond_init(pthread_cond_t* c, const pthread_condattr_t* attr) noexcept {
  int pshared = PTHREAD_PROCESS_PRIVATE;
  clockid_t clock = CLOCK_REALTIME;
  if (attr) {
    pthread_condattr_getpshared(attr, &pshared);
    pthread_condattr_getclock(attr, &clock);
    if (pshared != PTHREAD_PROCESS_PRIVATE) return REAL(pthread_cond_init)(c, attr);
  }
  memset(c, 0, sizeof *c);
  rt::sync::cond_init(C(c), clock);
  return 0;
}

// A process-shared condition variable is glibc's; a fiber's wait on it runs
// on a helper thread (interpose/foreign.h), or in glibc if it cannot.
int shared_cond_wait(pthread_cond_t* c, pthread_mutex_t* m, clockid_t clock, const struct timespec* abs) {
  if (ringlet::fiber_path()) {
    int r = ringlet::foreign::cond_wait(c, m, clock, abs);
    if (r >= 0) return r;
  }
  if (!abs) return REAL(pthread_cond_wait)(c, m);
  if (REAL(pthread_cond_clockwait)) return REAL(pthread_cond_clockwait)(c, m, clock, abs);
  return clock == CLOCK_REALTIME ? REAL(pthread_cond_timedwait)(c, m, abs) : ENOSYS;
}

RINGLET_EXPORT int pthread_cond_wait(pthread_cond_t* c, pthread_mutex_t* m) {
  if (glibc_cond(c)) return shared_cond_wait(c, m, CLOCK_REALTIME, nullptr);
  return cond_wait_until(c, m, rt::kNoDeadline);
}

RINGLET_EXPORT int pthread_cond_timedwait(pthread_cond_t* c, pthread_mutex_t* m, const struct timespec* abs) {
  if (glibc_cond(c)) {
    // The clock chosen at init: glibc keeps it in bit 1 of __wrefs.
    return shared_cond_wait(c, m, (c->__data.__wrefs & 2) ? CLOCK_MONOTONIC : CLOCK_REALTIME, abs);
  }
  if (!valid_abstime(abs)) return EINVAL;
  return cond_wait_until(c, m, deadline_from(clockid_t(C(c)->clock), abs));
}

RINGLET_EXPORT int pthread_cond_clockwait(pthread_cond_t* c, pthread_mutex_t* m, clockid_t clock,
                                          const struct timespec* abs) {
  if (glibc_cond(c)) return shared_cond_wait(c, m, clock, abs);
  if (!known_clock(clock) || !valid_abstime(abs)) return EINVAL;
  return cond_wait_until(c, m, deadline_from(clock, abs));
}

RINGLET_EXPORT int pthread_cond_signal(pthread_cond_t* c) noexcept {
  if (glibc_cond(c)) return REAL(pthread_cond_signal)(c);
  rt::sync::cond_signal(C(c));
  return 0;
}

RINGLET_EXPORT int pthread_cond_broadcast(pthread_cond_t* c) noexcept {
  if (glibc_cond(c)) return REAL(pthread_cond_broadcast)(c);
  rt::sync::cond_broadcast(C(c));
  return 0;
}

RINGLET_EXPORT int pthread_cond_destroy(pthread_cond_t* c) noexcept {
  if (glibc_cond(c)) return REAL(pthread_cond_destroy)(c);
  rt::sync::cond_destroy(C(c));
  return 0;
}

// ---- semaphores ----------------------------------------------------------

RINGLET_EXPORT int sem_init(sem_t* s, int pshared, unsigned value) noexcept {
  if (value > rt::sync::kSemValueMax) return int(ringlet::edge(-EINVAL));
  if (pshared) return REAL(sem_init)(s, pshared, value);
  rt::sync::sem_setup(S(s), value);
  return 0;
}

// Process-shared semaphores (sem_init with pshared, sem_open) keep glibc's
// layout, which is ringlet's: a fiber waits with ringlet's algorithm in the
// kernel's shared futex queue (runtime/sync/sem.cpp); posts are glibc's.
RINGLET_EXPORT int sem_wait(sem_t* s) {
  if (shared_sem(s) && !ringlet::fiber_path()) return REAL(sem_wait)(s);
  return sem_wait_until(s, rt::kNoDeadline);
}

RINGLET_EXPORT int sem_timedwait(sem_t* s, const struct timespec* abs) {
  if (shared_sem(s) && !ringlet::fiber_path()) return REAL(sem_timedwait)(s, abs);
  if (!valid_abstime(abs)) return int(ringlet::edge(-EINVAL));
  return sem_wait_until(s, deadline_from(CLOCK_REALTIME, abs));
}

RINGLET_EXPORT int sem_clockwait(sem_t* s, clockid_t clock, const struct timespec* abs) {
  if (shared_sem(s) && !ringlet::fiber_path())
    return REAL(sem_clockwait) ? REAL(sem_clockwait)(s, clock, abs) : int(ringlet::edge(-ENOSYS));
  if (!known_clock(clock) || !valid_abstime(abs)) return int(ringlet::edge(-EINVAL));
  return sem_wait_until(s, deadline_from(clock, abs));
}

RINGLET_EXPORT int sem_trywait(sem_t* s) noexcept {
  if (shared_sem(s)) return REAL(sem_trywait)(s);
  return int(ringlet::edge(-rt::sync::sem_trywait(S(s))));
}

RINGLET_EXPORT int sem_post(sem_t* s) noexcept {
  if (shared_sem(s)) return REAL(sem_post)(s);
  return int(ringlet::edge(-rt::sync::sem_post(S(s))));
}

// ---- barriers ------------------------------------------------------------

RINGLET_EXPORT int pthread_barrier_init(pthread_barrier_t* b, const pthread_barrierattr_t* attr,
                                        unsigned count) noexcept {
  int pshared = PTHREAD_PROCESS_PRIVATE;
  if (attr) pthread_barrierattr_getpshared(attr, &pshared);
  if (pshared != PTHREAD_PROCESS_PRIVATE) return REAL(pthread_barrier_init)(b, attr, count);
  if (count == 0) return EINVAL;
  memset(b, 0, sizeof *b);
  rt::sync::barrier_init(B(b), count);
  barrier_flag(b) = kRingletBarrier;
  return 0;
}

RINGLET_EXPORT int pthread_barrier_wait(pthread_barrier_t* b) {
  if (barrier_flag(b) != kRingletBarrier) {
    // Process-shared: glibc's, waited for on a helper thread by a fiber.
    int r;
    if (ringlet::fiber_path() && ringlet::foreign::barrier_wait(b, &r)) return r;
    return REAL(pthread_barrier_wait)(b);
  }
  return rt::sync::barrier_wait(B(b)) ? PTHREAD_BARRIER_SERIAL_THREAD : 0;
}

RINGLET_EXPORT int pthread_barrier_destroy(pthread_barrier_t* b) noexcept {
  if (barrier_flag(b) != kRingletBarrier) return REAL(pthread_barrier_destroy)(b);
  return rt::sync::barrier_destroy(B(b));
}

// ---- pthread_once (the wrapper is in once.c, for its unwind cleanup) ------

extern "C" __attribute__((visibility("hidden"))) int ringlet_once_enter(pthread_once_t* c) {
  return rt::sync::once_enter(reinterpret_cast<std::atomic<uint32_t>*>(c));
}
extern "C" __attribute__((visibility("hidden"))) void ringlet_once_done(pthread_once_t* c) {
  rt::sync::once_done(reinterpret_cast<std::atomic<uint32_t>*>(c));
}
extern "C" __attribute__((visibility("hidden"))) void ringlet_once_abort(pthread_once_t* c) {
  rt::sync::once_abort(reinterpret_cast<std::atomic<uint32_t>*>(c));
}
