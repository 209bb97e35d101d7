// Deadlines: a binary min-heap of intrusive Timer nodes, one heap per carrier.
//
// Owner-only: a carrier's heap is touched only by code running on that
// carrier (a fiber arms and disarms its own timer there; the carrier fires
// due timers in its scheduler pass). Times are CLOCK_MONOTONIC nanoseconds.
#pragma once

#include <climits>
#include <cstdint>
#include <ctime>

namespace rt {

constexpr int64_t kNsPerSec = 1000000000;

// sec * 1e9 + nsec, saturated: a time far away ("never", often written as
// tv_sec = LONG_MAX) stays far away instead of wrapping into the past.
inline int64_t to_ns(int64_t sec, int64_t nsec) {
  if (sec >= INT64_MAX / kNsPerSec) return INT64_MAX;
  if (sec <= INT64_MIN / kNsPerSec) return INT64_MIN;
  return sec * kNsPerSec + nsec;
}

// a + b, saturated.
inline int64_t add_ns(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) return b > 0 ? INT64_MAX : INT64_MIN;
  return r;
}

inline int64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * kNsPerSec + ts.tv_nsec;
}

struct Timer {
  int64_t deadline = 0;
  int32_t index = -1;  // slot in the heap; -1 while not armed
  void (*fire)(Timer*) = nullptr;
  bool armed() const { return index >= 0; }
};

class TimerHeap {
 public:
  ~TimerHeap();
  // Returns false only if memory for the heap cannot be grown.
  bool arm(Timer* t, int64_t deadline);
  void disarm(Timer* t);  // no-op when not armed
  bool empty() const { return n_ == 0; }
  size_t size() const { return n_; }
  int64_t next_deadline() const { return n_ ? v_[0]->deadline : INT64_MAX; }
  // Pops every timer due at `now` and calls its fire(); returns how many.
  // fire() may arm or disarm timers.
  unsigned fire_due(int64_t now);

 private:
  void up(size_t i);
  void down(size_t i);
  void place(size_t i, Timer* t) {
    v_[i] = t;
    t->index = int32_t(i);
  }
  Timer** v_ = nullptr;
  size_t n_ = 0, cap_ = 0;
};

}  // namespace rt
