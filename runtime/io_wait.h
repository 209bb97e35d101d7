// Waiting for io_uring in fiber context: the one place that submits a
// request for the calling fiber, parks it, and honours a deadline by
// cancelling the request and still waiting for its CQE (the kernel may be
// writing into the caller's buffer until then).
//
// All functions: C in fiber context (router handlers, guard held).
#pragma once

#include <liburing.h>

#include <cstdint>

#include "ring.h"
#include "sched.h"

namespace rt {

struct IoOp : Completion {
  Fiber* fiber = nullptr;
  int32_t res = 0;
  uint32_t cqe_flags = 0;
  bool done = false;
  IoOp();
};

// An SQE of the calling carrier's ring, to prepare and then pass to submit.
io_uring_sqe* io_sqe();
// Hands sqe to the ring tagged with op; the fiber keeps running.
void io_track(io_uring_sqe* sqe, IoOp& op);
// What io_wait returns when its deadline cancelled the request: outside the
// -errno range, so that a real ETIMEDOUT from the kernel (TCP gave up) is
// never mistaken for SO_RCVTIMEO's expiry.
constexpr int kDeadlinePassed = -(1 << 20);

// Parks until op completes. With a deadline, the request is cancelled when
// it passes; returns kDeadlinePassed if the cancellation took effect, else
// the request's own result (which may have raced the deadline and won). At
// a cancellation point, a pthread_cancel cancels the request the same way
// and cancel::kInterrupted is returned.
int io_wait(IoOp& op, int64_t deadline);
// io_track + io_wait.
int io_submit_wait(io_uring_sqe* sqe, IoOp& op, int64_t deadline);
// Parks until fd is ready for `events` (a POLL_ADD: no memory of the caller
// is handed to the kernel); the poll mask, or what io_wait returns.
int io_wait_ready(int fd, unsigned events, int64_t deadline);

// Deadline `ns` from now, kNoDeadline for 0 (no timeout).
int64_t deadline_after(int64_t ns);

}  // namespace rt
