// runtime/sched: fibers, park/unpark, yield, exit; and runtime/keys.
#include <catch2/catch.hpp>

#include <cerrno>
#include <string>
#include <vector>

#include "carrier.h"
#include "runtime/abi/unwind.h"
#include "runtime/keys.h"
#include "runtime/stack.h"

namespace {
std::vector<int>* g_log;
}

TEST_CASE("spawned fibers run when the spawner waits, and join returns their value", "[sched]") {
  CarrierScope cs;
  static int ran;
  ran = 0;
  rt::Fiber* f = spawn([](void* a) -> void* {
    ++ran;
    return static_cast<char*>(a) + 1;
  }, reinterpret_cast<void*>(41));
  REQUIRE(ran == 0);  // not before the spawner gives way
  REQUIRE(join(f) == reinterpret_cast<void*>(42));
  REQUIRE(ran == 1);
}

TEST_CASE("yield goes round the runnable fibers in order", "[sched]") {
  CarrierScope cs;
  std::vector<int> log;
  g_log = &log;
  std::vector<rt::Fiber*> fs;
  for (long i = 0; i < 3; ++i)
    fs.push_back(spawn([](void* a) -> void* {
      for (int k = 0; k < 3; ++k) {
        g_log->push_back(int(reinterpret_cast<long>(a)) * 10 + k);
        rt::Guard g(rt::carrier());
        rt::yield();
      }
      return nullptr;
    }, reinterpret_cast<void*>(i)));
  for (auto* f : fs) join(f);
  REQUIRE(log == std::vector<int>{0, 10, 20, 1, 11, 21, 2, 12, 22});
}

TEST_CASE("park waits for unpark; an early unpark is not lost", "[sched]") {
  CarrierScope cs;
  static rt::Fiber* parked;
  static int stage;
  stage = 0;
  rt::Fiber* f = spawn([](void*) -> void* {
    parked = rt::current();
    stage = 1;
    while (stage != 2) {
      rt::Guard g(rt::carrier());
      rt::park();
    }
    stage = 3;
    // Unparked before it parks: the park returns at once.
    rt::unpark(rt::current());
    {
      rt::Guard g(rt::carrier());
      rt::park();
    }
    stage = 4;
    return nullptr;
  });
  in_runtime([] { rt::yield(); });
  REQUIRE(stage == 1);
  in_runtime([] { rt::yield(); });
  REQUIRE(stage == 1);  // still parked
  stage = 2;
  rt::unpark(parked);
  join(f);
  REQUIRE(stage == 4);
}

TEST_CASE("park_until reports the deadline, or the unpark that came first", "[sched]") {
  CarrierScope cs;
  int64_t t0 = rt::now_ns();
  bool in_time = in_runtime([&] { return rt::park_until(t0 + 30 * 1000000); });
  REQUIRE(!in_time);
  REQUIRE(rt::now_ns() - t0 >= 30 * 1000000);
  static rt::Fiber* root;
  root = rt::current();
  rt::Fiber* f = spawn([](void*) -> void* {
    rt::unpark(root);
    return nullptr;
  });
  t0 = rt::now_ns();
  in_time = in_runtime([&] { return rt::park_until(t0 + 5000 * 1000000LL); });
  REQUIRE(in_time);
  REQUIRE(rt::now_ns() - t0 < 4000 * 1000000LL);
  REQUIRE(rt::carrier()->timers.empty());  // its timer was disarmed
  join(f);
}

TEST_CASE("errno belongs to each fiber", "[sched]") {
  CarrierScope cs;
  static int seen[2];
  auto body = [](void* a) -> void* {
    int mine = int(reinterpret_cast<long>(a));
    errno = mine;
    for (int k = 0; k < 5; ++k) {
      rt::Guard g(rt::carrier());
      rt::yield();
    }
    seen[mine - 100] = errno;
    return nullptr;
  };
  errno = 55;
  rt::Fiber* a = spawn(body, reinterpret_cast<void*>(100));
  rt::Fiber* b = spawn(body, reinterpret_cast<void*>(101));
  join(a);
  join(b);
  REQUIRE(seen[0] == 100);
  REQUIRE(seen[1] == 101);
  REQUIRE(errno == 55);
}

TEST_CASE("detached fibers give their stack back when they end", "[sched]") {
  CarrierScope cs;
  unsigned before = rt::stack_pool().in_use();
  static int done;
  done = 0;
  for (int i = 0; i < 100; ++i) {
    rt::Fiber* f = spawn([](void*) -> void* {
      ++done;
      return nullptr;
    });
    REQUIRE(rt::detach(f) == 0);
    REQUIRE(rt::detach(f) == -EINVAL);
  }
  REQUIRE(rt::stack_pool().in_use() == before + 100);
  while (done < 100) in_runtime([] { rt::yield(); });
  in_runtime([] { rt::yield(); });  // the last one is finalized after its switch
  REQUIRE(rt::stack_pool().in_use() == before);
}

TEST_CASE("joining itself or a detached fiber is refused", "[sched]") {
  CarrierScope cs;
  REQUIRE(rt::join(rt::current(), nullptr) == -EDEADLK);
  rt::Fiber* f = spawn([](void*) -> void* { return nullptr; });
  REQUIRE(rt::detach(f) == 0);
  REQUIRE(rt::join(f, nullptr) == -EINVAL);
  in_runtime([] { rt::yield(); });
}

namespace {
struct Noisy {
  std::string* out;
  ~Noisy() { *out += "destroyed"; }
};
}  // namespace

TEST_CASE("exit_unwinding runs the fiber's destructors", "[sched]") {
  CarrierScope cs;
  static std::string out;
  out.clear();
  rt::Fiber* f = spawn([](void*) -> void* {
    Noisy n{&out};
    out += "before;";
    rt::exit_unwinding(reinterpret_cast<void*>(9));
  });
  REQUIRE(join(f) == reinterpret_cast<void*>(9));
  REQUIRE(out == "before;destroyed");
}

TEST_CASE("pthread keys: values per fiber, destructors at exit", "[sched][keys]") {
  CarrierScope cs;
  static int dtor_calls;
  static long dtor_sum;
  dtor_calls = 0;
  dtor_sum = 0;
  const unsigned key = 900;
  rt::keys::created(key, [](void* v) {
    ++dtor_calls;
    dtor_sum += reinterpret_cast<long>(v);
  });
  std::vector<rt::Fiber*> fs;
  for (long i = 1; i <= 4; ++i)
    fs.push_back(spawn([](void* a) -> void* {
      REQUIRE(rt::keys::get(rt::current(), key) == nullptr);
      REQUIRE(rt::keys::set(rt::current(), key, a) == 0);
      rt::Guard g(rt::carrier());
      rt::yield();
      REQUIRE(rt::keys::get(rt::current(), key) == a);
      return nullptr;
    }, reinterpret_cast<void*>(i)));
  for (auto* f : fs) join(f);
  REQUIRE(dtor_calls == 4);
  REQUIRE(dtor_sum == 1 + 2 + 3 + 4);
  // A deleted and recreated key does not show old values.
  REQUIRE(rt::keys::set(rt::current(), key, reinterpret_cast<void*>(5)) == 0);
  rt::keys::deleted(key);
  REQUIRE(rt::keys::set(rt::current(), key, reinterpret_cast<void*>(6)) == -EINVAL);
  rt::keys::created(key, nullptr);
  REQUIRE(rt::keys::get(rt::current(), key) == nullptr);
  rt::keys::deleted(key);
}

TEST_CASE("ten thousand fibers", "[sched]") {
  CarrierScope cs;
  static int count;
  count = 0;
  std::vector<rt::Fiber*> fs;
  for (int i = 0; i < 10000; ++i)
    fs.push_back(spawn([](void*) -> void* {
      ++count;
      rt::Guard g(rt::carrier());
      rt::park_until(rt::now_ns() + 1000000);
      return nullptr;
    }));
  REQUIRE(rt::live_fibers() >= 10001);
  for (auto* f : fs) join(f);
  REQUIRE(count == 10000);
}
