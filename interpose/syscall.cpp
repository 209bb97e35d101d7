// syscall(): libraries reach the kernel through it for what libc has no
// wrapper for, libstdc++'s futex waits above all (std::future,
// std::atomic::wait, function-local statics). Every number goes to the
// router, which knows the ones that need a fiber's care and passes the rest.
#include <cstdarg>
#include <unistd.h>

#include "export.h"

RINGLET_EXPORT long syscall(long nr, ...) noexcept {
  va_list ap;
  va_start(ap, nr);
  rt::sys::Args a;
  for (long& x : a.a) x = va_arg(ap, long);
  va_end(ap);
  return ringlet::edge(rt::sys::call(nr, a));
}
