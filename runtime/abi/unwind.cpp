#include "unwind.h"

#include <cstdlib>
#include <cstring>
#include <unwind.h>

#include "../sched.h"

namespace rt {

namespace {

_Unwind_Reason_Code stop(int, _Unwind_Action actions, _Unwind_Exception_Class, _Unwind_Exception* exc,
                         _Unwind_Context*, void* retval) {
  if (actions & _UA_END_OF_STACK) {
    free(exc);
    exit_current(retval);
  }
  return _URC_NO_REASON;
}

void cleanup(_Unwind_Reason_Code, _Unwind_Exception* exc) { free(exc); }

}  // namespace

void exit_unwinding(void* retval) {
  auto* exc = static_cast<_Unwind_Exception*>(aligned_alloc(16, sizeof(_Unwind_Exception)));
  if (exc) {
    memset(exc, 0, sizeof *exc);
    memcpy(&exc->exception_class, "RNGLEXIT", 8);
    exc->exception_cleanup = cleanup;
    _Unwind_ForcedUnwind(exc, stop, retval);
    // Returned: a frame without unwind information.
  }
  exit_current(retval);
}

}  // namespace rt
