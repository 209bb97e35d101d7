// The one door to machine context (STYLE §7): switch.S for x86-64.
//
// A context is a saved stack pointer. ctx_make prepares a fresh stack so that
// the first switch to it calls entry(self_arg, arg_of_that_switch) on it;
// entry must never return. ctx_switch may be called from any fiber or
// carrier code, never from a signal handler.
#pragma once

#include <cstddef>

extern "C" void* ringlet_ctx_switch(void** save_sp, void* load_sp, void* arg);

namespace rt::arch {

using EntryFn = void (*)(void* self_arg, void* from_arg);

// `top` is the highest address of the usable stack (exclusive).
void* ctx_make(void* top, EntryFn entry, void* self_arg);

inline void* ctx_switch(void** save_sp, void* load_sp, void* arg) {
  return ringlet_ctx_switch(save_sp, load_sp, arg);
}

}  // namespace rt::arch
