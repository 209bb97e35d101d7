// Router handlers: wait4 and waitid (wait, waitpid, wait3, wait4, waitid).
//
// A fiber waiting for a child parks on io_uring's IORING_OP_WAITID (6.7)
// with WNOWAIT: the completion says a child has something to report, and
// then the kernel's own wait4/waitid with WNOHANG collects it, so status,
// siginfo and rusage are exactly what the kernel gives, and a child reaped
// meanwhile by another thread just means waiting again. Without the opcode,
// the fiber polls with WNOHANG, sleeping 1 ms growing to 20 ms in between.
// WNOHANG calls go straight to the kernel. SIGCHLD is untouched.
#include <cerrno>
#include <csignal>
#include <cstring>
#include <sys/wait.h>

#include "cancel.h"
#include "config.h"
#include "io_wait.h"
#include "raw.h"
#include "sched.h"
#include "sys.h"

namespace rt::sys {

namespace {

constexpr int kOpWaitid = 50;  // IORING_OP_WAITID (6.7)

bool ring_waitid() { return carrier()->ring.supports(kOpWaitid); }

// Parks until a child matching (idtype, id) has a state change of the kind
// `options` asks for, without collecting it. 0, -errno (ECHILD...) or
// cancel::kInterrupted.
long wait_for_child(int idtype, long id, int options, int64_t* backoff) {
  if (!ring_waitid()) {
    park_backoff(backoff, 20000000, kNoDeadline);
    return cancel::interrupted() ? cancel::kInterrupted : 0;
  }
  siginfo_t info;
  IoOp op;
  io_uring_sqe* s = io_sqe();
  io_uring_prep_rw(kOpWaitid, s, int(id), nullptr, unsigned(idtype), 0);
  s->file_index = unsigned(options | WNOWAIT);
  s->addr2 = reinterpret_cast<uintptr_t>(&info);
  long r = io_submit_wait(s, op, kNoDeadline);
  return r > 0 ? 0 : r;
}

// waitpid's pid as waitid's (idtype, id).
void target_of(long pid, int* idtype, long* id) {
  if (pid > 0) *idtype = P_PID, *id = pid;
  else if (pid == -1) *idtype = P_ALL, *id = 0;
  else if (pid == 0) *idtype = P_PGID, *id = 0;  // the caller's group (Linux 5.4+)
  else *idtype = P_PGID, *id = -pid;
}

// wait4(pid, status, options, rusage)
long h_wait4(const Args& a) {
  int options = int(a.a[2]);
  if (options & WNOHANG) return pass(SYS_wait4, a);
  int idtype;
  long id;
  target_of(a.a[0], &idtype, &id);
  // waitid's options: exits always, WUNTRACED is WSTOPPED, the rest as given.
  int wopts = WEXITED | (options & (WCONTINUED | __WALL | __WCLONE | __WNOTHREAD)) |
              ((options & WUNTRACED) ? WSTOPPED : 0);
  int64_t backoff = 1000000;
  for (;;) {
    long r = raw::sys(SYS_wait4, a.a[0], a.a[1], options | WNOHANG, a.a[3]);
    if (r != 0) return r;  // a child collected, or an error (ECHILD...)
    long w = wait_for_child(idtype, id, wopts, &backoff);
    if (w < 0) return w;
  }
}

// waitid(idtype, id, infop, options, rusage)
long h_waitid(const Args& a) {
  int options = int(a.a[3]);
  if (options & WNOHANG) return pass(SYS_waitid, a);
  // The kernel writes si_pid (0: nobody ready) whenever infop is given;
  // with none (Linux allows it) a local one tells.
  siginfo_t local;
  auto* info = a.a[2] ? reinterpret_cast<siginfo_t*>(a.a[2]) : &local;
  int64_t backoff = 1000000;
  for (;;) {
    long r = raw::sys(SYS_waitid, a.a[0], a.a[1], info, options | WNOHANG, a.a[4]);
    if (r != 0 || info->si_pid != 0) return r;
    long w = wait_for_child(int(a.a[0]), a.a[1], options & ~WNOWAIT, &backoff);
    if (w < 0) return w;
  }
}

constexpr uint32_t F = config::kProc;

}  // namespace

extern const Def kProcDefs[] = {
    {SYS_wait4,
     {"wait4", F, Policy::Ring, h_wait4,
      "the fiber parks on io_uring WAITID (6.7+; else polls), then the kernel's wait4 collects"}},
    {SYS_waitid,
     {"waitid", F, Policy::Ring, h_waitid, "as wait4"}},
};
extern const unsigned kProcDefCount = sizeof kProcDefs / sizeof kProcDefs[0];

}  // namespace rt::sys
