// A test-and-test-and-set spinlock for short critical sections that may be
// entered from fibers, carriers and threads ringlet does not manage. Never
// held across a context switch or a system call.
#pragma once

#include <atomic>

namespace rt {

class SpinLock {
 public:
  void lock() {
    for (;;) {
      if (!v_.exchange(true, std::memory_order_acquire)) return;
      while (v_.load(std::memory_order_relaxed)) __builtin_ia32_pause();
    }
  }
  bool try_lock() { return !v_.exchange(true, std::memory_order_acquire); }
  void unlock() { v_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> v_{false};
};

class SpinGuard {
 public:
  explicit SpinGuard(SpinLock& l) : l_(l) { l_.lock(); }
  ~SpinGuard() { l_.unlock(); }
  SpinGuard(const SpinGuard&) = delete;
  SpinGuard& operator=(const SpinGuard&) = delete;

 private:
  SpinLock& l_;
};

}  // namespace rt
