// Ending a fiber the way pthread_exit ends a thread: its stack is unwound
// (C++ destructors and -fexceptions cleanups run, catch(...) sees a forced
// unwind it must rethrow) down to the fiber's outermost frame, whose CFI
// marks the end of the stack (switch.S), and then the fiber exits.
//
// C programs built without -fexceptions register their pthread_cleanup_push
// handlers with a setjmp buffer (__pthread_register_cancel). The fiber
// keeps those buffers in a list; when the unwinding reaches the frame that
// holds the innermost one, it longjmps there, the handler runs, and
// __pthread_unwind_next resumes the unwinding with the next buffer, as
// glibc does for its threads.
//
// Relies on the platform unwinder (libgcc_s: _Unwind_ForcedUnwind) and on
// the public layout of __pthread_unwind_buf_t (pthread.h). Frames without
// unwind information stop the unwinding early: the remaining cleanup
// buffers still run (their frames are still there), then the fiber exits.
#pragma once

namespace rt {

// F. Never returns.
[[noreturn]] void exit_unwinding(void* retval);

// __pthread_register_cancel / __pthread_unregister_cancel for a fiber. F.
void cleanup_push(void* buf);
void cleanup_pop(void* buf);
// __pthread_unwind_next: after a handler ran, go on unwinding. F.
[[noreturn]] void unwind_next(void* buf);

}  // namespace rt
