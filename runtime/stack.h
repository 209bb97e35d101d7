// Fiber stacks: anonymous mappings with a guard area below, committed lazily
// (MAP_NORESERVE; only touched pages cost memory), pooled and reused.
//
// Guard pages: where the kernel has MADV_GUARD_INSTALL (6.13+), the guard is a
// page-table marker inside one read-write mapping, so a stack costs one VMA
// and adjacent stacks merge (vm.max_map_count stays out of reach at 100,000
// fibers). Elsewhere the guard is mprotect(PROT_NONE): two VMAs per stack.
//
// Thread-safe (a spinlock); callable from fibers and plain threads, not from
// signal handlers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "spin.h"

namespace rt {

struct Stack {
  char* map = nullptr;   // start of the mapping (the guard area)
  size_t guard = 0;      // bytes of guard at `map`
  size_t size = 0;       // usable bytes above the guard
  char* lo() const { return map + guard; }
  char* hi() const { return map + guard + size; }
  bool in_guard(const void* p) const {
    auto a = static_cast<const char*>(p);
    return a >= map && a < map + guard;
  }
};

class StackPool {
 public:
  // How many stacks of one size the pool keeps for reuse.
  static constexpr unsigned kMaxCached = 256;

  // Rounds size and guard up to pages. Returns 0, or -EAGAIN when the
  // address space or memory is exhausted (pthread_create's answer).
  int acquire(size_t size, size_t guard, Stack* out);
  void release(const Stack& s);
  // Unmaps every cached stack (tests; after fork the cache stays valid).
  void trim();

  unsigned cached() const { return count_; }
  // How the last guard was installed: true for MADV_GUARD_INSTALL.
  static bool guard_markers();

  static size_t page_size();
  static size_t default_size();  // RLIMIT_STACK, as glibc; 2 MiB if unlimited

 private:
  struct Free {
    Free* next;
    Stack s;
  };
  static constexpr int kClasses = 8;
  struct Class {
    size_t size = 0, guard = 0;
    Free* head = nullptr;
    unsigned n = 0;
  };
  SpinLock lock_;
  Class classes_[kClasses];
  unsigned count_ = 0;
};

StackPool& stack_pool();

}  // namespace rt
