// runtime/sync: the parking-lot futex and the primitives built on it, shared
// by fibers and threads ringlet does not manage.
#include <catch2/catch.hpp>

#include <atomic>
#include <cerrno>
#include <climits>
#include <thread>
#include <vector>

#include "carrier.h"
#include "runtime/sync/barrier.h"
#include "runtime/sync/cond.h"
#include "runtime/sync/futex.h"
#include "runtime/sync/mutex.h"
#include "runtime/sync/once.h"
#include "runtime/sync/rwlock.h"
#include "runtime/sync/sem.h"

using namespace rt::sync;

namespace {
// Catch2's assertions are not for other threads: they count failures here.
std::atomic<int> g_thread_failures{0};
#define CHECK_T(c) \
  do { if (!(c)) g_thread_failures++; } while (0)

std::atomic<uint32_t> g_word;
std::vector<int>* g_order;

void yield_now() { in_runtime([] { rt::yield(); }); }
}  // namespace

TEST_CASE("futex waiters are woken first in, first out", "[sync][futex]") {
  CarrierScope cs;
  std::vector<int> order;
  g_order = &order;
  g_word = 0;
  std::vector<rt::Fiber*> fs;
  for (long i = 0; i < 5; ++i)
    fs.push_back(spawn([](void* a) -> void* {
      while (g_word.load() == 0) rt::futex::wait(&g_word, 0, rt::kNoDeadline);
      g_order->push_back(int(reinterpret_cast<long>(a)));
      return nullptr;
    }, reinterpret_cast<void*>(i)));
  yield_now();
  REQUIRE(rt::futex::fiber_waiters(&g_word) == 5);
  g_word = 1;
  for (int i = 0; i < 5; ++i) {
    REQUIRE(rt::futex::wake(&g_word, 1) == 1);
    yield_now();
  }
  for (auto* f : fs) join(f);
  REQUIRE(order == std::vector<int>{0, 1, 2, 3, 4});
  REQUIRE(rt::futex::wake(&g_word, 1) == 0);
}

TEST_CASE("futex wait: changed value, timeout", "[sync][futex]") {
  CarrierScope cs;
  std::atomic<uint32_t> w{3};
  REQUIRE(rt::futex::wait(&w, 2, rt::kNoDeadline) == -EAGAIN);
  int64_t t0 = rt::now_ns();
  REQUIRE(rt::futex::wait(&w, 3, t0 + 20 * 1000000) == -ETIMEDOUT);
  REQUIRE(rt::now_ns() - t0 >= 20 * 1000000);
  REQUIRE(rt::futex::fiber_waiters(&w) == 0);
}

TEST_CASE("a plain thread wakes a fiber, a fiber wakes a plain thread", "[sync][futex]") {
  CarrierScope cs;
  std::atomic<uint32_t> a{0}, b{0};
  std::atomic<uint32_t>* pair[2] = {&a, &b};
  std::thread t([&] {
    // Not a carrier: waits in the kernel.
    while (b.load() == 0) rt::futex::wait(&b, 0, rt::kNoDeadline);
    a.store(1);
    rt::futex::wake(&a, 1);
  });
  rt::Fiber* f = spawn([](void* p) -> void* {
    auto* pair = static_cast<std::atomic<uint32_t>**>(p);
    pair[1]->store(1);
    rt::futex::wake(pair[1], 1);
    while (pair[0]->load() == 0) rt::futex::wait(pair[0], 0, rt::kNoDeadline);
    return nullptr;
  }, pair);
  join(f);  // parks the root; the thread's wake comes through the inbox
  t.join();
  REQUIRE(a == 1);
  REQUIRE(b == 1);
}

TEST_CASE("a mutex shared by fibers and threads, with waits inside", "[sync][mutex]") {
  CarrierScope cs;
  static Mutex m{};
  static long counter;
  counter = 0;
  g_thread_failures = 0;
  auto work = [](void*) -> void* {
    for (int i = 0; i < 2000; ++i) {
      CHECK_T(lock(&m, rt::kNoDeadline) == 0);
      long v = counter;
      if (i % 100 == 0 && rt::fiber_context()) in_runtime([] { rt::yield(); });
      counter = v + 1;
      CHECK_T(unlock(&m) == 0);
    }
    return nullptr;
  };
  std::vector<rt::Fiber*> fs;
  for (int i = 0; i < 8; ++i) fs.push_back(spawn(work));
  std::thread t1([&] { work(nullptr); }), t2([&] { work(nullptr); });
  for (auto* f : fs) join(f);
  t1.join();
  t2.join();
  REQUIRE(counter == 10 * 2000);
  REQUIRE(m.word == 0);
  REQUIRE(g_thread_failures == 0);
}

TEST_CASE("mutex kinds: error-checking and recursive", "[sync][mutex]") {
  CarrierScope cs;
  Mutex e{};
  e.kind = kErrorCheck;
  REQUIRE(unlock(&e) == EPERM);
  REQUIRE(lock(&e, rt::kNoDeadline) == 0);
  REQUIRE(lock(&e, rt::kNoDeadline) == EDEADLK);
  REQUIRE(trylock(&e) == EBUSY);
  REQUIRE(unlock(&e) == 0);
  Mutex r{};
  r.kind = kRecursive;
  for (int i = 0; i < 3; ++i) REQUIRE(lock(&r, rt::kNoDeadline) == 0);
  REQUIRE(trylock(&r) == 0);
  for (int i = 0; i < 4; ++i) REQUIRE(unlock(&r) == 0);
  REQUIRE(unlock(&r) == EPERM);
  // A timed lock on a mutex another fiber holds times out.
  static Mutex held{};
  rt::Fiber* f = spawn([](void*) -> void* {
    lock(&held, rt::kNoDeadline);
    rt::Guard g(rt::carrier());
    rt::park_until(rt::now_ns() + 100 * 1000000);
    unlock(&held);
    return nullptr;
  });
  yield_now();
  int64_t t0 = rt::now_ns();
  REQUIRE(lock(&held, t0 + 20 * 1000000) == ETIMEDOUT);
  REQUIRE(rt::now_ns() - t0 >= 20 * 1000000);
  REQUIRE(lock(&held, rt::kNoDeadline) == 0);
  REQUIRE(unlock(&held) == 0);
  join(f);
}

TEST_CASE("condition variable: producer and consumers across fibers and a thread", "[sync][cond]") {
  CarrierScope cs;
  static Mutex m{};
  static Cond c{};
  static long queue, consumed, produced;
  static bool done;
  queue = consumed = produced = 0;
  done = false;
  cond_init(&c, CLOCK_MONOTONIC);
  auto consumer = [](void*) -> void* {
    lock(&m, rt::kNoDeadline);
    for (;;) {
      while (queue == 0 && !done) cond_wait(&c, &m, rt::now_ns() + 2 * 1000000);
      if (queue == 0 && done) break;
      --queue;
      ++consumed;
    }
    unlock(&m);
    return nullptr;
  };
  std::vector<rt::Fiber*> fs;
  for (int i = 0; i < 4; ++i) fs.push_back(spawn(consumer));
  std::thread producer([] {
    for (int i = 0; i < 5000; ++i) {
      lock(&m, rt::kNoDeadline);
      ++queue;
      ++produced;
      cond_signal(&c);
      unlock(&m);
    }
    lock(&m, rt::kNoDeadline);
    done = true;
    cond_broadcast(&c);
    unlock(&m);
  });
  for (auto* f : fs) join(f);
  producer.join();
  REQUIRE(consumed == produced);
  REQUIRE(produced == 5000);
}

TEST_CASE("cond_wait times out and holds the mutex again", "[sync][cond]") {
  CarrierScope cs;
  Mutex m{};
  m.kind = kErrorCheck;
  Cond c{};
  cond_init(&c, CLOCK_REALTIME);
  REQUIRE(lock(&m, rt::kNoDeadline) == 0);
  int64_t t0 = rt::now_ns();
  REQUIRE(cond_wait(&c, &m, t0 + 15 * 1000000) == ETIMEDOUT);
  REQUIRE(rt::now_ns() - t0 >= 15 * 1000000);
  REQUIRE(lock(&m, rt::kNoDeadline) == EDEADLK);  // ours again
  REQUIRE(unlock(&m) == 0);
  REQUIRE(cond_wait(&c, &m, rt::kNoDeadline) == EPERM);  // not held
}

TEST_CASE("semaphores: counting, trywait, timeout, posts from a thread", "[sync][sem]") {
  CarrierScope cs;
  static Sem s;
  sem_setup(&s, 0);
  REQUIRE(sem_trywait(&s) == EAGAIN);
  int64_t t0 = rt::now_ns();
  REQUIRE(sem_wait(&s, t0 + 10 * 1000000) == ETIMEDOUT);
  REQUIRE(rt::now_ns() - t0 >= 10 * 1000000);
  static int got;
  got = 0;
  std::vector<rt::Fiber*> fs;
  for (int i = 0; i < 6; ++i)
    fs.push_back(spawn([](void*) -> void* {
      for (int k = 0; k < 100; ++k) {
        REQUIRE(sem_wait(&s, rt::kNoDeadline) == 0);
        ++got;
      }
      return nullptr;
    }));
  g_thread_failures = 0;
  std::thread poster([] {
    for (int i = 0; i < 600; ++i) CHECK_T(sem_post(&s) == 0);
  });
  for (auto* f : fs) join(f);
  poster.join();
  REQUIRE(got == 600);
  REQUIRE(g_thread_failures == 0);
  REQUIRE(sem_value(&s) == 0);
  sem_setup(&s, kSemValueMax);
  REQUIRE(sem_post(&s) == EOVERFLOW);
}

TEST_CASE("once: one runner, everyone else waits for it to finish", "[sync][once]") {
  CarrierScope cs;
  static std::atomic<uint32_t> ctl{0};
  static int runs, finished_seen;
  runs = finished_seen = 0;
  static bool finished;
  finished = false;
  std::vector<rt::Fiber*> fs;
  for (int i = 0; i < 6; ++i)
    fs.push_back(spawn([](void*) -> void* {
      if (once_enter(&ctl)) {
        ++runs;
        rt::Guard g(rt::carrier());
        rt::park_until(rt::now_ns() + 20 * 1000000);  // others arrive meanwhile
        finished = true;
        once_done(&ctl);
      }
      if (finished) ++finished_seen;
      return nullptr;
    }));
  for (auto* f : fs) join(f);
  REQUIRE(runs == 1);
  REQUIRE(finished_seen == 6);
  REQUIRE(!once_enter(&ctl));
  // An aborted run lets the next caller run it.
  std::atomic<uint32_t> c2{0};
  REQUIRE(once_enter(&c2));
  once_abort(&c2);
  REQUIRE(once_enter(&c2));
  once_done(&c2);
}

TEST_CASE("barrier: rounds, one serial thread per round", "[sync][barrier]") {
  CarrierScope cs;
  static Barrier b;
  barrier_init(&b, 5);
  static std::atomic<int> serial{0}, passed{0};
  serial = passed = 0;
  std::vector<rt::Fiber*> fs;
  for (int i = 0; i < 4; ++i)
    fs.push_back(spawn([](void*) -> void* {
      for (int r = 0; r < 10; ++r) {
        if (barrier_wait(&b)) ++serial;
        ++passed;
      }
      return nullptr;
    }));
  std::thread t([] {
    for (int r = 0; r < 10; ++r) {
      if (barrier_wait(&b)) ++serial;
      ++passed;
    }
  });
  for (auto* f : fs) join(f);
  t.join();
  REQUIRE(serial == 10);
  REQUIRE(passed == 50);
}

TEST_CASE("rwlock: readers share, writers exclude, across fibers and a thread", "[sync][rwlock]") {
  CarrierScope cs;
  static RwLock l{};
  static long x, y;
  static std::atomic<int> torn{0};
  x = y = 0;
  torn = 0;
  g_thread_failures = 0;
  auto writer = [](void*) -> void* {
    for (int i = 0; i < 500; ++i) {
      CHECK_T(rw_wrlock(&l, rt::kNoDeadline) == 0);
      ++x;
      if (i % 50 == 0 && rt::fiber_context()) in_runtime([] { rt::yield(); });
      ++y;
      CHECK_T(rw_unlock(&l) == 0);
    }
    return nullptr;
  };
  auto reader = [](void*) -> void* {
    for (int i = 0; i < 500; ++i) {
      CHECK_T(rw_rdlock(&l, kPreferReader, rt::kNoDeadline) == 0);
      if (x != y) ++torn;
      if (i % 50 == 0 && rt::fiber_context()) in_runtime([] { rt::yield(); });
      CHECK_T(rw_unlock(&l) == 0);
    }
    return nullptr;
  };
  std::vector<rt::Fiber*> fs;
  for (int i = 0; i < 3; ++i) fs.push_back(spawn(writer));
  for (int i = 0; i < 5; ++i) fs.push_back(spawn(reader));
  std::thread t([&] { writer(nullptr); });
  for (auto* f : fs) join(f);
  t.join();
  REQUIRE(x == 4 * 500);
  REQUIRE(y == x);
  REQUIRE(torn == 0);
  REQUIRE(g_thread_failures == 0);
  // The writer may not take it again or read it; a timed writer times out
  // while a reader holds it.
  REQUIRE(rw_wrlock(&l, rt::kNoDeadline) == 0);
  REQUIRE(rw_wrlock(&l, rt::kNoDeadline) == EDEADLK);
  REQUIRE(rw_rdlock(&l, kPreferReader, rt::kNoDeadline) == EDEADLK);
  REQUIRE(rw_unlock(&l) == 0);
  REQUIRE(rw_rdlock(&l, kPreferReader, rt::kNoDeadline) == 0);
  int64_t t0 = rt::now_ns();
  REQUIRE(rw_wrlock(&l, t0 + 10 * 1000000) == ETIMEDOUT);
  REQUIRE(rt::now_ns() - t0 >= 10 * 1000000);
  REQUIRE(rw_trywrlock(&l) == EBUSY);
  REQUIRE(rw_tryrdlock(&l, kPreferReader) == 0);
  REQUIRE(rw_unlock(&l) == 0);
  REQUIRE(rw_unlock(&l) == 0);
  REQUIRE(rw_unlock(&l) == EPERM);
}
