// runtime/arch: the context switch.
#include <catch2/catch.hpp>

#include <cfenv>
#include <cstdint>
#include <cstdlib>
#include <xmmintrin.h>

#include "runtime/arch/context.h"

namespace {

void* g_main_sp;
void* g_fiber_sp;
int g_steps;
uintptr_t g_entry_rsp;
unsigned g_fiber_mxcsr;

void entry(void* self_arg, void* from_arg) {
  // The ABI's stack alignment: the compiler places this 16-aligned on
  // the assumption that it was entered with rsp % 16 == 8.
  alignas(16) volatile char probe[16];
  probe[0] = 1;
  g_entry_rsp = reinterpret_cast<uintptr_t>(&probe[0]);
  REQUIRE(self_arg == &g_steps);
  REQUIRE(reinterpret_cast<uintptr_t>(from_arg) == 41);
  // Locals survive switches away and back (callee-saved registers restored).
  long a = 1, b = 2, c = 3;
  for (int i = 0; i < 100; ++i) {
    ++g_steps;
    a += b;
    b += c;
    void* got = rt::arch::ctx_switch(&g_fiber_sp, g_main_sp, reinterpret_cast<void*>(uintptr_t(i)));
    REQUIRE(reinterpret_cast<uintptr_t>(got) == uintptr_t(1000 + i));
  }
  REQUIRE(a == 1 + 100 * 2 + 3 * (99 * 100 / 2));
  // A rounding mode set here belongs to this context only.
  _MM_SET_ROUNDING_MODE(_MM_ROUND_TOWARD_ZERO);
  g_fiber_mxcsr = _mm_getcsr();
  rt::arch::ctx_switch(&g_fiber_sp, g_main_sp, nullptr);
  REQUIRE(_MM_GET_ROUNDING_MODE() == _MM_ROUND_TOWARD_ZERO);
  rt::arch::ctx_switch(&g_fiber_sp, g_main_sp, reinterpret_cast<void*>(uintptr_t(7)));
  FAIL("resumed a finished context");
}

}  // namespace

TEST_CASE("switching back and forth keeps both contexts' state", "[context]") {
  constexpr size_t kSize = 64 << 10;
  char* stack = static_cast<char*>(aligned_alloc(16, kSize));
  g_steps = 0;
  g_fiber_sp = rt::arch::ctx_make(stack + kSize, entry, &g_steps);
  unsigned long x = 5, y = 7, expect = 5;
  for (int i = 0; i < 100; ++i) expect = expect * 3 + y;
  void* got = rt::arch::ctx_switch(&g_main_sp, g_fiber_sp, reinterpret_cast<void*>(uintptr_t(41)));
  for (int i = 0; i < 100; ++i) {
    REQUIRE(reinterpret_cast<uintptr_t>(got) == uintptr_t(i));
    REQUIRE(g_steps == i + 1);
    x = x * 3 + y;
    got = rt::arch::ctx_switch(&g_main_sp, g_fiber_sp, reinterpret_cast<void*>(uintptr_t(1000 + i)));
  }
  REQUIRE(got == nullptr);
  REQUIRE(g_entry_rsp % 16 == 0);
  // The fiber changed its rounding mode; ours is untouched, and the
  // fiber gets its own back when it resumes.
  REQUIRE(_MM_GET_ROUNDING_MODE() == _MM_ROUND_NEAREST);
  REQUIRE((g_fiber_mxcsr & _MM_ROUND_MASK) == _MM_ROUND_TOWARD_ZERO);
  got = rt::arch::ctx_switch(&g_main_sp, g_fiber_sp, nullptr);
  REQUIRE(reinterpret_cast<uintptr_t>(got) == 7);
  REQUIRE(_MM_GET_ROUNDING_MODE() == _MM_ROUND_NEAREST);
  REQUIRE(x == expect);  // our locals survived 100 round trips
  free(stack);
}

TEST_CASE("a new context inherits its creator's floating-point control", "[context]") {
  constexpr size_t kSize = 16 << 10;
  char* stack = static_cast<char*>(aligned_alloc(16, kSize));
  _MM_SET_ROUNDING_MODE(_MM_ROUND_UP);
  static unsigned seen;
  static void* back;
  static void* sp;
  sp = rt::arch::ctx_make(
      stack + kSize,
      [](void*, void*) {
        seen = _MM_GET_ROUNDING_MODE();
        rt::arch::ctx_switch(&sp, back, nullptr);
      },
      nullptr);
  _MM_SET_ROUNDING_MODE(_MM_ROUND_NEAREST);
  // ctx_make captured ROUND_UP.
  rt::arch::ctx_switch(&back, sp, nullptr);
  REQUIRE(seen == _MM_ROUND_UP);
  free(stack);
}
