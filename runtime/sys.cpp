#include "sys.h"

#include <cstdio>
#include <sys/syscall.h>

#include "cancel.h"
#include "config.h"
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
      return true;
    default:
      return false;
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
        {
          Guard g(c);
          if (point) {
            cancel::Point at;
            r = e.fn(a);
          } else {
            r = e.fn(a);
          }
        }
        if (r == cancel::kInterrupted) cancel::act();
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
