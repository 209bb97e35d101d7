#include "cancel.h"

#include <pthread.h>

#include <cerrno>

#include "abi/unwind.h"
#include "fsig.h"
#include "sched.h"

namespace rt::cancel {

bool interrupted() {
  Fiber* f = current();
  if (!f) return false;
  if (f->at_point.load(std::memory_order_relaxed) && f->cancel_pending.load(std::memory_order_acquire) &&
      !f->cancel_off && !f->cancelling)
    return true;
  // A signal handler to run ends a blocking call too (runtime/fsig.h).
  return f->sig_point.load(std::memory_order_relaxed) && fsig::deliverable(f);
}

void request(Fiber* f) {
  f->cancel_pending.store(1, std::memory_order_seq_cst);
  if (f == current()) return;  // the caller acts (asynchronous) or it waits for a point
  // Seen after the flag: a fiber that marks itself at a point checks the
  // flag after marking, so one of the two sees the other.
  if (f->at_point.load(std::memory_order_seq_cst)) unpark(f);
}

bool due() {
  Fiber* f = current();
  return f && f->cancel_pending.load(std::memory_order_acquire) && !f->cancel_off && !f->cancelling;
}

void act() {
  Fiber* f = current();
  f->cancelling = 1;
  f->cancel_off = 1;  // as glibc: cleanup handlers run with cancellation disabled
  exit_unwinding(PTHREAD_CANCELED);
}

int set_state(int state, int* old) {
  if (state != PTHREAD_CANCEL_ENABLE && state != PTHREAD_CANCEL_DISABLE) return EINVAL;
  Fiber* f = current();
  if (old) *old = f->cancel_off ? PTHREAD_CANCEL_DISABLE : PTHREAD_CANCEL_ENABLE;
  if (f->cancelling) return 0;
  f->cancel_off = state == PTHREAD_CANCEL_DISABLE;
  if (f->cancel_async && due()) act();
  return 0;
}

int set_type(int type, int* old) {
  if (type != PTHREAD_CANCEL_DEFERRED && type != PTHREAD_CANCEL_ASYNCHRONOUS) return EINVAL;
  Fiber* f = current();
  if (old) *old = f->cancel_async ? PTHREAD_CANCEL_ASYNCHRONOUS : PTHREAD_CANCEL_DEFERRED;
  f->cancel_async = type == PTHREAD_CANCEL_ASYNCHRONOUS;
  if (f->cancel_async && due()) act();
  return 0;
}

}  // namespace rt::cancel
