// runtime/ring: the io_uring engine on its own.
#include <catch2/catch.hpp>

#include <cerrno>
#include <poll.h>
#include <unistd.h>
#include <vector>

#include "runtime/ring.h"
#include "runtime/timer.h"

namespace {

struct Counter : rt::Completion {
  int n = 0;
  int32_t last = 0;
  Counter() : rt::Completion{[](rt::Completion* c, int32_t res, uint32_t) {
    auto* self = static_cast<Counter*>(c);
    ++self->n;
    self->last = res;
  }} {}
};

void need_ring(rt::Ring& r, unsigned entries) {
  int e = r.init(entries);
  if (e) FAIL("io_uring unavailable: " << r.why());
}

}  // namespace

TEST_CASE("the ring probes what it needs and completes requests", "[ring]") {
  rt::Ring r;
  need_ring(r, 64);
  Counter c;
  for (int i = 0; i < 10; ++i) {
    io_uring_sqe* s = r.sqe();
    io_uring_prep_nop(s);
    r.track(s, &c);
  }
  REQUIRE(r.queued() == 10);
  REQUIRE(r.inflight() == 10);
  long enters = long(r.enters());
  int got = 0;
  while (got < 10) got += r.enter(true, -1);
  REQUIRE(c.n == 10);
  REQUIRE(r.inflight() == 0);
  REQUIRE(r.queued() == 0);
  REQUIRE(long(r.enters()) - enters <= 2);  // batched: one enter for all
  r.destroy();
}

TEST_CASE("a full submission queue is flushed, not lost", "[ring]") {
  rt::Ring r;
  need_ring(r, 64);
  Counter c;
  for (int i = 0; i < 1000; ++i) {
    io_uring_sqe* s = r.sqe();
    REQUIRE(s != nullptr);
    io_uring_prep_nop(s);
    r.track(s, &c);
  }
  while (c.n < 1000) REQUIRE(r.enter(true, 1000000000) >= 0);
  REQUIRE(c.n == 1000);
  r.destroy();
}

TEST_CASE("completions beyond the CQ ring size are all delivered", "[ring]") {
  rt::Ring r;
  need_ring(r, 64);  // CQ: 512 entries
  Counter c;
  int submitted = 0;
  // Three thousand NOPs reach the kernel in batches without being reaped.
  while (submitted < 3000) {
    io_uring_sqe* s = r.sqe();
    io_uring_prep_nop(s);
    r.track(s, &c);
    ++submitted;
  }
  int rounds = 0;
  while (c.n < 3000 && rounds++ < 100) REQUIRE(r.enter(false, 0) >= 0);
  REQUIRE(c.n == 3000);
  REQUIRE(r.inflight() == 0);
  r.destroy();
}

TEST_CASE("a timed wait returns after its timeout", "[ring]") {
  rt::Ring r;
  need_ring(r, 64);
  int p[2];
  REQUIRE(pipe(p) == 0);
  Counter c;
  io_uring_sqe* s = r.sqe();
  io_uring_prep_poll_add(s, p[0], POLLIN);
  r.track(s, &c);
  int64_t t0 = rt::now_ns();
  REQUIRE(r.enter(true, 50 * 1000000) == 0);
  REQUIRE(rt::now_ns() - t0 >= 45 * 1000000);
  REQUIRE(c.n == 0);
  // Cancelled: its CQE still comes, with -ECANCELED.
  r.cancel(&c);
  while (c.n == 0) r.enter(true, -1);
  REQUIRE(c.last == -ECANCELED);
  REQUIRE(r.inflight() == 0);
  // And a write completes a fresh poll.
  s = r.sqe();
  io_uring_prep_poll_add(s, p[0], POLLIN);
  r.track(s, &c);
  REQUIRE(write(p[1], "x", 1) == 1);
  while (c.n == 1) r.enter(true, -1);
  REQUIRE((c.last & POLLIN) != 0);
  close(p[0]);
  close(p[1]);
  r.destroy();
}

TEST_CASE("background requests do not count as work in flight", "[ring]") {
  rt::Ring r;
  need_ring(r, 64);
  int p[2];
  REQUIRE(pipe(p) == 0);
  Counter c;
  io_uring_sqe* s = r.sqe();
  io_uring_prep_poll_add(s, p[0], POLLIN);
  r.track_background(s, &c);
  r.enter(false, 0);
  REQUIRE(r.inflight() == 0);
  REQUIRE(!r.busy());
  REQUIRE(write(p[1], "x", 1) == 1);
  while (c.n == 0) r.enter(true, -1);
  REQUIRE(r.inflight() == 0);
  close(p[0]);
  close(p[1]);
  r.destroy();
}
