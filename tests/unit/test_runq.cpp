// runtime/runq: the carrier's run queue and its inbox.
#include <catch2/catch.hpp>

#include <thread>
#include <vector>

#include "runtime/runq.h"

TEST_CASE("the run queue is first in, first out", "[runq]") {
  std::vector<rt::Fiber> f(5);
  rt::RunQueue q;
  REQUIRE(q.empty());
  for (auto& x : f) q.push(&x);
  REQUIRE(q.size() == 5);
  for (auto& x : f) REQUIRE(q.pop() == &x);
  REQUIRE(q.pop() == nullptr);
  REQUIRE(q.empty());
  q.push(&f[0]);
  q.push(&f[1]);
  REQUIRE(q.pop() == &f[0]);
  q.push(&f[2]);
  REQUIRE(q.pop() == &f[1]);
  REQUIRE(q.pop() == &f[2]);
  REQUIRE(q.size() == 0);
}

TEST_CASE("the inbox takes pushes from many threads and drains in order per thread", "[runq]") {
  constexpr int kThreads = 4, kEach = 20000;
  std::vector<rt::Fiber> f(kThreads * kEach);
  rt::Inbox in;
  rt::RunQueue q;
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) in.push(&f[size_t(t * kEach + i)]);
    });
  // Drain while they push.
  size_t got = 0;
  std::vector<int> last(kThreads, -1);
  auto drain = [&] {
    in.drain_into(q);
    while (rt::Fiber* x = q.pop()) {
      size_t idx = size_t(x - f.data());
      int t = int(idx / kEach), i = int(idx % kEach);
      REQUIRE(i > last[size_t(t)]);  // each producer's order is kept
      last[size_t(t)] = i;
      ++got;
    }
  };
  while (got < f.size()) {
    drain();
    if (got < f.size()) std::this_thread::yield();
  }
  for (auto& t : ts) t.join();
  drain();
  REQUIRE(got == f.size());
  REQUIRE(in.empty());
}
