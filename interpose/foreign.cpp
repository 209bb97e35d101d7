// Fiber paths for glibc's own synchronization objects: taken with glibc's
// try operations, waited for beside glibc (runtime/sync/foreign.h), so a
// fiber never sleeps inside glibc on its carrier's behalf.
#include "foreign.h"

#include <linux/futex.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>

#include "export.h"
#include "runtime/offload.h"
#include "runtime/sync/foreign.h"
#include "runtime/sync/futex.h"

namespace ringlet::foreign {

namespace {

using rt::sync::foreign::clear_owner;
using rt::sync::foreign::owner;
using rt::sync::foreign::set_owner;

// glibc's kind bits (pthread_mutex_t::__data.__kind).
constexpr int kTypeMask = 3, kRobust = 16, kPrioInherit = 32, kPrioProtect = 64, kShared = 128;

std::atomic<uint32_t>* word_of(pthread_mutex_t* m) {
  return reinterpret_cast<std::atomic<uint32_t>*>(&m->__data.__lock);
}

// Makes the holder's unlock wake the kernel's futex queue, as glibc's own
// waiters do: a robust word (owner's thread id) gets FUTEX_WAITERS, a plain
// one (0 free, 1 taken, 2 contended) goes to 2. Returns the value to wait
// on, or 0 if the word changed (try again).
uint32_t mark_waiting(std::atomic<uint32_t>* w, bool robust) {
  uint32_t v = w->load(std::memory_order_relaxed);
  if (v == 0) return 0;
  uint32_t want = robust ? (v | FUTEX_WAITERS) : 2;
  if (v != want && !w->compare_exchange_strong(v, want, std::memory_order_relaxed)) return 0;
  return want;
}

// After taking the lock following a wait, others may still be waiting: keep
// the word marked (glibc does the same when it takes a lock after a wait).
void keep_marked(std::atomic<uint32_t>* w, bool robust) {
  uint32_t v = w->load(std::memory_order_relaxed);
  if (robust) w->compare_exchange_strong(v, v | FUTEX_WAITERS, std::memory_order_relaxed);
  else if (v == 1) w->compare_exchange_strong(v, 2, std::memory_order_relaxed);
}

}  // namespace

int mutex_lock(pthread_mutex_t* m, int64_t deadline) {
  rt::Fiber* self = rt::current();
  int kind = m->__data.__kind, type = kind & kTypeMask;
  // glibc waits and wakes on robust mutexes in the kernel's shared futex
  // queue even when they are process-private (PTHREAD_ROBUST_MUTEX_PSHARED).
  bool robust = kind & kRobust, shared = (kind & kShared) || robust;
  // Priority inheritance and protection: the unlock wakes only waiters the
  // kernel queued itself (FUTEX_LOCK_PI), which a fiber cannot be.
  bool poll_only = kind & (kPrioInherit | kPrioProtect);
  if (owner(m) == self) {
    if (type == PTHREAD_MUTEX_ERRORCHECK) return EDEADLK;
    if (type == PTHREAD_MUTEX_RECURSIVE) return REAL(pthread_mutex_trylock)(m);
    // A normal mutex relocked by its holder waits forever, as natively.
  }
  std::atomic<uint32_t>* w = word_of(m);
  int64_t step = 50000;
  bool waited = false;
  for (;;) {
    rt::Fiber* o = owner(m);
    if (!o) {
      int r = REAL(pthread_mutex_trylock)(m);
      if (r == 0 || r == EOWNERDEAD) {
        set_owner(m, self);
        if (waited && !poll_only) keep_marked(w, robust);
        return r;
      }
      if (r != EBUSY) return r;
    }
    if (rt::now_ns() >= deadline) return ETIMEDOUT;
    waited = true;
    if (o) {
      // Another fiber of this process: its unlock (below) wakes us.
      if (uint32_t v = w->load(std::memory_order_relaxed)) rt::futex::wait(w, v, rt::sync::foreign::within_slice(deadline));
    } else if (poll_only) {
      rt::sync::foreign::backoff(&step, deadline);
    } else if (uint32_t v = mark_waiting(w, robust)) {
      rt::sync::foreign::wait_word(w, v, shared, deadline);
    }
  }
}

int mutex_trylock(pthread_mutex_t* m) {
  rt::Fiber* self = rt::current();
  rt::Fiber* o = owner(m);
  int type = m->__data.__kind & kTypeMask;
  if (o && o != self) return EBUSY;
  if (o == self && type != PTHREAD_MUTEX_RECURSIVE) return EBUSY;
  int r = REAL(pthread_mutex_trylock)(m);
  if (r == 0 || r == EOWNERDEAD) set_owner(m, self);
  return r;
}

int mutex_unlock(pthread_mutex_t* m) {
  int kind = m->__data.__kind, type = kind & kTypeMask;
  // glibc checks the thread id, which all fibers of a carrier share.
  if (owner(m) != rt::current() && (type != PTHREAD_MUTEX_NORMAL || (kind & kRobust))) return EPERM;
  int r = REAL(pthread_mutex_unlock)(m);
  if (r == 0) {
    if (type != PTHREAD_MUTEX_RECURSIVE || m->__data.__count == 0) clear_owner(m);
    rt::futex::wake(word_of(m), 1);  // a fiber of ours waiting beside it
  }
  return r;
}

namespace {

struct CondJob {
  pthread_cond_t* c;
  pthread_mutex_t* m;
  clockid_t clock;
  const struct timespec* abs;
  int carrier_tid;
  int r;
};

// On a helper thread: the mutex is lent to it for the wait (glibc's unlock
// checks __owner for error-checking kinds) and given back after.
void cond_job(void* arg) {
  auto* j = static_cast<CondJob*>(arg);
  j->m->__data.__owner = gettid();
  if (!j->abs) j->r = REAL(pthread_cond_wait)(j->c, j->m);
  else if (REAL(pthread_cond_clockwait)) j->r = REAL(pthread_cond_clockwait)(j->c, j->m, j->clock, j->abs);
  else j->r = REAL(pthread_cond_timedwait)(j->c, j->m, j->abs);
  j->m->__data.__owner = j->carrier_tid;
}

struct BarrierJob {
  pthread_barrier_t* b;
  int r;
};

void barrier_job(void* arg) {
  auto* j = static_cast<BarrierJob*>(arg);
  j->r = REAL(pthread_barrier_wait)(j->b);
}

}  // namespace

int cond_wait(pthread_cond_t* c, pthread_mutex_t* m, clockid_t clock, const struct timespec* abs) {
  // Only a mutex of glibc's whose owner is a plain thread id in __owner
  // can be lent to a helper (a robust or PI word names the thread itself).
  int kind = m->__data.__kind;
  if (!(kind & kShared) || (kind & (kRobust | kPrioInherit | kPrioProtect))) return -1;
  rt::Fiber* self = rt::current();
  if (owner(m) != self) return EPERM;
  CondJob j{c, m, clock, abs, gettid(), 0};
  clear_owner(m);  // released during the wait: other fibers may take it
  if (rt::offload::run(cond_job, &j) != 0) {
    set_owner(m, self);
    return -1;
  }
  set_owner(m, self);
  return j.r;
}

bool barrier_wait(pthread_barrier_t* b, int* result) {
  BarrierJob job{b, 0};
  if (rt::offload::run(barrier_job, &job) != 0) return false;
  *result = job.r;
  return true;
}

int rwlock_lock(pthread_rwlock_t* l, bool write, int64_t deadline) {
  rt::Fiber* self = rt::current();
  if (owner(l) == self) return EDEADLK;  // it holds the write lock
  int64_t step = 50000;
  for (;;) {
    int r = write ? REAL(pthread_rwlock_trywrlock)(l) : REAL(pthread_rwlock_tryrdlock)(l);
    if (r == 0) {
      if (write) set_owner(l, self);
      return 0;
    }
    if (r != EBUSY) return r;
    if (rt::now_ns() >= deadline) return ETIMEDOUT;
    rt::sync::foreign::backoff(&step, deadline);
  }
}

int rwlock_unlock(pthread_rwlock_t* l) {
  if (owner(l) == rt::current()) clear_owner(l);
  return REAL(pthread_rwlock_unlock)(l);
}

}  // namespace ringlet::foreign
