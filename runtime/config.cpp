#include "config.h"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace rt::config {

Config cfg;

bool parse_size(const char* s, size_t* out) {
  if (!s || *s < '0' || *s > '9') return false;  // no sign, no blanks
  char* end = nullptr;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || end == s || s[0] == '-') return false;
  unsigned shift = 0;
  switch (*end) {
    case 'k': case 'K': shift = 10; ++end; break;
    case 'm': case 'M': shift = 20; ++end; break;
    case 'g': case 'G': shift = 30; ++end; break;
    default: break;
  }
  if (*end == 'i' && shift) ++end;           // KiB, MiB
  if ((*end == 'b' || *end == 'B') && shift) ++end;
  if (*end) return false;
  if (shift && v > (~0ULL >> shift)) return false;
  *out = (size_t)(v << shift);
  return true;
}

namespace {

bool parse_int(const char* v, long lo, long hi, long* out, char* err, size_t n) {
  if ((*v < '0' || *v > '9') && !(*v == '-' && v[1] >= '0' && v[1] <= '9')) {
    snprintf(err, n, "is not a whole number from %ld to %ld", lo, hi);
    return false;
  }
  char* end = nullptr;
  errno = 0;
  long x = strtol(v, &end, 10);
  if (errno || end == v || *end || x < lo || x > hi) {
    snprintf(err, n, "is not a whole number from %ld to %ld", lo, hi);
    return false;
  }
  *out = x;
  return true;
}

bool parse_bool(const char* v, bool* out, char* err, size_t n) {
  if (!strcmp(v, "1") || !strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcasecmp(v, "on")) {
    *out = true;
    return true;
  }
  if (!strcmp(v, "0") || !strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcasecmp(v, "off")) {
    *out = false;
    return true;
  }
  snprintf(err, n, "is not 0 or 1");
  return false;
}

bool p_carriers(const char* v, Config& c, char* err, size_t n) {
  long x;
  if (!parse_int(v, 1, 256, &x, err, n)) return false;
  c.carriers = (int)x;
  return true;
}

bool p_stack(const char* v, Config& c, char* err, size_t n) {
  size_t x;
  if (!parse_size(v, &x) || x < (16u << 10) || x > (1ul << 30)) {
    snprintf(err, n, "is not a stack size from 16K to 1G (like 256K or 8M)");
    return false;
  }
  c.stack_size = x;
  return true;
}

bool p_log(const char* v, Config& c, char* err, size_t n) {
  if (!*v) {
    snprintf(err, n, "is empty");
    return false;
  }
  c.log_path = v;
  return true;
}

bool p_io(const char* v, Config& c, char* err, size_t n) {
  if (!strcmp(v, "try")) c.io = IoMode::Try;
  else if (!strcmp(v, "ring")) c.io = IoMode::Ring;
  else if (!strcmp(v, "auto")) c.io = IoMode::Auto;
  else {
    snprintf(err, n, "is not 'auto', 'try' or 'ring'");
    return false;
  }
  return true;
}

bool p_tls(const char* v, Config& c, char* err, size_t n) {
  if (!strcmp(v, "auto")) c.tls = TlsMode::Auto;
  else if (!strcmp(v, "arch_prctl")) c.tls = TlsMode::ArchPrctl;
  else if (!strcmp(v, "copy")) c.tls = TlsMode::Copy;
  else if (!strcmp(v, "shared")) c.tls = TlsMode::Shared;
  else {
    snprintf(err, n, "is not 'auto', 'arch_prctl', 'copy' or 'shared'");
    return false;
  }
  return true;
}

struct FamilyName { const char* name; uint32_t bit; };
constexpr FamilyName kFamilies[] = {
    {"io", kIo}, {"net", kNet}, {"poll", kPoll}, {"time", kTime}, {"proc", kProc}, {"signal", kSignal},
    {"all", kAllFamilies}};

// "all", "none", "io,net", "all,-poll"
bool p_patch(const char* v, Config& c, char* err, size_t n) {
  if (!*v) {
    snprintf(err, n, "is empty (use 'none' to switch every family off)");
    return false;
  }
  uint32_t set = 0;
  bool first = true;
  const char* p = v;
  while (*p) {
    const char* e = strchr(p, ',');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    bool minus = len && p[0] == '-';
    const char* name = p + minus;
    size_t nlen = len - minus;
    uint32_t bit = 0;
    bool none = nlen == 4 && !strncmp(name, "none", 4);
    for (const auto& f : kFamilies)
      if (strlen(f.name) == nlen && !strncmp(f.name, name, nlen)) bit = f.bit;
    if (!bit && !none) {
      snprintf(err, n, "has '%.*s', not one of all, none, io, net, poll, time", (int)len, p);
      return false;
    }
    if (first && minus) set = kAllFamilies;
    if (minus) set &= ~bit;
    else set |= bit;
    first = false;
    p += len;
    if (*p == ',' && !*++p) {
      snprintf(err, n, "ends with a comma");
      return false;
    }
  }
  c.families = set;
  return true;
}

bool p_entries(const char* v, Config& c, char* err, size_t n) {
  long x;
  if (!parse_int(v, 64, 32768, &x, err, n)) return false;
  c.ring_entries = (unsigned)x;
  return true;
}

bool p_debug(const char* v, Config& c, char* err, size_t n) { return parse_bool(v, &c.debug, err, n); }
bool p_disable(const char* v, Config& c, char* err, size_t n) { return parse_bool(v, &c.disabled, err, n); }
bool p_explain(const char* v, Config& c, char* err, size_t n) { return parse_bool(v, &c.explain, err, n); }
bool p_inherit(const char* v, Config& c, char* err, size_t n) { return parse_bool(v, &c.inherit, err, n); }

}  // namespace

const Option kOptions[] = {
    {"RINGLET_CARRIERS", "--carriers", "N", "OS threads that run fibers (default 1)", p_carriers},
    {"RINGLET_STACK_SIZE", "--stack-size", "SIZE",
     "fiber stack when the program sets none (default: ulimit -s, like glibc)", p_stack},
    {"RINGLET_LOG", "--log", "FILE", "write ringlet's diagnostics to FILE instead of stderr", p_log},
    {"RINGLET_IO", "--io", "MODE",
     "auto: writes make a non-blocking attempt first where a fiber switch costs a system call, else as ring; "
     "ring: submit blocking I/O to io_uring at once; try: a non-blocking attempt first (default auto)",
     p_io},
    {"RINGLET_PATCH", "--patch", "LIST",
     "families rerouted: all, none, or a list of io,net,poll,time,proc,signal; -name removes one (default all)",
     p_patch},
    {"RINGLET_INHERIT", "--inherit", "0|1",
     "programs this one starts (exec, posix_spawn, system, popen) run under ringlet too (default 1); "
     "--no-inherit is --inherit=0",
     p_inherit},
    {"RINGLET_RING_ENTRIES", nullptr, "N", "io_uring submission queue size (default 1024)", p_entries},
    {"RINGLET_TLS", nullptr, "MODE",
     "thread-local storage of fibers: auto (their own: the FS base switched with WRFSBASE, else copied "
     "at each switch for programs without TLS of their own, else arch_prctl), copy, arch_prctl, "
     "shared (with their carrier; errno still per fiber)",
     p_tls},
    {"RINGLET_DEBUG", nullptr, "0|1", "verbose diagnostics", p_debug},
    {"RINGLET_DISABLE", nullptr, "0|1", "load but pass every call straight through", p_disable},
    {"RINGLET_EXPLAIN", nullptr, "0|1",
     "print the policy table (what ringlet does with each call) on stdout at start; "
     "ringlet --explain does this for you",
     p_explain},
};
const size_t kOptionCount = sizeof kOptions / sizeof kOptions[0];

void load(char* const* envp, void (*warn)(const char* line)) {
  Config c;
  for (char* const* e = envp; e && *e; ++e) {
    if (strncmp(*e, "RINGLET_", 8) != 0) continue;
    const char* eq = strchr(*e, '=');
    if (!eq) continue;
    size_t klen = (size_t)(eq - *e);
    for (size_t i = 0; i < kOptionCount; ++i) {
      const Option& o = kOptions[i];
      if (strlen(o.env) != klen || strncmp(o.env, *e, klen) != 0) continue;
      char err[160];
      Config trial = c;
      if (o.parse(eq + 1, trial, err, sizeof err)) {
        c = trial;
      } else if (warn) {
        char line[320];
        snprintf(line, sizeof line, "%s=%s %s; using the default", o.env, eq + 1, err);
        warn(line);
      }
    }
  }
  cfg = c;
}

const char* family_name(uint32_t bit) {
  for (const auto& f : kFamilies)
    if (f.bit == bit) return f.name;
  return "?";
}

}  // namespace rt::config
