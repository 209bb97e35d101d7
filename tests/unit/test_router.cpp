// runtime/sys: the policy table.
#include <catch2/catch.hpp>

#include <string>
#include <sys/syscall.h>
#include <vector>

#include "runtime/config.h"
#include "runtime/sys.h"

namespace {
std::vector<std::string> g_lines;
}

TEST_CASE("the table names a policy for every call ringlet handles", "[router]") {
  rt::sys::configure(rt::config::kAllFamilies);
  for (long nr : {SYS_read, SYS_write, SYS_recvfrom, SYS_sendto, SYS_accept4, SYS_connect, SYS_poll,
                  SYS_select, SYS_epoll_wait, SYS_nanosleep, SYS_clock_nanosleep, SYS_sched_yield}) {
    const rt::sys::Entry* e = rt::sys::entry(nr);
    REQUIRE(e != nullptr);
    INFO(e->name);
    REQUIRE(e->policy != rt::sys::Policy::Pass);
    REQUIRE(e->fn != nullptr);
    REQUIRE(e->family != 0);
  }
  for (long nr : {SYS_close, SYS_dup2, SYS_fcntl, SYS_socket, SYS_pipe2, SYS_setsockopt})
    REQUIRE(rt::sys::entry(nr)->policy == rt::sys::Policy::Track);
  REQUIRE(rt::sys::entry(SYS_getpid) == nullptr);
}

TEST_CASE("a family switched off passes to the kernel", "[router]") {
  rt::sys::configure(rt::config::kAllFamilies & ~rt::config::kNet);
  REQUIRE(rt::sys::entry(SYS_recvfrom)->policy == rt::sys::Policy::Pass);
  REQUIRE(rt::sys::entry(SYS_read)->policy == rt::sys::Policy::Ring);
  REQUIRE(rt::sys::entry(SYS_close)->policy == rt::sys::Policy::Track);  // always on
  rt::sys::configure(rt::config::kAllFamilies);
  REQUIRE(rt::sys::entry(SYS_recvfrom)->policy == rt::sys::Policy::Ring);
}

TEST_CASE("outside a fiber every call goes to the kernel", "[router]") {
  rt::sys::configure(rt::config::kAllFamilies);
  int p[2];
  REQUIRE(rt::sys::call(SYS_pipe2, p, 0) == 0);
  REQUIRE(rt::sys::call(SYS_write, p[1], "abc", 3) == 3);
  char buf[4] = {};
  REQUIRE(rt::sys::call(SYS_read, p[0], buf, 3) == 3);
  REQUIRE(std::string(buf) == "abc");
  REQUIRE(rt::sys::call(SYS_read, -1, buf, 1) == -EBADF);
  rt::sys::call(SYS_close, p[0]);
  rt::sys::call(SYS_close, p[1]);
}

TEST_CASE("explain prints one line per call", "[router]") {
  rt::sys::configure(rt::config::kAllFamilies);
  g_lines.clear();
  rt::sys::explain([](const char* l) { g_lines.emplace_back(l); });
  REQUIRE(g_lines.size() > 30);
  bool saw_read = false;
  for (auto& l : g_lines) saw_read |= l.rfind("read ", 0) == 0;
  REQUIRE(saw_read);
}
