// runtime/fd: the per-descriptor table.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runtime/fd.h"

TEST_CASE("unknown descriptors are asked about once", "[fd]") {
  int p[2];
  REQUIRE(pipe2(p, O_NONBLOCK) == 0);
  rt::fd::forget(p[0]);
  rt::fd::Info i = rt::fd::get(p[0]);
  REQUIRE(i.kind == rt::fd::kPipe);
  REQUIRE(i.nonblock);
  REQUIRE(!i.exact);
  int s[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_DGRAM, 0, s) == 0);
  rt::fd::forget(s[0]);
  i = rt::fd::get(s[0]);
  REQUIRE(i.kind == rt::fd::kSocketDgram);
  REQUIRE(!i.nonblock);
  int f = open("/proc/self/status", O_RDONLY);
  rt::fd::forget(f);
  REQUIRE(rt::fd::get(f).kind == rt::fd::kRegular);
  REQUIRE(!rt::fd::get(f).may_block());
  int e = eventfd(0, 0);
  rt::fd::forget(e);
  REQUIRE(rt::fd::get(e).kind == rt::fd::kOther);
  REQUIRE(rt::fd::get(999999).kind == rt::fd::kUnknown);
  for (int fd : {p[0], p[1], s[0], s[1], f, e}) {
    rt::fd::forget(fd);
    close(fd);
  }
}

TEST_CASE("O_NONBLOCK follows the description to every dup", "[fd]") {
  int s[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, s) == 0);
  rt::fd::created(s[0], rt::fd::kSocketStream, false);
  int d = dup(s[0]);
  rt::fd::duplicated(s[0], d);
  int other = dup(s[1]);
  rt::fd::forget(other);
  REQUIRE(!rt::fd::get(d).nonblock);
  REQUIRE(rt::fd::get(d).exact);
  rt::fd::set_nonblock(s[0], true);
  REQUIRE(rt::fd::get(s[0]).nonblock);
  REQUIRE(rt::fd::get(d).nonblock);
  REQUIRE(!rt::fd::get(other).nonblock);  // another description
  rt::fd::set_nonblock(d, false);
  REQUIRE(!rt::fd::get(s[0]).nonblock);
  rt::fd::set_timeout(d, false, 5000);
  REQUIRE(rt::fd::get(s[0]).rcvtimeo == 5000);
  REQUIRE(rt::fd::get(s[0]).sndtimeo == 0);
  rt::fd::forget(d);
  // A forgotten entry is asked about afresh (here: what the kernel has).
  REQUIRE(fcntl(d, F_SETFL, O_NONBLOCK) == 0);
  REQUIRE(rt::fd::get(d).nonblock);
  REQUIRE(!rt::fd::get(d).exact);
  for (int fd : {s[0], s[1], d, other}) {
    rt::fd::forget(fd);
    close(fd);
  }
}

TEST_CASE("accepted sockets inherit the listener's timeouts", "[fd]") {
  int s[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, s) == 0);
  rt::fd::created(s[0], rt::fd::kSocketStream, false);
  rt::fd::set_timeout(s[0], true, 7000);
  rt::fd::set_timeout(s[0], false, 9000);
  rt::fd::accepted(s[1], s[0], true);
  rt::fd::Info i = rt::fd::get(s[1]);
  REQUIRE(i.kind == rt::fd::kSocketStream);
  REQUIRE(i.nonblock);
  REQUIRE(i.sndtimeo == 7000);
  REQUIRE(i.rcvtimeo == 9000);
  for (int fd : s) {
    rt::fd::forget(fd);
    close(fd);
  }
}

TEST_CASE("nonblock_now reads the kernel and updates the entry", "[fd]") {
  int p[2];
  REQUIRE(pipe(p) == 0);
  rt::fd::forget(p[0]);
  REQUIRE(!rt::fd::get(p[0]).nonblock);
  // Someone else (another process sharing the description) sets it.
  REQUIRE(fcntl(p[0], F_SETFL, O_NONBLOCK) == 0);
  REQUIRE(!rt::fd::get(p[0]).nonblock);  // cached
  REQUIRE(rt::fd::nonblock_now(p[0]));
  REQUIRE(rt::fd::get(p[0]).nonblock);
  for (int fd : p) {
    rt::fd::forget(fd);
    close(fd);
  }
}
