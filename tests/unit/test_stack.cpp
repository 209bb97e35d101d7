// runtime/stack: the slab stack pool.
#include <catch2/catch.hpp>

#include <fstream>
#include <string>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "runtime/stack.h"

namespace {

size_t map_count() {
  std::ifstream f("/proc/self/maps");
  std::string line;
  size_t n = 0;
  while (std::getline(f, line)) ++n;
  return n;
}

size_t resident_pages(char* lo, size_t len) {
  size_t ps = rt::StackPool::page_size();
  std::vector<unsigned char> v(len / ps);
  REQUIRE(mincore(lo, len, v.data()) == 0);
  size_t n = 0;
  for (unsigned char c : v) n += c & 1;
  return n;
}

}  // namespace

TEST_CASE("stacks are rounded, guarded and reused last-in first-out", "[stack]") {
  rt::StackPool pool;
  rt::Stack a, b;
  REQUIRE(pool.acquire(100000, 0, &a) == 0);
  size_t ps = rt::StackPool::page_size();
  REQUIRE(a.size % ps == 0);
  REQUIRE(a.size >= 100000);
  REQUIRE(a.guard == ps);
  REQUIRE(a.slab != nullptr);
  REQUIRE(pool.in_use() == 1);
  REQUIRE(pool.acquire(100000, 0, &b) == 0);
  REQUIRE(a.map != b.map);
  pool.release(a);
  rt::Stack c;
  REQUIRE(pool.acquire(100000, 0, &c) == 0);
  REQUIRE(c.map == a.map);  // the warm one comes back first
  pool.release(b);
  pool.release(c);
  REQUIRE(pool.in_use() == 0);
  pool.trim();
  REQUIRE(pool.slabs() == 0);
}

TEST_CASE("a stack is committed lazily", "[stack]") {
  rt::StackPool pool;
  rt::Stack s;
  REQUIRE(pool.acquire(8 << 20, 0, &s) == 0);
  REQUIRE(resident_pages(s.lo(), s.size) == 0);
  s.hi()[-1] = 1;
  REQUIRE(resident_pages(s.lo(), s.size) == 1);
  pool.release(s);
  pool.trim();
}

TEST_CASE("touching the guard page kills the thread with SIGSEGV", "[stack]") {
  rt::StackPool pool;
  rt::Stack s;
  REQUIRE(pool.acquire(64 << 10, 0, &s) == 0);
  pid_t pid = fork();
  if (pid == 0) {
    volatile char* g = s.lo() - 1;
    *g = 1;
    _exit(0);
  }
  int st = 0;
  REQUIRE(waitpid(pid, &st, 0) == pid);
  REQUIRE(WIFSIGNALED(st));
  REQUIRE(WTERMSIG(st) == SIGSEGV);
  pool.release(s);
  pool.trim();
}

TEST_CASE("many stacks cost few mappings and free slabs go back", "[stack]") {
  rt::StackPool pool;
  size_t before = map_count();
  std::vector<rt::Stack> v(1000);
  for (auto& s : v) REQUIRE(pool.acquire(256 << 10, 0, &s) == 0);
  size_t during = map_count();
  INFO("mappings before " << before << ", with 1000 stacks " << during);
  if (rt::StackPool::guard_markers()) REQUIRE(during - before <= 1000 / rt::StackPool::kSlots + 2);
  else REQUIRE(during - before <= 2 * 1000 + 2);
  REQUIRE(pool.slabs() == (1000 + rt::StackPool::kSlots - 1) / rt::StackPool::kSlots);
  for (auto& s : v) pool.release(s);
  REQUIRE(pool.in_use() == 0);
  // Free slabs beyond a two-slab reserve are unmapped as they empty.
  REQUIRE(pool.slabs() <= 2);
  pool.trim();
  REQUIRE(pool.slabs() == 0);
}

TEST_CASE("the default size follows RLIMIT_STACK like glibc", "[stack]") {
  rlimit rl;
  REQUIRE(getrlimit(RLIMIT_STACK, &rl) == 0);
  size_t want = rl.rlim_cur == RLIM_INFINITY ? (2u << 20) : rl.rlim_cur;
  if (want < (16u << 10)) want = 16u << 10;
  REQUIRE(rt::StackPool::default_size() == want);
}
