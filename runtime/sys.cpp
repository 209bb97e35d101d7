#include "sys.h"

#include <cstdio>
#include <sys/syscall.h>

#include "cancel.h"
#include "config.h"
#include "fd.h"
#include "fsig.h"
#include "raw.h"
#include "sched.h"

namespace rt::sys {

// Each family of handlers lives in its own file and exports its part of the
// table; configure() assembles them (no static constructors: the table must
// be usable from the first interposed call of a library constructor).
extern const Def kIoDefs[];
extern const unsigned kIoDefCount;
extern const Def kNetDefs[];
extern const unsigned kNetDefCount;
extern const Def kPollDefs[];
extern const unsigned kPollDefCount;
extern const Def kTimeDefs[];
extern const unsigned kTimeDefCount;
extern const Def kFdDefs[];
extern const unsigned kFdDefCount;
extern const Def kFutexDefs[];
extern const unsigned kFutexDefCount;
extern const Def kProcDefs[];
extern const unsigned kProcDefCount;
extern const Def kSignalDefs[];
extern const unsigned kSignalDefCount;
extern const Def kStatDefs[];
extern const unsigned kStatDefCount;

namespace {

constinit Entry g_table[kMaxNr];

const char* policy_name(Policy p) {
  switch (p) {
    case Policy::Pass: return "pass";
    case Policy::Ring: return "ring";
    case Policy::Track: return "track";
    case Policy::Emulate: return "emulate";
  }
  return "?";
}

void add(const Def* defs, unsigned n, uint32_t families) {
  for (unsigned i = 0; i < n; ++i) {
    const Def& d = defs[i];
    if (d.nr < 0 || d.nr >= kMaxNr) continue;
    Entry e = d.e;
    if (e.family && !(families & e.family)) {
      e.policy = Policy::Pass;
      e.what = "family switched off (RINGLET_PATCH): kernel";
    }
    g_table[d.nr] = e;
  }
}

}  // namespace

const Entry* entry(long nr) {
  if (nr < 0 || nr >= kMaxNr || !g_table[nr].name) return nullptr;
  return &g_table[nr];
}

void configure(uint32_t families) {
  add(kIoDefs, kIoDefCount, families);
  add(kNetDefs, kNetDefCount, families);
  add(kPollDefs, kPollDefCount, families);
  add(kTimeDefs, kTimeDefCount, families);
  add(kFdDefs, kFdDefCount, families);
  add(kFutexDefs, kFutexDefCount, families);
  add(kProcDefs, kProcDefCount, families);
  add(kSignalDefs, kSignalDefCount, families);
  add(kStatDefs, kStatDefCount, families);
}

long pass(long nr, const Args& a) {
  return raw::syscall6(nr, a.a[0], a.a[1], a.a[2], a.a[3], a.a[4], a.a[5]);
}

// The POSIX cancellation points among the calls ringlet reroutes.
bool cancel_point(long nr) {
  switch (nr) {
    case SYS_read: case SYS_write: case SYS_readv: case SYS_writev: case SYS_pread64:
    case SYS_pwrite64: case SYS_preadv: case SYS_pwritev: case SYS_preadv2: case SYS_pwritev2:
    case SYS_recvfrom: case SYS_sendto: case SYS_recvmsg: case SYS_sendmsg: case SYS_accept:
    case SYS_accept4: case SYS_connect: case SYS_poll: case SYS_ppoll: case SYS_select:
    case SYS_pselect6: case SYS_epoll_wait: case SYS_epoll_pwait: case SYS_epoll_pwait2:
    case SYS_nanosleep: case SYS_clock_nanosleep: case SYS_close: case SYS_open: case SYS_openat:
    case SYS_creat: case SYS_wait4: case SYS_waitid: case SYS_fsync: case SYS_fdatasync:
    case SYS_rt_sigtimedwait: case SYS_rt_sigsuspend: case SYS_pause:
      return true;
    default:
      return false;
  }
}

// Whether the kernel restarts nr after a handler with SA_RESTART
// (signal(7)): never the waits for events, time or signals, nor socket
// calls on a socket with a timeout.
bool restartable(long nr, const Args& a) {
  switch (nr) {
    case SYS_poll: case SYS_ppoll: case SYS_select: case SYS_pselect6: case SYS_epoll_wait:
    case SYS_epoll_pwait: case SYS_epoll_pwait2: case SYS_nanosleep: case SYS_clock_nanosleep:
    case SYS_rt_sigtimedwait: case SYS_rt_sigsuspend: case SYS_pause: case SYS_semop:
    case SYS_semtimedop: case SYS_msgrcv: case SYS_msgsnd: case SYS_io_getevents:
      return false;
    case SYS_accept: case SYS_accept4: case SYS_recvfrom: case SYS_recvmsg: case SYS_recvmmsg:
      return fd::get(int(a.a[0])).rcvtimeo == 0;
    case SYS_connect: case SYS_sendto: case SYS_sendmsg: case SYS_sendmmsg:
      return fd::get(int(a.a[0])).sndtimeo == 0;
    case SYS_read: case SYS_readv: case SYS_write: case SYS_writev: {
      fd::Info fi = fd::get(int(a.a[0]));
      if (!fi.socket()) return true;
      return (nr == SYS_read || nr == SYS_readv ? fi.rcvtimeo : fi.sndtimeo) == 0;
    }
    default:
      return true;
  }
}

long call(long nr, const Args& a) {
  if (nr >= 0 && nr < kMaxNr) {
    const Entry& e = g_table[nr];
    Carrier* c = carrier();
    bool fiber = c && c->guard == 0;
    bool point = fiber && cancel_point(nr);
    // A cancellation is acted upon here, outside the runtime: at the entry
    // of a cancellation point, or when it ended the wait of one.
    if (point) cancel::test();
    long r;
    switch (e.policy) {
      case Policy::Pass: return pass(nr, a);
      case Policy::Track: return e.fn(a);
      case Policy::Ring:
      case Policy::Emulate:
        if (!fiber) return pass(nr, a);
        for (;;) {
          {
            Guard g(c);
            fsig::Point sp;
            if (point) {
              cancel::Point at;
              r = e.fn(a);
            } else {
              r = e.fn(a);
            }
          }
          if (r != cancel::kInterrupted) break;
          // Ended before it did anything: by a cancellation, or by signals
          // whose handlers run now, outside the runtime.
          if (fsig::ends_call(point, restartable(nr, a))) return -EINTR;
        }
        // Signals that came while it completed run before it returns.
        fsig::deliver_if_pending(c->current);
        return r;
    }
  }
  return pass(nr, a);
}

void explain(void (*out)(const char* line)) {
  char line[256];
  snprintf(line, sizeof line, "%-16s %-7s %-6s %s", "call", "policy", "family", "what ringlet does");
  out(line);
  for (int nr = 0; nr < kMaxNr; ++nr) {
    const Entry& e = g_table[nr];
    if (!e.name) continue;
    snprintf(line, sizeof line, "%-16s %-7s %-6s %s", e.name, policy_name(e.policy),
             e.family ? config::family_name(e.family) : "-", e.what ? e.what : "");
    out(line);
  }
}

}  // namespace rt::sys
