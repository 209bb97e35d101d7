#include "io_wait.h"

#include <cerrno>

#include "cancel.h"

namespace rt {

namespace {

void op_done(Completion* c, int32_t res, uint32_t flags) {
  auto* op = static_cast<IoOp*>(c);
  op->res = res;
  op->cqe_flags = flags;
  op->done = true;
  unpark(op->fiber);
}

}  // namespace

IoOp::IoOp() : Completion{op_done} { fiber = current(); }

io_uring_sqe* io_sqe() { return carrier()->ring.sqe(); }

void io_track(io_uring_sqe* sqe, IoOp& op) { carrier()->ring.track(sqe, &op); }

int io_wait(IoOp& op, int64_t deadline) {
  bool cancelled = false, interrupted = false;
  while (!op.done) {
    if (!cancelled && cancel::interrupted()) {
      carrier()->ring.cancel(&op);
      cancelled = interrupted = true;
    } else if (deadline == kNoDeadline || cancelled) {
      park();
    } else if (!park_until(deadline)) {
      if (op.done) break;
      carrier()->ring.cancel(&op);
      cancelled = true;
    }
  }
  if (cancelled && (op.res == -ECANCELED || op.res == -EINTR))
    return interrupted ? int(cancel::kInterrupted) : kDeadlinePassed;
  return op.res;
}

int io_submit_wait(io_uring_sqe* sqe, IoOp& op, int64_t deadline) {
  io_track(sqe, op);
  return io_wait(op, deadline);
}

int io_wait_ready(int fd, unsigned events, int64_t deadline) {
  IoOp op;
  io_uring_sqe* s = io_sqe();
  io_uring_prep_poll_add(s, fd, events);
  return io_submit_wait(s, op, deadline);
}

int64_t deadline_after(int64_t ns) {
  if (ns <= 0) return kNoDeadline;
  return add_ns(now_ns(), ns);
}

}  // namespace rt
