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

// The per-fiber modes this machine can run: the FS base switched (WRFSBASE
// or arch_prctl) and the images copied. Each test runs in every one.
rt::tls::Mode start_tls(rt::tls::Mode want = rt::tls::Mode::Fsgsbase) {
  const char* why;
  rt::tls::Mode r = rt::tls::init(want, &why);
  INFO("fallback: " << why);
  REQUIRE(r != rt::tls::Mode::Shared);
  return r;
}

rt::tls::Mode some_mode() {
  auto want = GENERATE(rt::tls::Mode::ArchPrctl, rt::tls::Mode::Copy);
  rt::tls::Mode m = start_tls(want);
  REQUIRE(m == want);
  return m;
}

// Makes `tp` the calling carrier's TLS: switches the FS base, or copies
// the images (saving the current one into `img`).
void enter(void* tp, void* img) {
  if (rt::tls::copies()) rt::tls::swap(img, tp);
  else rt::tls::set_tp(tp);
}
void leave(void* tp, void* img, void* root) {
  if (rt::tls::copies()) rt::tls::swap(tp, img);
  else rt::tls::set_tp(root);
}

}  // namespace

TEST_CASE("every layout assumption holds on the running glibc", "[tls]") {
  REQUIRE(rt::tls::check(rt::tls::get_tp()) == nullptr);
  rt::tls::Mode m = start_tls();
  REQUIRE(rt::tls::per_fiber());
  REQUIRE(rt::tls::area_size() > 0);
  // Without FSGSBASE the default copies (arch_prctl costs microseconds in
  // VMs) unless the program has thread-local variables of its own, as this
  // one has.
  if (m != rt::tls::Mode::Fsgsbase) {
    CHECK(m == rt::tls::Mode::ArchPrctl);
    REQUIRE(rt::tls::tls_owner() != nullptr);
    CHECK(std::string(rt::tls::tls_owner()) == "the program");
  }
}

TEST_CASE("copy mode knows which addresses are the carrier's TLS", "[tls]") {
  start_tls(rt::tls::Mode::Copy);
  int on_stack = 0;
  CHECK(rt::tls::aliased(&tl_zero, sizeof tl_zero));
  CHECK(rt::tls::aliased(errno_at(), sizeof(int)));
  CHECK_FALSE(rt::tls::aliased(&on_stack, sizeof on_stack));
  CHECK_FALSE(rt::tls::aliased(rt::tls::get_tp(), 8));  // the header is not copied
  CHECK(rt::tls::aliased(static_cast<char*>(rt::tls::get_tp()) - 1, 1));
  start_tls(rt::tls::Mode::ArchPrctl);
  CHECK_FALSE(rt::tls::aliased(&tl_zero, sizeof tl_zero));
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
  some_mode();
  size_t len = rt::tls::area_size();
  char* buf = static_cast<char*>(std::malloc(len));
  REQUIRE(buf);
  void* root = rt::tls::get_tp();
  void* img = rt::tls::copies() ? rt::tls::root_image() : nullptr;
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

  enter(tp, img);
  // Nothing here may call what reads the root's TLS through a cached
  // address; plain loads through %fs are what the compiler emits.
  int seeded = tl_seeded;
  long zero = tl_zero;
  tl_seeded = 7;
  int* own_errno = errno_at();
  *own_errno = ENOENT;
  leave(tp, img, root);

  CHECK(seeded == 4242);
  CHECK(zero == 0);
  if (rt::tls::copies()) CHECK(own_errno == root_errno);  // one address, two values
  else CHECK(own_errno != root_errno);
  if (!rt::tls::copies()) CHECK(*own_errno == ENOENT);
  CHECK(*rt::tls::in_block(tp, errno_at()) == ENOENT);
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
  some_mode();
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
    if (rt::tls::copies()) {
      CHECK(seen[i].addr == static_cast<const void*>(&tl_zero));  // the carrier's address, the fiber's value
    } else {
      CHECK(seen[i].addr != static_cast<const void*>(&tl_zero));
      for (int j = 0; j < i; ++j) CHECK(seen[i].addr != seen[j].addr);
    }
  }
  CHECK(tl_zero == -5);
}
