// runtime/timer: the deadline heap.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <vector>

#include "runtime/timer.h"

namespace {
std::vector<int64_t>* g_fired;
void record(rt::Timer* t) { g_fired->push_back(t->deadline); }
}  // namespace

TEST_CASE("timers fire in deadline order, only when due", "[timer]") {
  std::vector<int64_t> fired;
  g_fired = &fired;
  std::mt19937 rng(42);
  std::vector<rt::Timer> t(1000);
  rt::TimerHeap h;
  for (auto& x : t) {
    x.fire = record;
    REQUIRE(h.arm(&x, int64_t(rng() % 100000)));
  }
  REQUIRE(h.size() == 1000);
  REQUIRE(h.fire_due(-1) == 0);
  int64_t min = h.next_deadline();
  REQUIRE(min == std::min_element(t.begin(), t.end(), [](auto& a, auto& b) { return a.deadline < b.deadline; })->deadline);
  unsigned n = h.fire_due(50000);
  REQUIRE(n == fired.size());
  REQUIRE(std::is_sorted(fired.begin(), fired.end()));
  REQUIRE(!fired.empty());
  REQUIRE(fired.back() <= 50000);
  REQUIRE(h.next_deadline() > 50000);
  h.fire_due(INT64_MAX - 1);
  REQUIRE(fired.size() == 1000);
  REQUIRE(std::is_sorted(fired.begin(), fired.end()));
  REQUIRE(h.empty());
  REQUIRE(h.next_deadline() == INT64_MAX);
  for (auto& x : t) REQUIRE(!x.armed());
}

TEST_CASE("disarming any timer keeps the heap in order", "[timer]") {
  std::vector<int64_t> fired;
  g_fired = &fired;
  std::mt19937 rng(7);
  std::vector<rt::Timer> t(500);
  rt::TimerHeap h;
  for (auto& x : t) {
    x.fire = record;
    h.arm(&x, int64_t(rng() % 10000));
  }
  for (size_t i = 0; i < t.size(); i += 3) h.disarm(&t[i]);
  h.disarm(&t[0]);  // twice: a no-op
  // Re-arming moves a timer.
  h.arm(&t[1], 5);
  REQUIRE(h.next_deadline() <= 5);
  h.fire_due(INT64_MAX - 1);
  REQUIRE(std::is_sorted(fired.begin(), fired.end()));
  REQUIRE(fired.size() == t.size() - (t.size() + 2) / 3);
}

TEST_CASE("now_ns is monotonic", "[timer]") {
  int64_t a = rt::now_ns();
  int64_t b = rt::now_ns();
  REQUIRE(b >= a);
  REQUIRE(a > 0);
}
