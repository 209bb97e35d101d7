// runtime/abi/tls: the self-test of glibc's layout, a control block of our
// own, and fibers that each have their own thread-local variables.
#include <catch2/catch.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "carrier.h"
#include "runtime/abi/tls.h"

namespace {

// __errno_location is declared const: called through a volatile pointer,
// the compiler cannot reuse its answer across the switch of TLS blocks.
int* (*volatile errno_at)() = __errno_location;

thread_local int tl_seeded = 4242;
thread_local long tl_zero;

rt::tls::Mode start_tls() {
  static rt::tls::Mode m = [] {
    const char* why;
    rt::tls::Mode r = rt::tls::init(rt::tls::Mode::Fsgsbase, &why);
    INFO("fallback: " << why);
    REQUIRE(r != rt::tls::Mode::Shared);
    return r;
  }();
  return m;
}

}  // namespace

TEST_CASE("every layout assumption holds on the running glibc", "[tls]") {
  REQUIRE(rt::tls::check(rt::tls::get_tp()) == nullptr);
  start_tls();
  REQUIRE(rt::tls::per_fiber());
  REQUIRE(rt::tls::area_size() > 0);
}

TEST_CASE("the checks reject what is not a control block", "[tls]") {
  std::vector<char> fake(8192, 0);
  const char* why = rt::tls::check(fake.data() + 4096);
  REQUIRE(why != nullptr);
  REQUIRE(std::string(why) == "the thread control block is not where x86-64 glibc keeps it");
  // A block that points to itself but whose tid is not the caller's.
  void* tp = fake.data() + 4096;
  std::memcpy(tp, &tp, sizeof tp);
  std::memcpy(static_cast<char*>(tp) + 0x10, &tp, sizeof tp);
  why = rt::tls::check(tp);
  REQUIRE(why != nullptr);
  REQUIRE(std::string(why) == "struct pthread's tid is not where libthread_db says");
}

TEST_CASE("a new control block has its own variables, initial image and errno", "[tls]") {
  start_tls();
  size_t len = rt::tls::area_size();
  char* buf = static_cast<char*>(std::malloc(len));
  REQUIRE(buf);
  void* root = rt::tls::get_tp();
  void* tp = rt::tls::create(buf + len, root);
  REQUIRE(tp != nullptr);
  REQUIRE(tp > static_cast<void*>(buf));
  REQUIRE(tp < static_cast<void*>(buf + len));
  tl_seeded = 1;
  tl_zero = 99;
  *errno_at() = 0;
  int* root_errno = errno_at();
  REQUIRE(*rt::tls::in_block(tp, &tl_seeded) == 4242);
  REQUIRE(*rt::tls::in_block(tp, &tl_zero) == 0);

  rt::tls::set_tp(tp);
  // Nothing here may call what reads the root's TLS through a cached
  // address; plain loads through %fs are what the compiler emits.
  int seeded = tl_seeded;
  long zero = tl_zero;
  tl_seeded = 7;
  int* own_errno = errno_at();
  *own_errno = ENOENT;
  rt::tls::set_tp(root);

  CHECK(seeded == 4242);
  CHECK(zero == 0);
  CHECK(own_errno != root_errno);
  CHECK(*own_errno == ENOENT);
  CHECK(*errno_at() == 0);
  CHECK(tl_seeded == 1);
  CHECK(*rt::tls::in_block(tp, &tl_seeded) == 7);
  rt::tls::destroy(tp);
  std::free(buf);
}

namespace {
struct Seen {
  int seeded_at_start;
  long counted;
  const void* addr;
};

void* count_in_tls(void* arg) {
  auto* s = static_cast<Seen*>(arg);
  s->seeded_at_start = tl_seeded;
  s->addr = &tl_zero;
  for (int i = 0; i < 100; ++i) {
    ++tl_zero;
    rt::Guard g(rt::carrier());
    rt::yield();  // every other fiber runs and counts in between
  }
  s->counted = tl_zero;
  return nullptr;
}
}  // namespace

TEST_CASE("fibers on one carrier count in their own thread-local variables", "[tls]") {
  start_tls();
  CarrierScope cs;
  tl_zero = -5;
  constexpr int kFibers = 16;
  Seen seen[kFibers] = {};
  std::vector<rt::Fiber*> fs;
  for (auto& s : seen) fs.push_back(spawn(count_in_tls, &s));
  for (rt::Fiber* f : fs) join(f);
  for (int i = 0; i < kFibers; ++i) {
    CHECK(seen[i].seeded_at_start == 4242);
    CHECK(seen[i].counted == 100);
    CHECK(seen[i].addr != static_cast<const void*>(&tl_zero));
    for (int j = 0; j < i; ++j) CHECK(seen[i].addr != seen[j].addr);
  }
  CHECK(tl_zero == -5);
}
