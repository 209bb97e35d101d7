// RINGLET_INHERIT=0 (launcher --no-inherit): the programs this one starts
// run without ringlet. exec*, posix_spawn, system and popen all pass the
// environment on (environ, or the envp main() received, which points at the
// same strings), so ringlet's entry is cut out of LD_PRELOAD in place, in
// the string itself, once at start; the other preloads stay.
#include <dlfcn.h>
#include <string.h>

#include "threads.h"

extern char** environ;

namespace {

const char* base(const char* p, size_t n, size_t* len) {
  size_t i = n;
  while (i > 0 && p[i - 1] != '/') --i;
  *len = n - i;
  return p + i;
}

}  // namespace

namespace ringlet {

void drop_from_preload() {
  Dl_info di;
  if (!dladdr(reinterpret_cast<void*>(drop_from_preload), &di) || !di.dli_fname) return;
  size_t mylen;
  const char* me = base(di.dli_fname, strlen(di.dli_fname), &mylen);
  for (char** e = environ; e && *e; ++e) {
    if (strncmp(*e, "LD_PRELOAD=", 11) != 0) continue;
    // Entries are separated by spaces or colons (ld.so(8)); keep the others.
    char* v = *e + 11;
    char* out = v;
    const char* p = v;
    while (*p) {
      while (*p == ' ' || *p == ':') ++p;
      const char* start = p;
      while (*p && *p != ' ' && *p != ':') ++p;
      size_t n = size_t(p - start), blen;
      if (!n) continue;
      const char* b = base(start, n, &blen);
      if (blen == mylen && memcmp(b, me, mylen) == 0) continue;
      if (out != v) *out++ = ' ';
      memmove(out, start, n);
      out += n;
    }
    *out = 0;
  }
}

}  // namespace ringlet
