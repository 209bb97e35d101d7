// pthread read-write locks and spinlocks, fiber-aware for every caller.
//
// A spinlock's holder may be a parked fiber that only this carrier can run:
// a fiber that finds it taken yields instead of spinning, so the holder gets
// to finish. Process-shared read-write locks are left to glibc.
#include <pthread.h>
#include <sched.h>
#include <cstddef>
#include <cstring>

#include "export.h"
#include "foreign.h"
#include "runtime/sync/rwlock.h"
#include "threads.h"

using ringlet::deadline_from;
using ringlet::valid_abstime;
using rt::sync::RwLock;

// The runtime's lock fits before glibc's __cur_writer, and the kind and
// process-shared flag stay where glibc's initializers and init put them.
static_assert(sizeof(RwLock) <= offsetof(pthread_rwlock_t, __data.__cur_writer));

namespace {

RwLock* L(pthread_rwlock_t* l) { return reinterpret_cast<RwLock*>(l); }
bool glibc_rwlock(const pthread_rwlock_t* l) { return l->__data.__shared != 0; }
int kind(const pthread_rwlock_t* l) { return int(l->__data.__flags); }
bool known_clock(clockid_t c) { return c == CLOCK_REALTIME || c == CLOCK_MONOTONIC; }

// A timed lock by a fiber, or by any thread on one of ringlet's locks
// (glibc's own locks taken by threads ringlet does not manage go to glibc
// before this).
int timed(pthread_rwlock_t* l, bool write, clockid_t clock, const struct timespec* abs) {
  if (glibc_rwlock(l)) {
    if (!valid_abstime(abs)) return EINVAL;
    return ringlet::foreign::rwlock_lock(l, write, deadline_from(clock, abs));
  }
  int r = write ? rt::sync::rw_trywrlock(L(l)) : rt::sync::rw_tryrdlock(L(l), kind(l));
  if (r != EBUSY) return r;
  if (!valid_abstime(abs)) return EINVAL;
  int64_t deadline = deadline_from(clock, abs);
  return write ? rt::sync::rw_wrlock(L(l), deadline) : rt::sync::rw_rdlock(L(l), kind(l), deadline);
}

}  // namespace

RINGLET_EXPORT int pthread_rwlock_init(pthread_rwlock_t* l, const pthread_rwlockattr_t* attr) noexcept {
  int pshared = PTHREAD_PROCESS_PRIVATE, k = rt::sync::kPreferReader;
  if (attr) {
    pthread_rwlockattr_getpshared(attr, &pshared);
    pthread_rwlockattr_getkind_np(attr, &k);
    if (pshared != PTHREAD_PROCESS_PRIVATE) return REAL(pthread_rwlock_init)(l, attr);
  }
  memset(l, 0, sizeof *l);
  l->__data.__flags = unsigned(k);
  return 0;
}

RINGLET_EXPORT int pthread_rwlock_rdlock(pthread_rwlock_t* l) noexcept {
  if (glibc_rwlock(l))
    return ringlet::fiber_path() ? ringlet::foreign::rwlock_lock(l, false, rt::kNoDeadline) : REAL(pthread_rwlock_rdlock)(l);
  return rt::sync::rw_rdlock(L(l), kind(l), rt::kNoDeadline);
}

RINGLET_EXPORT int pthread_rwlock_tryrdlock(pthread_rwlock_t* l) noexcept {
  if (glibc_rwlock(l)) return REAL(pthread_rwlock_tryrdlock)(l);
  return rt::sync::rw_tryrdlock(L(l), kind(l));
}

RINGLET_EXPORT int pthread_rwlock_timedrdlock(pthread_rwlock_t* l, const struct timespec* abs) noexcept {
  if (glibc_rwlock(l) && !ringlet::fiber_path()) return REAL(pthread_rwlock_timedrdlock)(l, abs);
  return timed(l, false, CLOCK_REALTIME, abs);
}

RINGLET_EXPORT int pthread_rwlock_clockrdlock(pthread_rwlock_t* l, clockid_t clock,
                                              const struct timespec* abs) noexcept {
  if (glibc_rwlock(l) && !ringlet::fiber_path()) return REAL(pthread_rwlock_clockrdlock)(l, clock, abs);
  if (!known_clock(clock)) return EINVAL;
  return timed(l, false, clock, abs);
}

RINGLET_EXPORT int pthread_rwlock_wrlock(pthread_rwlock_t* l) noexcept {
  if (glibc_rwlock(l))
    return ringlet::fiber_path() ? ringlet::foreign::rwlock_lock(l, true, rt::kNoDeadline) : REAL(pthread_rwlock_wrlock)(l);
  return rt::sync::rw_wrlock(L(l), rt::kNoDeadline);
}

RINGLET_EXPORT int pthread_rwlock_trywrlock(pthread_rwlock_t* l) noexcept {
  if (glibc_rwlock(l)) return REAL(pthread_rwlock_trywrlock)(l);
  return rt::sync::rw_trywrlock(L(l));
}

RINGLET_EXPORT int pthread_rwlock_timedwrlock(pthread_rwlock_t* l, const struct timespec* abs) noexcept {
  if (glibc_rwlock(l) && !ringlet::fiber_path()) return REAL(pthread_rwlock_timedwrlock)(l, abs);
  return timed(l, true, CLOCK_REALTIME, abs);
}

RINGLET_EXPORT int pthread_rwlock_clockwrlock(pthread_rwlock_t* l, clockid_t clock,
                                              const struct timespec* abs) noexcept {
  if (glibc_rwlock(l) && !ringlet::fiber_path()) return REAL(pthread_rwlock_clockwrlock)(l, clock, abs);
  if (!known_clock(clock)) return EINVAL;
  return timed(l, true, clock, abs);
}

RINGLET_EXPORT int pthread_rwlock_unlock(pthread_rwlock_t* l) noexcept {
  if (glibc_rwlock(l)) return ringlet::fiber_path() ? ringlet::foreign::rwlock_unlock(l) : REAL(pthread_rwlock_unlock)(l);
  return rt::sync::rw_unlock(L(l));
}

// glibc does not check (destroying a held lock is undefined): neither do we.
RINGLET_EXPORT int pthread_rwlock_destroy(pthread_rwlock_t* l) noexcept {
  if (glibc_rwlock(l)) return REAL(pthread_rwlock_destroy)(l);
  return 0;
}

// ---- spinlocks ------------------------------------------------------------
// glibc's encoding: 0 free, anything else taken. Plain atomics, so they work
// between processes too.

RINGLET_EXPORT int pthread_spin_init(pthread_spinlock_t* s, int) noexcept {
  __atomic_store_n(s, 0, __ATOMIC_RELAXED);
  return 0;
}

RINGLET_EXPORT int pthread_spin_destroy(pthread_spinlock_t*) noexcept { return 0; }

RINGLET_EXPORT int pthread_spin_trylock(pthread_spinlock_t* s) noexcept {
  int expect = 0;
  return __atomic_compare_exchange_n(s, &expect, 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED) ? 0 : EBUSY;
}

RINGLET_EXPORT int pthread_spin_lock(pthread_spinlock_t* s) noexcept {
  for (unsigned spins = 0;; ++spins) {
    if (pthread_spin_trylock(s) == 0) return 0;
    // A fiber gives the carrier to the holder; a thread spins a while, then
    // lets the carrier (which may be running the holder) have the CPU.
    if (ringlet::fiber_path()) sched_yield();
    else if (spins < 100) __builtin_ia32_pause();
    else REAL(sched_yield)();
  }
}

RINGLET_EXPORT int pthread_spin_unlock(pthread_spinlock_t* s) noexcept {
  __atomic_store_n(s, 0, __ATOMIC_RELEASE);
  return 0;
}
