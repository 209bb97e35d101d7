// pthread_cancel for fibers: deferred cancellation acted upon at the
// cancellation points ringlet owns (the blocking calls it reroutes, condition
// and semaphore waits, join, pthread_testcancel), with the cleanup handlers
// and destructors of an unwinding pthread_exit.
//
// A cancellation point is a wait marked with Fiber::at_point. pthread_cancel
// sets the target's pending flag and, if it is parked at such a point,
// unparks it; the wait sees interrupted(), ends its request (an io_uring
// request is cancelled and its completion still awaited), and returns
// kInterrupted up to the router or the wrapper, which acts once it has left
// the runtime (acting unwinds the fiber's stack: no runtime frame may be on
// it with state to undo).
//
// Asynchronous cancellation (PTHREAD_CANCEL_ASYNCHRONOUS) cannot stop a
// fiber between two instructions: it is acted upon at once when a fiber
// cancels itself, and otherwise at the next cancellation point or wait.
#pragma once

#include "sched.h"

namespace rt::cancel {

// What a wait returns when a cancellation ended it: outside the -errno
// range and distinct from io_wait's kDeadlinePassed.
constexpr long kInterrupted = -(1L << 21);

// Whether the calling fiber's current wait should end for a cancellation.
// C.
bool interrupted();

// pthread_cancel(f). F or T.
void request(Fiber* f);
// Whether the calling fiber has a cancellation to act upon now (enabled
// and pending). F.
bool due();
// Acts upon it: runs cleanup handlers and destructors as pthread_exit
// (PTHREAD_CANCELED) does. F, outside the runtime.
[[noreturn]] void act();
// pthread_testcancel. F.
inline void test() {
  if (due()) act();
}
// pthread_setcancelstate / pthread_setcanceltype for a fiber: 0 or EINVAL.
int set_state(int state, int* old);
int set_type(int type, int* old);

// Marks the calling fiber as at a cancellation point (or, with false, as
// not at one) for the scope of a wait. A wait at a point checks
// interrupted() before it parks and after every return from park. C.
using Point = MarkScope<&Fiber::at_point, true>;

}  // namespace rt::cancel
