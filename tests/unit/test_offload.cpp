// runtime/offload: a call that blocks in the kernel runs on a helper thread
// while its fiber parks and the carrier goes on.
#include <catch2/catch.hpp>

#include <atomic>
#include <csignal>
#include <ctime>
#include <sys/syscall.h>
#include <unistd.h>

#include "carrier.h"
#include "runtime/offload.h"

namespace {

std::atomic<int> g_released{0};
std::atomic<int> g_ran{0};

// Blocks its (helper) thread in the kernel until a fiber releases it.
void blocking_job(void*) {
  while (!g_released.load()) {
    timespec ts{0, 1000000};
    nanosleep(&ts, nullptr);
  }
  g_ran.fetch_add(1);
}

void* offloader(void*) {
  REQUIRE(rt::offload::run(blocking_job, nullptr) == 0);
  return nullptr;
}

void* releaser(void*) {
  // Runs only if the offloading fibers left the carrier free.
  for (int i = 0; i < 10; ++i) {
    rt::Guard g(rt::carrier());
    rt::yield();
  }
  g_released.store(1);
  return nullptr;
}

}  // namespace

TEST_CASE("offloaded calls block helpers, not the carrier", "[offload]") {
  rt::offload::set_thread_creator(pthread_create);
  CarrierScope cs;
  g_released = 0;
  g_ran = 0;
  rt::Fiber* f[4];
  for (auto*& x : f) x = spawn(offloader);
  rt::Fiber* r = spawn(releaser);
  for (auto* x : f) join(x);
  join(r);
  CHECK(g_ran.load() == 4);
  CHECK(rt::offload::helpers() >= 1);
  CHECK(rt::offload::helpers() <= 4);
}

namespace {
uint64_t g_helper_mask;
void read_mask(void*) {
  g_helper_mask = 0;
  syscall(SYS_rt_sigprocmask, SIG_BLOCK, nullptr, &g_helper_mask, 8);
}
void* mask_reader(void*) {
  REQUIRE(rt::offload::run(read_mask, nullptr) == 0);
  return nullptr;
}
}  // namespace

TEST_CASE("helpers block the program's signals (not glibc's own two)", "[offload]") {
  rt::offload::set_thread_creator(pthread_create);
  CarrierScope cs;
  join(spawn(mask_reader));
  CHECK((g_helper_mask & (uint64_t(1) << (SIGUSR1 - 1))) != 0);
  CHECK((g_helper_mask & (uint64_t(1) << (SIGTERM - 1))) != 0);
  CHECK((g_helper_mask & (uint64_t(1) << 31)) == 0);  // SIGCANCEL (32)
  CHECK((g_helper_mask & (uint64_t(1) << 32)) == 0);  // SIGSETXID (33)
}

TEST_CASE("helpers stay for the next calls", "[offload]") {
  rt::offload::set_thread_creator(pthread_create);
  CarrierScope cs;
  unsigned before = rt::offload::helpers();
  g_released = 1;
  for (int i = 0; i < 20; ++i) join(spawn(offloader));
  CHECK(rt::offload::helpers() <= before + 1);
}
