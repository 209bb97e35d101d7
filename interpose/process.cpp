// vfork. A vfork child borrows its parent's memory, stack and thread state
// until it execs, so under ringlet it would see the parent's carrier as its
// own and could park the parent's fibers from the wrong process. POSIX lets
// vfork be fork; so it is here (the child then starts a carrier of its own,
// see init.cpp). posix_spawn, system and popen use glibc's internal clone
// and never reach ringlet's wrappers in the child.
#include <unistd.h>

#include "export.h"

RINGLET_EXPORT pid_t vfork(void) noexcept {
  if (!rt::carrier()) return REAL(vfork)();
  return fork();
}
