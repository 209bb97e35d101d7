#include "stack.h"

#include <cerrno>
#include <cstdlib>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <unistd.h>

#include "raw.h"

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

namespace rt {

struct Slab {
  char* base;
  size_t slot;      // bytes per slot: guard + usable size
  size_t guard;
  unsigned n;       // slots
  unsigned nfree;
  void* cls;        // StackPool::Class*, null for a one-off stack
  Slab* next;       // partial list of the class
  Slab* prev;
  bool on_partial;
  uint8_t free[StackPool::kSlots];  // free slot indices, a LIFO stack
};

namespace {

enum GuardMode { kUnknown, kMarkersBatched, kMarkers, kMprotect };
std::atomic<int> g_guard_mode{kUnknown};
int g_thp_always = -1;

size_t round_up(size_t v, size_t to) { return (v + to - 1) & ~(to - 1); }

bool thp_always() {
  if (g_thp_always >= 0) return g_thp_always;
  char buf[64] = {};
  long fd = raw::sys(SYS_openat, -100, "/sys/kernel/mm/transparent_hugepage/enabled", 0);
  bool always = false;
  if (!raw::is_err(fd)) {
    long n = raw::read(int(fd), buf, sizeof buf - 1);
    raw::close(int(fd));
    always = n > 8 && buf[0] == '[' && buf[1] == 'a';  // "[always] madvise never"
  }
  g_thp_always = always;
  return always;
}

// One guard per slot, at the slot's low end.
int install_guards(char* base, size_t slot, size_t guard, unsigned n) {
  int mode = g_guard_mode.load(std::memory_order_relaxed);
  if (mode == kUnknown || mode == kMarkersBatched) {
    iovec v[StackPool::kSlots];
    for (unsigned i = 0; i < n; ++i) v[i] = iovec{base + i * slot, guard};
    long pidfd = raw::sys(SYS_pidfd_open, raw::sys(SYS_getpid), 0);
    long r = -ENOSYS;
    if (!raw::is_err(pidfd)) {
      r = raw::sys(SYS_process_madvise, pidfd, v, n, MADV_GUARD_INSTALL, 0);
      raw::close(int(pidfd));
    }
    if (r == long(n * guard)) {
      g_guard_mode.store(kMarkersBatched, std::memory_order_relaxed);
      return 0;
    }
    mode = kMarkers;
  }
  if (mode == kMarkers) {
    unsigned i = 0;
    for (; i < n; ++i)
      if (raw::sys(SYS_madvise, base + i * slot, guard, MADV_GUARD_INSTALL) != 0) break;
    if (i == n) {
      g_guard_mode.store(kMarkers, std::memory_order_relaxed);
      return 0;
    }
  }
  g_guard_mode.store(kMprotect, std::memory_order_relaxed);
  for (unsigned i = 0; i < n; ++i) {
    long r = raw::sys(SYS_mprotect, base + i * slot, guard, PROT_NONE);
    if (r != 0) return int(r);
  }
  return 0;
}

}  // namespace

size_t StackPool::page_size() {
  static size_t ps = 0;
  if (!ps) ps = getauxval(AT_PAGESZ) ?: 4096;
  return ps;
}

size_t StackPool::default_size() {
  rlimit rl;
  if (raw::sys(SYS_getrlimit, RLIMIT_STACK, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return 2u << 20;
  size_t s = round_up(rl.rlim_cur, page_size());
  return s < (16u << 10) ? (16u << 10) : s;
}

bool StackPool::guard_markers() {
  int m = g_guard_mode.load();
  return m == kMarkers || m == kMarkersBatched;
}

StackPool::Class* StackPool::class_for(size_t size, size_t guard) {
  Class* empty = nullptr;
  for (auto& c : classes_) {
    if (c.size == size && c.guard == guard) return &c;
    if (!empty && c.size == 0) empty = &c;
  }
  if (empty) {
    empty->size = size;
    empty->guard = guard;
  }
  return empty;
}

// Maps a slab for class c (or a one-off single stack when c is null).
// Called without the lock.
Slab* StackPool::new_slab(Class* c) {
  size_t size = c->size, guard = c->guard;
  unsigned n = kSlots;
  auto* s = static_cast<Slab*>(calloc(1, sizeof(Slab)));
  if (!s) return nullptr;
  size_t slot = size + guard;
  long m = raw::sys(SYS_mmap, nullptr, slot * n, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (raw::is_err(m)) {
    free(s);
    return nullptr;
  }
  s->base = reinterpret_cast<char*>(m);
  if (install_guards(s->base, slot, guard, n) != 0) {
    raw::sys(SYS_munmap, s->base, slot * n);
    free(s);
    return nullptr;
  }
  if (thp_always()) raw::sys(SYS_madvise, s->base, slot * n, MADV_NOHUGEPAGE);
  s->slot = slot;
  s->guard = guard;
  s->n = n;
  s->nfree = n;
  s->cls = c;
  // Hand out from the top of the slab down (any order would do).
  for (unsigned i = 0; i < n; ++i) s->free[i] = uint8_t(i);
  return s;
}

void StackPool::unmap_slab(Slab* s) {
  raw::sys(SYS_munmap, s->base, s->slot * s->n);
  free(s);
}

namespace {

void partial_push(Slab*& head, Slab* s) {
  s->prev = nullptr;
  s->next = head;
  if (head) head->prev = s;
  head = s;
  s->on_partial = true;
}

void partial_remove(Slab*& head, Slab* s) {
  if (s->prev) s->prev->next = s->next;
  else head = s->next;
  if (s->next) s->next->prev = s->prev;
  s->next = s->prev = nullptr;
  s->on_partial = false;
}

}  // namespace

int StackPool::acquire(size_t size, size_t guard, Stack* out) {
  size_t ps = page_size();
  size = round_up(size ? size : default_size(), ps);
  guard = round_up(guard ? guard : ps, ps);
  lock_.lock();
  Class* c = class_for(size, guard);
  if (!c) {
    lock_.unlock();
    return -EAGAIN;  // more distinct stack sizes than classes: not expected
  }
  if (!c->partial) {
    lock_.unlock();
    Slab* fresh = new_slab(c);
    if (!fresh) return -EAGAIN;
    lock_.lock();
    partial_push(c->partial, fresh);
    c->free_slots += fresh->n;
    ++slabs_;
  }
  Slab* s = c->partial;
  unsigned idx = s->free[--s->nfree];
  --c->free_slots;
  if (s->nfree == 0) partial_remove(c->partial, s);
  ++in_use_;
  lock_.unlock();
  out->map = s->base + idx * s->slot;
  out->guard = s->guard;
  out->size = s->slot - s->guard;
  out->slab = s;
  return 0;
}

void StackPool::release(const Stack& st) {
  Slab* s = st.slab;
  if (!s) return;
  Slab* drop = nullptr;
  {
    SpinGuard g(lock_);
    auto* c = static_cast<Class*>(s->cls);
    s->free[s->nfree++] = uint8_t((st.map - s->base) / s->slot);
    ++c->free_slots;
    --in_use_;
    // The slab just used goes first: its pages are the warm ones.
    if (s->on_partial) partial_remove(c->partial, s);
    partial_push(c->partial, s);
    // A wholly free slab goes back to the kernel once another slab's worth
    // of free slots remains: bursts leave no memory behind, steady churn
    // maps nothing.
    if (s->nfree == s->n && c->free_slots >= 2 * kSlots) {
      partial_remove(c->partial, s);
      c->free_slots -= s->n;
      --slabs_;
      drop = s;
    }
  }
  if (drop) unmap_slab(drop);
}

void StackPool::trim() {
  for (;;) {
    Slab* drop = nullptr;
    {
      SpinGuard g(lock_);
      for (auto& c : classes_)
        for (Slab* s = c.partial; s && !drop; s = s->next)
          if (s->nfree == s->n) {
            partial_remove(c.partial, s);
            c.free_slots -= s->n;
            --slabs_;
            drop = s;
          }
    }
    if (!drop) return;
    unmap_slab(drop);
  }
}

// Constant-initialized with a trivial destructor: usable before any
// constructor runs and never torn down at exit while fibers may still run.
constinit StackPool g_stack_pool;

StackPool& stack_pool() { return g_stack_pool; }

}  // namespace rt
