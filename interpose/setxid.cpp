// The set*id family. In a multi-threaded process glibc makes every thread
// change its credentials: __nptl_setxid signals (SIGSETXID) each thread on
// its lists but itself, "itself" being the control block at the thread
// pointer. A fiber with its own control block would make glibc signal the
// carrier's (its own kernel thread) and wait forever, so the call runs
// with the carrier's thread pointer (runtime/abi/tls.h: call_as). The
// kernel thread is one; the fibers on it share its credentials.
#include <grp.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>

#include "export.h"
#include "runtime/abi/tls.h"

namespace {

struct Call {
  int (*fn)(const long*);
  long a[3];
};

int run(void* p) {
  auto* c = static_cast<Call*>(p);
  return c->fn(c->a);
}

int as_carrier(int (*fn)(const long*), long a0, long a1 = 0, long a2 = 0) {
  rt::Carrier* c = rt::carrier();
  Call call{fn, {a0, a1, a2}};
  if (!c || !rt::tls::per_fiber() || !c->root || rt::tls::get_tp() == c->root->tp) return fn(call.a);
  int err = 0;
  int r = rt::tls::call_as(c->root->tp, run, &call, &err);
  if (r < 0) errno = err;
  return r;
}

}  // namespace

RINGLET_EXPORT int setuid(uid_t u) noexcept {
  return as_carrier([](const long* a) { return REAL(setuid)(uid_t(a[0])); }, long(u));
}
RINGLET_EXPORT int setgid(gid_t g) noexcept {
  return as_carrier([](const long* a) { return REAL(setgid)(gid_t(a[0])); }, long(g));
}
RINGLET_EXPORT int seteuid(uid_t u) noexcept {
  return as_carrier([](const long* a) { return REAL(seteuid)(uid_t(a[0])); }, long(u));
}
RINGLET_EXPORT int setegid(gid_t g) noexcept {
  return as_carrier([](const long* a) { return REAL(setegid)(gid_t(a[0])); }, long(g));
}
RINGLET_EXPORT int setreuid(uid_t r, uid_t e) noexcept {
  return as_carrier([](const long* a) { return REAL(setreuid)(uid_t(a[0]), uid_t(a[1])); }, long(r), long(e));
}
RINGLET_EXPORT int setregid(gid_t r, gid_t e) noexcept {
  return as_carrier([](const long* a) { return REAL(setregid)(gid_t(a[0]), gid_t(a[1])); }, long(r), long(e));
}
RINGLET_EXPORT int setresuid(uid_t r, uid_t e, uid_t s) noexcept {
  return as_carrier([](const long* a) { return REAL(setresuid)(uid_t(a[0]), uid_t(a[1]), uid_t(a[2])); }, long(r),
                    long(e), long(s));
}
RINGLET_EXPORT int setresgid(gid_t r, gid_t e, gid_t s) noexcept {
  return as_carrier([](const long* a) { return REAL(setresgid)(gid_t(a[0]), gid_t(a[1]), gid_t(a[2])); }, long(r),
                    long(e), long(s));
}
RINGLET_EXPORT int setgroups(size_t n, const gid_t* list) noexcept {
  return as_carrier([](const long* a) { return REAL(setgroups)(size_t(a[0]), reinterpret_cast<const gid_t*>(a[1])); },
                    long(n), reinterpret_cast<long>(list));
}
