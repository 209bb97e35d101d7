// Fiber stacks: slots carved from large anonymous mappings ("slabs"), each
// with a guard area at its low end, committed lazily (MAP_NORESERVE: only
// touched pages cost memory), pooled and reused.
//
// Why slabs. On this kind of machine the cost of a stack is its page-table
// work, not its bytes: a first touch of a fresh 2 MiB region allocates a
// page-table page, and mmap/munmap per stack pay a TLB shootdown each. In a
// slab, slots sit back to back, so the top page of one slot and the guard of
// the next share one page-table page; one mmap serves 64 stacks and one
// munmap returns them. A released slot keeps its touched pages and is handed
// out again first (LIFO), so a steady create/exit cycle costs no system call
// at all.
//
// Guards: where the kernel has MADV_GUARD_INSTALL (6.13+) the guard is a
// page-table marker inside the read-write mapping, so a slab stays one VMA
// (vm.max_map_count stays out of reach at 100,000 fibers); all guards of a
// slab are installed by one process_madvise where possible. Elsewhere the
// guard is mprotect(PROT_NONE), two VMAs per stack.
//
// Thread-safe (a spinlock); callable from fibers and plain threads, not from
// signal handlers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "spin.h"

namespace rt {

struct Slab;

struct Stack {
  char* map = nullptr;   // start of the slot (the guard area)
  size_t guard = 0;      // bytes of guard at `map`
  size_t size = 0;       // usable bytes above the guard
  Slab* slab = nullptr;  // owning slab; null for a stack given by the program
  char* lo() const { return map + guard; }
  char* hi() const { return map + guard + size; }
  bool in_guard(const void* p) const {
    auto a = static_cast<const char*>(p);
    return a >= map && a < map + guard;
  }
};

class StackPool {
 public:
  static constexpr unsigned kSlots = 64;     // stacks per slab
  static constexpr unsigned kClasses = 8;    // distinct (size, guard) pairs pooled

  // Rounds size and guard up to pages. Returns 0, or -EAGAIN when the
  // address space or memory is exhausted (pthread_create's answer).
  int acquire(size_t size, size_t guard, Stack* out);
  void release(const Stack& s);
  // Returns every wholly free slab to the kernel.
  void trim();

  // Stacks handed out and not released, and slabs mapped (tests, reports).
  unsigned in_use() const { return in_use_; }
  unsigned slabs() const { return slabs_; }
  static bool guard_markers();

  static size_t page_size();
  static size_t default_size();  // RLIMIT_STACK, as glibc; 2 MiB if unlimited

 private:
  struct Class {
    size_t size = 0, guard = 0;
    Slab* partial = nullptr;  // slabs with a free slot, most recent first
    unsigned free_slots = 0;
  };
  Class* class_for(size_t size, size_t guard);
  Slab* new_slab(Class* c);
  void unmap_slab(Slab* s);

  SpinLock lock_;
  Class classes_[kClasses];
  unsigned in_use_ = 0;
  unsigned slabs_ = 0;
};

StackPool& stack_pool();

}  // namespace rt
