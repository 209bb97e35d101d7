#include "stack.h"

#include <cerrno>
#include <new>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "raw.h"

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

namespace rt {

namespace {

std::atomic<int> g_guard_mode{0};  // 0 unknown, 1 markers, 2 mprotect
int g_thp_off_needed = -1;         // THP "always": stacks must opt out

size_t round_up(size_t v, size_t to) { return (v + to - 1) & ~(to - 1); }

bool thp_always() {
  if (g_thp_off_needed >= 0) return g_thp_off_needed;
  char buf[64] = {};
  long fd = raw::sys(SYS_openat, -100, "/sys/kernel/mm/transparent_hugepage/enabled", 0);
  bool always = false;
  if (!raw::is_err(fd)) {
    long n = raw::read((int)fd, buf, sizeof buf - 1);
    raw::close((int)fd);
    // The active choice is bracketed: "[always] madvise never".
    always = n > 8 && buf[0] == '[' && buf[1] == 'a';
  }
  g_thp_off_needed = always;
  return always;
}

int install_guard(char* map, size_t guard) {
  int mode = g_guard_mode.load(std::memory_order_relaxed);
  if (mode != 2) {
    long r = raw::sys(SYS_madvise, map, guard, MADV_GUARD_INSTALL);
    if (r == 0) {
      g_guard_mode.store(1, std::memory_order_relaxed);
      return 0;
    }
    if (r != -EINVAL) return (int)r;
    g_guard_mode.store(2, std::memory_order_relaxed);
  }
  return (int)raw::sys(SYS_mprotect, map, guard, PROT_NONE);
}

}  // namespace

size_t StackPool::page_size() {
  static size_t ps = 0;
  if (!ps) ps = getauxval(AT_PAGESZ) ?: 4096;
  return ps;
}

size_t StackPool::default_size() {
  rlimit rl;
  if (raw::sys(SYS_getrlimit, RLIMIT_STACK, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
    return 2u << 20;
  size_t s = round_up(rl.rlim_cur, page_size());
  return s < (16u << 10) ? (16u << 10) : s;
}

bool StackPool::guard_markers() { return g_guard_mode.load() == 1; }

int StackPool::acquire(size_t size, size_t guard, Stack* out) {
  size_t ps = page_size();
  size = round_up(size ? size : default_size(), ps);
  guard = round_up(guard ? guard : ps, ps);
  {
    SpinGuard g(lock_);
    for (auto& c : classes_) {
      if (c.size == size && c.guard == guard && c.head) {
        Free* f = c.head;
        c.head = f->next;
        --c.n;
        --count_;
        *out = f->s;
        return 0;
      }
    }
  }
  size_t len = size + guard;
  long m = raw::sys(SYS_mmap, nullptr, len, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (raw::is_err(m)) return -EAGAIN;
  char* map = reinterpret_cast<char*>(m);
  if (install_guard(map, guard) != 0) {
    raw::sys(SYS_munmap, map, len);
    return -EAGAIN;
  }
  if (thp_always()) raw::sys(SYS_madvise, map + guard, size, MADV_NOHUGEPAGE);
  out->map = map;
  out->guard = guard;
  out->size = size;
  return 0;
}

void StackPool::release(const Stack& s) {
  {
    SpinGuard g(lock_);
    Class* slot = nullptr;
    for (auto& c : classes_) {
      if (c.size == s.size && c.guard == s.guard) {
        slot = &c;
        break;
      }
      if (!slot && c.n == 0) slot = &c;
    }
    if (slot && slot->n < kMaxCached) {
      slot->size = s.size;
      slot->guard = s.guard;
      // The free-list node lives in the top page of the stack itself, a page
      // every fiber has touched already.
      auto* f = new (s.hi() - sizeof(Free)) Free{slot->head, s};
      slot->head = f;
      ++slot->n;
      ++count_;
      return;
    }
  }
  raw::sys(SYS_munmap, s.map, s.guard + s.size);
}

void StackPool::trim() {
  for (;;) {
    Stack s;
    {
      SpinGuard g(lock_);
      Class* c = nullptr;
      for (auto& k : classes_)
        if (k.head) c = &k;
      if (!c) return;
      Free* f = c->head;
      c->head = f->next;
      --c->n;
      --count_;
      s = f->s;
    }
    raw::sys(SYS_munmap, s.map, s.guard + s.size);
  }
}

// Constant-initialized with a trivial destructor: usable before any
// constructor runs and never torn down at exit while fibers may still run.
constinit StackPool g_stack_pool;

StackPool& stack_pool() { return g_stack_pool; }

}  // namespace rt
