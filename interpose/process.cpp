// vfork. A vfork child borrows its parent's memory, stack and thread state
// until it execs, so under ringlet it would see the parent's carrier as its
// own and could park the parent's fibers from the wrong process. POSIX lets
// vfork be fork; so it is here (the child then starts a carrier of its own,
// see init.cpp). posix_spawn, system and popen use glibc's internal clone
// and never reach ringlet's wrappers in the child.
#include <sched.h>
#include <stdarg.h>
#include <unistd.h>

#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/resource.h>
#include "export.h"
#include "threads.h"

RINGLET_EXPORT pid_t vfork(void) noexcept {
  if (!rt::carrier()) return REAL(vfork)();
  return fork();
}

// clone without CLONE_VM makes a process, as fork does, but runs no
// pthread_atfork handlers: the child's start routine is wrapped so that it
// restarts the runtime first. With CLONE_VM (a thread, or a vfork-like
// child) the call is the program's own business.
namespace {
struct CloneStart {
  int (*fn)(void*);
  void* arg;
};
int clone_child(void* p) {
  CloneStart s = *static_cast<CloneStart*>(p);  // the child's own copy of the parent's frame
  ringlet::after_fork_child();
  return s.fn(s.arg);
}
}  // namespace

RINGLET_EXPORT int clone(int (*fn)(void*), void* stack, int flags, void* arg, ...) noexcept {
  va_list ap;
  va_start(ap, arg);
  pid_t* ptid = va_arg(ap, pid_t*);
  void* tls = va_arg(ap, void*);
  pid_t* ctid = va_arg(ap, pid_t*);
  va_end(ap);
  if (!rt::carrier() || (flags & CLONE_VM)) return REAL(clone)(fn, stack, flags, arg, ptid, tls, ctid);
  CloneStart s{fn, arg};
  return REAL(clone)(clone_child, stack, flags, &s, ptid, tls, ctid);
}

// ---- waiting for children (runtime/sys_proc.cpp) ----------------------------

RINGLET_EXPORT pid_t wait4(pid_t pid, int* status, int options, struct rusage* ru) {
  if (!ringlet::fiber_path()) return REAL(wait4)(pid, status, options, ru);
  return pid_t(ringlet::edge(rt::sys::call(SYS_wait4, pid, status, options, ru)));
}

RINGLET_EXPORT pid_t waitpid(pid_t pid, int* status, int options) {
  if (!ringlet::fiber_path()) return REAL(waitpid)(pid, status, options);
  return wait4(pid, status, options, nullptr);
}

RINGLET_EXPORT pid_t wait(int* status) {
  if (!ringlet::fiber_path()) return REAL(wait)(status);
  return wait4(-1, status, 0, nullptr);
}

RINGLET_EXPORT pid_t wait3(int* status, int options, struct rusage* ru) {
  if (!ringlet::fiber_path()) return REAL(wait3)(status, options, ru);
  return wait4(-1, status, options, ru);
}

RINGLET_EXPORT int waitid(idtype_t idtype, id_t id, siginfo_t* info, int options) {
  if (!ringlet::fiber_path()) return REAL(waitid)(idtype, id, info, options);
  return int(ringlet::edge(rt::sys::call(SYS_waitid, idtype, id, info, options, nullptr)));
}
