// Ending a fiber the way pthread_exit ends a thread: its stack is unwound
// (C++ destructors and -fexceptions cleanups run, catch(...) sees a forced
// unwind it must rethrow) down to the fiber's outermost frame, whose CFI
// marks the end of the stack (switch.S), and then the fiber exits.
//
// Relies on the platform unwinder (libgcc_s: _Unwind_ForcedUnwind), a stable
// ABI. Frames without unwind information stop the unwinding early; the
// fiber then exits at once, its remaining cleanups skipped.
#pragma once

namespace rt {

// F. Never returns.
[[noreturn]] void exit_unwinding(void* retval);

}  // namespace rt
