// What every wrapper in interpose/ shares (STYLE §1: wrappers are thin).
//
// A wrapper decides "fiber path or real function" and calls into runtime/;
// errno is set here, once, at the C boundary (DESIGN rule 5).
#pragma once

#include <cerrno>

#include "real.h"
#include "runtime/sched.h"
#include "runtime/sys.h"

#define RINGLET_EXPORT extern "C" __attribute__((visibility("default")))

// glibc's fortify failure path (not in the public headers).
extern "C" [[noreturn]] void __chk_fail(void);

namespace ringlet {

// -errno from the runtime to the libc convention: -1 and errno.
inline long edge(long r) {
  if (static_cast<unsigned long>(r) > -4096UL) {
    errno = static_cast<int>(-r);
    return -1;
  }
  return r;
}

// True when the caller is a fiber outside the runtime: its blocking calls
// go to the router. Anything else (threads ringlet does not manage, the
// runtime itself, calls before start-up) gets the real libc function.
inline bool fiber_path() { return rt::fiber_context(); }

}  // namespace ringlet
