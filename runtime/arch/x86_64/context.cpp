#include "../context.h"

#include <cstdint>
#include <cstring>

extern "C" void ringlet_ctx_entry();

namespace rt::arch {

// Frame popped by ringlet_ctx_switch, from low to high addresses:
//   [mxcsr:4 | x87 cw:2 | pad:2] r15 r14 r13 r12 rbx rbp ret
// `ret` sits at top-24, so after it is popped rsp = top-16 (16-aligned) and
// the `call` in ringlet_ctx_entry enters `entry` with rsp % 16 == 8, as the
// ABI requires.
void* ctx_make(void* top, EntryFn entry, void* self_arg) {
  auto t = reinterpret_cast<uintptr_t>(top) & ~uintptr_t{15};
  auto* ret = reinterpret_cast<uint64_t*>(t - 24);
  ret[1] = 0;  // t-16: a zero word above the entry frame for debuggers
  *ret = reinterpret_cast<uint64_t>(&ringlet_ctx_entry);
  uint64_t* regs = ret - 6;  // r15 r14 r13 r12 rbx rbp
  regs[0] = 0;
  regs[1] = 0;
  regs[2] = reinterpret_cast<uint64_t>(entry);     // r13
  regs[3] = reinterpret_cast<uint64_t>(self_arg);  // r12
  regs[4] = 0;
  regs[5] = 0;
  uint64_t* ctl = regs - 1;
  // A new thread inherits its creator's floating-point control state (clone
  // copies it); a new fiber does the same.
  uint32_t mxcsr;
  uint16_t fpucw;
  __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
  __asm__ volatile("fnstcw %0" : "=m"(fpucw));
  *ctl = 0;
  std::memcpy(ctl, &mxcsr, 4);
  std::memcpy(reinterpret_cast<char*>(ctl) + 4, &fpucw, 2);
  return ctl;
}

}  // namespace rt::arch
