// The syscall router: one policy table says, for every system call ringlet
// handles, what it does with it. Both entry layers feed it: interpose/ (the
// exported libc names) today, the Syscall User Dispatch trap later. Handlers
// speak the kernel's ABI (syscall numbers, raw arguments, -errno results),
// never libc's.
//
// Policies
//   pass     straight to the kernel (also: any call whose family is off)
//   ring     may block: in fiber context the fiber parks while io_uring or
//            the timer heap waits; elsewhere straight to the kernel
//   track    never blocks; done by the kernel, then recorded in the fd table
//            (from any thread: the table must see every change)
//   emulate  done by the runtime itself (sched_yield)
#pragma once

#include <cstdint>

namespace rt::sys {

struct Args {
  long a[6];
};

enum class Policy : uint8_t { Pass, Ring, Track, Emulate };

using Handler = long (*)(const Args&);

struct Entry {
  const char* name = nullptr;
  uint32_t family = 0;  // config::Family bit; 0 = always on
  Policy policy = Policy::Pass;
  Handler fn = nullptr;
  const char* what = nullptr;  // one line for --explain
};

constexpr int kMaxNr = 512;

// The entry for nr, or null if ringlet does not know the call.
const Entry* entry(long nr);

// Switches the families that are off to pass. Call once at start.
void configure(uint32_t families);

// Runs a system call under ringlet's policy. May be called from any thread:
// ring-policy calls park only in fiber context. Returns -errno on failure.
long call(long nr, const Args& a);

template <typename... T>
inline long call(long nr, T... v) {
  Args a{{(long)v...}};
  return call(nr, a);
}

// The system call itself, as the kernel takes it.
long pass(long nr, const Args& a);

// Writes the table, one line per call, through out().
void explain(void (*out)(const char* line));

// Handler registration, used by the sys_*.cpp files (static tables, no
// constructors: see sys.cpp).
struct Def {
  long nr;
  Entry e;
};

}  // namespace rt::sys
