#include "sys.h"

#include <cstdio>

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
}

long pass(long nr, const Args& a) {
  return raw::syscall6(nr, a.a[0], a.a[1], a.a[2], a.a[3], a.a[4], a.a[5]);
}

long call(long nr, const Args& a) {
  if (nr >= 0 && nr < kMaxNr) {
    const Entry& e = g_table[nr];
    switch (e.policy) {
      case Policy::Pass: break;
      case Policy::Track: return e.fn(a);
      case Policy::Ring:
      case Policy::Emulate:
        if (Carrier* c = carrier(); c && c->guard == 0) {
          Guard g(c);
          return e.fn(a);
        }
        break;
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
