// pthread_create and friends: in fiber context a new thread is a fiber; a
// pthread_t names a fiber (the Fiber record's address) or, for the root
// fiber (main()) and threads ringlet does not manage, the real thread.
#include <pthread.h>
#include <sched.h>
#include <sys/single_threaded.h>
#include <cstring>
#include <ctime>

#include "export.h"
#include "runtime/abi/unwind.h"
#include "runtime/cancel.h"
#include "runtime/config.h"
#include "runtime/cpuclock.h"
#include "runtime/fsig.h"
#include "runtime/keys.h"
#include "runtime/log.h"
#include "runtime/stack.h"
#include "runtime/sync/futex.h"
#include "threads.h"

using ringlet::edge;
using ringlet::fiber_path;

namespace ringlet {

pthread_t self_handle() {
  rt::Fiber* f = rt::current();
  if (!f || (f->flags & rt::kFiberRoot)) return REAL(pthread_self)();
  return reinterpret_cast<pthread_t>(f);
}

rt::Fiber* fiber_of(pthread_t t) {
  auto* p = reinterpret_cast<void*>(t);
  if (rt::is_fiber(p)) return static_cast<rt::Fiber*>(p);
  rt::Carrier* c = rt::carrier();
  if (c && c->root && t == root_handle()) return c->root;
  return nullptr;
}

namespace {

pthread_t g_root_handle;

}  // namespace

void set_root_handle(pthread_t t) { g_root_handle = t; }
pthread_t root_handle() { return g_root_handle; }

int64_t deadline_from(clockid_t clock, const timespec* abs) {
  timespec now;
  clock_gettime(clock, &now);
  int64_t left = rt::add_ns(rt::to_ns(abs->tv_sec, abs->tv_nsec), -rt::to_ns(now.tv_sec, now.tv_nsec));
  return rt::add_ns(rt::now_ns(), left);
}

bool valid_abstime(const timespec* abs) { return abs->tv_nsec >= 0 && abs->tv_nsec < 1000000000; }

}  // namespace ringlet

using ringlet::fiber_of;
using ringlet::self_handle;

namespace {

// The program's attributes, read through glibc's own getters.
int spawn_attr(const pthread_attr_t* a, rt::SpawnAttr* out) {
  pthread_attr_t def;
  if (!a) {
    // pthread_setattr_default_np may have changed the default stack size.
    if (rt::config::cfg.stack_size == 0 && pthread_getattr_default_np(&def) == 0) {
      size_t sz = 0;
      pthread_attr_getstacksize(&def, &sz);
      out->stack_size = sz;
      pthread_attr_destroy(&def);
    }
    return 0;
  }
  int detach = PTHREAD_CREATE_JOINABLE;
  pthread_attr_getdetachstate(a, &detach);
  out->detached = detach == PTHREAD_CREATE_DETACHED;
  void* lo = nullptr;
  size_t size = 0;
  pthread_attr_getstack(a, &lo, &size);
  // Without a program-given stack glibc's stack address is null, and the
  // lowest address it reports is null minus the size.
  if (reinterpret_cast<uintptr_t>(lo) + size != 0) {
    if (size < size_t(PTHREAD_STACK_MIN)) return EINVAL;
    out->stack_addr = lo;
    out->stack_addr_size = size;
    return 0;
  }
  size_t guard = 0;
  pthread_attr_getstacksize(a, &size);
  pthread_attr_getguardsize(a, &guard);
  out->stack_size = size;
  out->guard_size = guard;
  return 0;
}

}  // namespace

RINGLET_EXPORT int pthread_create(pthread_t* t, const pthread_attr_t* attr, void* (*fn)(void*), void* arg) {
  if (!fiber_path()) return REAL(pthread_create)(t, attr, fn, arg);
  rt::SpawnAttr sa;
  if (int e = spawn_attr(attr, &sa)) return e;
  rt::Fiber* f;
  int r;
  {
    rt::Guard g(rt::carrier());
    r = rt::spawn(fn, arg, sa, &f);
  }
  if (r) return -r;  // EAGAIN: out of memory or address space, as glibc says
  // What glibc's pthread_create would say: the process now has threads.
  // libstdc++ reads it (function-local statics take the threaded path,
  // shared_ptr counts atomically).
  __libc_single_threaded = 0;
  *t = reinterpret_cast<pthread_t>(f);
  return 0;
}

RINGLET_EXPORT pthread_t pthread_self(void) noexcept { return self_handle(); }

RINGLET_EXPORT int pthread_equal(pthread_t a, pthread_t b) noexcept { return a == b; }

namespace {
// rt::join's answer as pthread_join gives it; a cancellation is acted upon.
int joined(int r) {
  if (r == int(rt::cancel::kInterrupted)) rt::cancel::act();
  return -r;
}
}  // namespace

RINGLET_EXPORT int pthread_join(pthread_t t, void** ret) {
  rt::Fiber* f = fiber_of(t);
  if (!f) return REAL(pthread_join)(t, ret);
  if (ringlet::fiber_path()) rt::cancel::test();
  return joined(rt::join(f, ret));
}

RINGLET_EXPORT int pthread_tryjoin_np(pthread_t t, void** ret) noexcept {
  rt::Fiber* f = fiber_of(t);
  if (!f) return REAL(pthread_tryjoin_np) ? REAL(pthread_tryjoin_np)(t, ret) : ENOSYS;
  if (f->exited.load(std::memory_order_acquire) == 0) return EBUSY;
  return -rt::join(f, ret);
}

namespace {

int timed_join(rt::Fiber* f, void** ret, clockid_t clock, const timespec* abs) {
  if (abs && !ringlet::valid_abstime(abs)) return EINVAL;
  int64_t deadline = abs ? ringlet::deadline_from(clock, abs) : rt::kNoDeadline;
  while (f->exited.load(std::memory_order_acquire) == 0) {
    int r = rt::futex::wait_point(&f->exited, 0, deadline);
    if (r == -ETIMEDOUT) return ETIMEDOUT;
    if (r == int(rt::cancel::kInterrupted)) rt::cancel::act();
  }
  return joined(rt::join(f, ret));
}

}  // namespace

RINGLET_EXPORT int pthread_timedjoin_np(pthread_t t, void** ret, const struct timespec* abs) {
  rt::Fiber* f = fiber_of(t);
  if (!f) return REAL(pthread_timedjoin_np) ? REAL(pthread_timedjoin_np)(t, ret, abs) : ENOSYS;
  return timed_join(f, ret, CLOCK_REALTIME, abs);
}

RINGLET_EXPORT int pthread_clockjoin_np(pthread_t t, void** ret, clockid_t clock, const struct timespec* abs) {
  rt::Fiber* f = fiber_of(t);
  if (!f) return REAL(pthread_clockjoin_np) ? REAL(pthread_clockjoin_np)(t, ret, clock, abs) : ENOSYS;
  if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC) return EINVAL;
  return timed_join(f, ret, clock, abs);
}

RINGLET_EXPORT int pthread_detach(pthread_t t) noexcept {
  rt::Fiber* f = fiber_of(t);
  if (!f) return REAL(pthread_detach)(t);
  return -rt::detach(f);
}

RINGLET_EXPORT void pthread_exit(void* ret) {
  if (!fiber_path()) {
    REAL(pthread_exit)(ret);
    __builtin_unreachable();
  }
  rt::exit_unwinding(ret);
}

// The stack of a fiber as glibc describes a thread's: the whole usable
// mapping (the Fiber record sits at its top, as struct pthread does).
RINGLET_EXPORT int pthread_getattr_np(pthread_t t, pthread_attr_t* attr) noexcept {
  rt::Fiber* f = fiber_of(t);
  if (!f || (f->flags & rt::kFiberRoot)) return REAL(pthread_getattr_np)(t, attr);
  int r = pthread_attr_init(attr);
  if (r) return r;
  pthread_attr_setstack(attr, f->stack.lo(), f->stack.size);
  pthread_attr_setguardsize(attr, f->stack.guard);
  pthread_attr_setdetachstate(attr, (f->flags & rt::kFiberDetached) ? PTHREAD_CREATE_DETACHED
                                                                    : PTHREAD_CREATE_JOINABLE);
  return 0;
}

// Names live in the Fiber record; the root fiber's name is the carrier
// thread's own (what ps and /proc show).
RINGLET_EXPORT int pthread_setname_np(pthread_t t, const char* name) noexcept {
  rt::Fiber* f = fiber_of(t);
  if (!f || (f->flags & rt::kFiberRoot)) return REAL(pthread_setname_np)(t, name);
  size_t n = strlen(name);
  if (n >= sizeof f->name) return ERANGE;
  memcpy(f->name, name, n + 1);
  return 0;
}

RINGLET_EXPORT int pthread_getname_np(pthread_t t, char* buf, size_t len) noexcept {
  rt::Fiber* f = fiber_of(t);
  if (!f || (f->flags & rt::kFiberRoot)) return REAL(pthread_getname_np)(t, buf, len);
  size_t n = strlen(f->name);
  if (n >= len) return ERANGE;
  memcpy(buf, f->name, n + 1);
  return 0;
}

// ---- signals per fiber (runtime/fsig.h) ------------------------------------

RINGLET_EXPORT int pthread_kill(pthread_t t, int sig) noexcept {
  rt::Fiber* f = fiber_of(t);
  if (!f) return REAL(pthread_kill)(t, sig);
  return rt::fsig::kill(f, sig);
}

namespace {
// sigset_t is 1024 bits; the kernel's signals fit in its first 64.
int fiber_sigmask(int how, const sigset_t* set, sigset_t* old) {
  uint64_t in, out;
  if (set) memcpy(&in, set, sizeof in);
  int r = rt::fsig::set_mask(how, set ? &in : nullptr, &out);
  if (r == 0 && old) {
    sigemptyset(old);
    memcpy(old, &out, sizeof out);
  }
  return r;
}
}  // namespace

RINGLET_EXPORT int pthread_sigmask(int how, const sigset_t* set, sigset_t* old) noexcept {
  if (!rt::current()) return REAL(pthread_sigmask)(how, set, old);
  return fiber_sigmask(how, set, old);
}

RINGLET_EXPORT int sigprocmask(int how, const sigset_t* set, sigset_t* old) noexcept {
  if (!rt::current()) return REAL(sigprocmask)(how, set, old);
  int r = fiber_sigmask(how, set, old);
  return r ? int(ringlet::edge(-r)) : 0;
}

// What the kernel has pending for the carrier and the process, and what
// pthread_kill sent this fiber.
RINGLET_EXPORT int sigpending(sigset_t* set) noexcept {
  int r = REAL(sigpending)(set);
  if (r == 0 && rt::current()) {
    uint64_t k;
    memcpy(&k, set, sizeof k);
    k |= rt::fsig::pending();
    memcpy(set, &k, sizeof k);
  }
  return r;
}

// ---- cancellation (runtime/cancel.h) ----------------------------------------
// A fiber's cancellation state is its own; threads ringlet does not manage
// keep glibc's.

RINGLET_EXPORT int pthread_cancel(pthread_t t) {
  rt::Fiber* f = fiber_of(t);
  if (!f) return REAL(pthread_cancel)(t);
  if (f->exited.load(std::memory_order_acquire)) return 0;  // as glibc: a zombie is not an error
  rt::cancel::request(f);
  if (f == rt::current() && f->cancel_async && ringlet::fiber_path()) rt::cancel::test();
  return 0;
}

RINGLET_EXPORT void pthread_testcancel(void) {
  if (!fiber_path()) {
    if (!rt::current()) REAL(pthread_testcancel)();
    return;
  }
  rt::cancel::test();
}

RINGLET_EXPORT int pthread_setcancelstate(int state, int* old) {
  if (!rt::current()) return REAL(pthread_setcancelstate)(state, old);
  return rt::cancel::set_state(state, old);
}

RINGLET_EXPORT int pthread_setcanceltype(int type, int* old) {
  if (!rt::current()) return REAL(pthread_setcanceltype)(type, old);
  return rt::cancel::set_type(type, old);
}

// pthread_cleanup_push/pop of C code built without -fexceptions (pthread.h's
// setjmp form): a fiber keeps the buffers itself (runtime/abi/unwind.h).
RINGLET_EXPORT void __pthread_register_cancel(__pthread_unwind_buf_t* buf) {
  if (!rt::current()) return REAL(__pthread_register_cancel)(buf);
  rt::cleanup_push(buf);
}

RINGLET_EXPORT void __pthread_unregister_cancel(__pthread_unwind_buf_t* buf) {
  if (!rt::current()) return REAL(__pthread_unregister_cancel)(buf);
  rt::cleanup_pop(buf);
}

// pthread_cleanup_push_defer_np: also switches to deferred cancellation,
// and its pop restores the type (kept in the buffer, as glibc does).
RINGLET_EXPORT void __pthread_register_cancel_defer(__pthread_unwind_buf_t* buf) {
  if (!rt::current()) return REAL(__pthread_register_cancel_defer)(buf);
  int old;
  rt::cancel::set_type(PTHREAD_CANCEL_DEFERRED, &old);
  buf->__pad[2] = reinterpret_cast<void*>(intptr_t(old));
  rt::cleanup_push(buf);
}

RINGLET_EXPORT void __pthread_unregister_cancel_restore(__pthread_unwind_buf_t* buf) {
  if (!rt::current()) return REAL(__pthread_unregister_cancel_restore)(buf);
  rt::cleanup_pop(buf);
  rt::cancel::set_type(int(reinterpret_cast<intptr_t>(buf->__pad[2])), nullptr);
}

RINGLET_EXPORT void __pthread_unwind_next(__pthread_unwind_buf_t* buf) {
  if (!rt::current()) {
    REAL(__pthread_unwind_next)(buf);
    __builtin_unreachable();
  }
  rt::unwind_next(buf);
}

// A fiber's own CPU-time clock (runtime/cpuclock.h).
RINGLET_EXPORT int pthread_getcpuclockid(pthread_t t, clockid_t* clock) noexcept {
  rt::Fiber* f = fiber_of(t);
  if (!f) return REAL(pthread_getcpuclockid)(t, clock);
  if (f->exited.load(std::memory_order_acquire)) return ESRCH;
  *clock = rt::cpuclock::clock_of(f);
  return 0;
}

// Per-carrier properties a fiber shares with its carrier.

RINGLET_EXPORT int pthread_getaffinity_np(pthread_t t, size_t size, cpu_set_t* set) noexcept {
  if (fiber_of(t)) t = ringlet::root_handle();
  return REAL(pthread_getaffinity_np)(t, size, set);
}

RINGLET_EXPORT int pthread_setaffinity_np(pthread_t t, size_t size, const cpu_set_t* set) noexcept {
  rt::Fiber* f = fiber_of(t);
  if (!f || (f->flags & rt::kFiberRoot)) return REAL(pthread_setaffinity_np)(t, size, set);
  return 0;  // a fiber runs where its carrier runs
}

RINGLET_EXPORT int pthread_getschedparam(pthread_t t, int* policy, struct sched_param* p) noexcept {
  if (fiber_of(t)) t = ringlet::root_handle();
  return REAL(pthread_getschedparam)(t, policy, p);
}

RINGLET_EXPORT int pthread_setschedparam(pthread_t t, int policy, const struct sched_param* p) noexcept {
  rt::Fiber* f = fiber_of(t);
  if (!f || (f->flags & rt::kFiberRoot)) return REAL(pthread_setschedparam)(t, policy, p);
  return 0;  // fibers are scheduled by ringlet, in order
}

RINGLET_EXPORT int pthread_setschedprio(pthread_t t, int prio) noexcept {
  rt::Fiber* f = fiber_of(t);
  if (!f || (f->flags & rt::kFiberRoot)) return REAL(pthread_setschedprio)(t, prio);
  return 0;
}

// Thread-specific data. Keys are glibc's (so threads and fibers agree on
// them); values of fibers other than a root live in the fiber.
RINGLET_EXPORT int pthread_key_create(pthread_key_t* key, void (*dtor)(void*)) noexcept {
  int r = REAL(pthread_key_create)(key, dtor);
  if (r == 0) rt::keys::created(*key, dtor);
  return r;
}

RINGLET_EXPORT int pthread_key_delete(pthread_key_t key) noexcept {
  int r = REAL(pthread_key_delete)(key);
  if (r == 0) rt::keys::deleted(key);
  return r;
}

namespace {
rt::Fiber* own_store_fiber() {
  rt::Fiber* f = rt::current();
  return f && !(f->flags & rt::kFiberRoot) ? f : nullptr;
}
}  // namespace

RINGLET_EXPORT void* pthread_getspecific(pthread_key_t key) noexcept {
  if (rt::Fiber* f = own_store_fiber()) return rt::keys::get(f, key);
  return REAL(pthread_getspecific)(key);
}

RINGLET_EXPORT int pthread_setspecific(pthread_key_t key, const void* value) noexcept {
  if (rt::Fiber* f = own_store_fiber()) return -rt::keys::set(f, key, value);
  return REAL(pthread_setspecific)(key, value);
}
