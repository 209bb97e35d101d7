#include "unwind.h"

#include <pthread.h>
#include <setjmp.h>
#include <unistd.h>
#include <unwind.h>

#include <cstdlib>
#include <cstring>

#include "../sched.h"

namespace rt {

namespace {

// pthread.h's buffer; glibc keeps the link to the next one in __pad[0].
void*& prev_of(void* buf) { return static_cast<__pthread_unwind_buf_t*>(buf)->__pad[0]; }

[[noreturn]] void jump_to(void* buf) {
  longjmp(reinterpret_cast<struct __jmp_buf_tag*>(static_cast<__pthread_unwind_buf_t*>(buf)->__cancel_jmp_buf), 1);
}

_Unwind_Reason_Code stop(int, _Unwind_Action actions, _Unwind_Exception_Class, _Unwind_Exception* exc,
                         _Unwind_Context* ctx, void*) {
  Fiber* f = current();
  void* buf = f->cleanup;
  // The frame about to be unwound holds the innermost cleanup buffer when
  // its canonical frame address lies above the buffer (the buffer is one
  // of its locals; deeper frames all lie below it).
  if (buf && ((actions & _UA_END_OF_STACK) || _Unwind_GetCFA(ctx) > reinterpret_cast<uintptr_t>(buf))) {
    free(exc);
    jump_to(buf);
  }
  if (actions & _UA_END_OF_STACK) {
    free(exc);
    exit_current(f->retval);
  }
  return _URC_NO_REASON;
}

// Called only if a catch(...) swallowed the unwinding instead of
// rethrowing it: glibc aborts its threads then, and so do we.
void not_rethrown(_Unwind_Reason_Code, _Unwind_Exception*) {
  static const char msg[] = "FATAL: exception not rethrown\n";
  ssize_t r = write(2, msg, sizeof msg - 1);
  (void)r;
  abort();
}

[[noreturn]] void unwind() {
  Fiber* f = current();
  auto* exc = static_cast<_Unwind_Exception*>(aligned_alloc(16, sizeof(_Unwind_Exception)));
  if (exc) {
    memset(exc, 0, sizeof *exc);
    memcpy(&exc->exception_class, "RNGLEXIT", 8);
    exc->exception_cleanup = not_rethrown;
    _Unwind_ForcedUnwind(exc, stop, nullptr);
    // Returned: a frame without unwind information.
    free(exc);
  }
  if (f->cleanup) jump_to(f->cleanup);
  exit_current(f->retval);
}

}  // namespace

void exit_unwinding(void* retval) {
  current()->retval = retval;
  unwind();
}

void cleanup_push(void* buf) {
  Fiber* f = current();
  prev_of(buf) = f->cleanup;
  f->cleanup = buf;
}

void cleanup_pop(void* buf) { current()->cleanup = prev_of(buf); }

void unwind_next(void* buf) {
  current()->cleanup = prev_of(buf);
  unwind();
}

}  // namespace rt
