// runtime/abi/tls with WRFSBASE (run only where the kernel enables
// FSGSBASE): the mode is chosen, fibers keep their own thread-local
// variables, and a fiber's FS base survives the kernel's context switches
// (sleeps in the kernel between checks).
#include <catch2/catch.hpp>

#include <ctime>
#include <vector>

#include "carrier.h"
#include "runtime/abi/tls.h"

namespace {

thread_local long tl_count;

void* count_and_sleep(void* arg) {
  auto* out = static_cast<long*>(arg);
  void* mine = rt::tls::get_tp();
  for (int i = 0; i < 50; ++i) {
    ++tl_count;
    timespec ts{0, 200000};
    nanosleep(&ts, nullptr);  // the carrier itself sleeps: a kernel context switch
    if (rt::tls::get_tp() != mine) FAIL("the FS base changed under a fiber");
    rt::Guard g(rt::carrier());
    rt::yield();
  }
  *out = tl_count;
  return nullptr;
}

}  // namespace

TEST_CASE("WRFSBASE mode: own variables, and the base survives context switches", "[tls]") {
  const char* why;
  REQUIRE(rt::tls::init(rt::tls::Mode::Fsgsbase, &why) == rt::tls::Mode::Fsgsbase);
  CarrierScope cs;
  tl_count = -1;
  std::vector<long> out(8);
  std::vector<rt::Fiber*> fs;
  for (auto& o : out) fs.push_back(spawn(count_and_sleep, &o));
  for (auto* f : fs) join(f);
  for (long o : out) CHECK(o == 50);
  CHECK(tl_count == -1);
}
