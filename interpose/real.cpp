#include "real.h"

#include <dlfcn.h>
#include <cstdlib>

#include "runtime/log.h"
#include "runtime/spin.h"

namespace ringlet::real {

#define RINGLET_DEFINE(name, ret, params, mandatory) ret(*name) params = nullptr;
RINGLET_REALS(RINGLET_DEFINE)
#undef RINGLET_DEFINE

bool ready = false;

namespace {

constinit rt::SpinLock g_lock;

void* load(const char* name, void* self, bool mandatory) {
  void* p = dlsym(RTLD_NEXT, name);
  if (p == self) p = nullptr;
  if (!p && mandatory) {
    rt::log::say("cannot find the C library's %s (libc not glibc, or ringlet preloaded twice); stopping",
                 name);
    abort();
  }
  return p;
}

}  // namespace

// ::name below is ringlet's own definition (declared by the libc headers):
// dlsym(RTLD_NEXT) must never hand it back.
void resolve() {
  rt::SpinGuard g(g_lock);
  if (ready) return;
#define RINGLET_LOAD(n, ret, params, mandatory) \
  n = reinterpret_cast<ret(*) params>(load(#n, reinterpret_cast<void*>(&::n), mandatory));
  RINGLET_REALS(RINGLET_LOAD)
#undef RINGLET_LOAD
  __atomic_store_n(&ready, true, __ATOMIC_RELEASE);
}

}  // namespace ringlet::real
