// Raw system calls for the runtime's own use (DESIGN rule 4, STYLE §5).
//
// The runtime never calls the libc functions that ringlet interposes: its own
// I/O, clock and futex calls go straight to the kernel through these inline
// wrappers, which return -errno like the kernel (STYLE §6) and never touch the
// program's errno. Callable from anywhere, including signal handlers.
#pragma once

#include <cstdint>
#include <sys/syscall.h>

namespace rt::raw {

inline long syscall6(long n, long a1 = 0, long a2 = 0, long a3 = 0,
                     long a4 = 0, long a5 = 0, long a6 = 0) {
  long ret;
  register long r10 __asm__("r10") = a4;
  register long r8 __asm__("r8") = a5;
  register long r9 __asm__("r9") = a6;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(n), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}

template <typename... A>
inline long sys(long n, A... a) {
  return syscall6(n, (long)a...);
}

inline bool is_err(long r) { return (unsigned long)r > -4096UL; }

inline long write(int fd, const void* b, unsigned long n) { return sys(SYS_write, fd, b, n); }
inline long read(int fd, void* b, unsigned long n) { return sys(SYS_read, fd, b, n); }
inline long close(int fd) { return sys(SYS_close, fd); }
inline long gettid() { return sys(SYS_gettid); }

// The kernel's struct sigaction (what rt_sigaction takes), not glibc's.
// All zero is SIG_DFL.
struct KSigaction {
  void* handler;
  unsigned long flags;
  void* restorer;
  uint64_t mask;
};
// The disposition of sig, or SIG_DFL's if it cannot be read.
inline KSigaction sigaction_of(int sig) {
  KSigaction sa{};
  sys(SYS_rt_sigaction, sig, nullptr, &sa, 8);
  return sa;
}

}  // namespace rt::raw
