// Test fixture: makes the test's thread a carrier for the scope of a test,
// so fibers can be spawned and joined without the preload.
#pragma once

#include <catch2/catch.hpp>

#include "runtime/config.h"
#include "runtime/sched.h"

struct CarrierScope {
  CarrierScope() {
    rt::StartResult r = rt::start_carrier();
    if (r.err) FAIL("start_carrier: " << r.why);
  }
  ~CarrierScope() { rt::stop_carrier(); }
};

// Spawns fn(arg) as a fiber; returns the fiber (joinable).
inline rt::Fiber* spawn(void* (*fn)(void*), void* arg = nullptr) {
  rt::Fiber* f = nullptr;
  rt::Guard g(rt::carrier());
  REQUIRE(rt::spawn(fn, arg, rt::SpawnAttr{}, &f) == 0);
  return f;
}

inline void* join(rt::Fiber* f) {
  void* ret = nullptr;
  REQUIRE(rt::join(f, &ret) == 0);
  return ret;
}

// Runs the runtime's park-based calls from the test's root fiber.
template <typename F>
auto in_runtime(F f) {
  rt::Guard g(rt::carrier());
  return f();
}
