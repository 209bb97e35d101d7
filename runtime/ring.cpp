#include "ring.h"

#include <cerrno>
#include <csignal>
#include <cstring>

#include "raw.h"

namespace rt {

const RingNeed kRingNeeds[] = {
    {IORING_OP_READ, "READ", "5.6"},         {IORING_OP_WRITE, "WRITE", "5.6"},
    {IORING_OP_READV, "READV", "5.1"},       {IORING_OP_WRITEV, "WRITEV", "5.1"},
    {IORING_OP_RECV, "RECV", "5.6"},         {IORING_OP_SEND, "SEND", "5.6"},
    {IORING_OP_RECVMSG, "RECVMSG", "5.3"},   {IORING_OP_SENDMSG, "SENDMSG", "5.3"},
    {IORING_OP_ACCEPT, "ACCEPT", "5.5"},     {IORING_OP_CONNECT, "CONNECT", "5.5"},
    {IORING_OP_POLL_ADD, "POLL_ADD", "5.1"}, {IORING_OP_ASYNC_CANCEL, "ASYNC_CANCEL", "5.5"},
};
const unsigned kRingNeedCount = sizeof kRingNeeds / sizeof kRingNeeds[0];

namespace {

// Setup flags from most to least wanted. Each later entry drops something a
// kernel may not have; the first that works is kept (Photon's habit).
// TASKRUN_FLAG: the kernel says, in the SQ ring's flags, when completions
// wait for us to enter; without it every pass with requests in flight
// would have to enter just to find out.
constexpr unsigned kFlagSets[] = {
    IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
        IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_CQSIZE,  // 6.1
    IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG |
        IORING_SETUP_CQSIZE,  // 5.19
    IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQSIZE,                              // 5.18
    IORING_SETUP_CQSIZE,                                                         // 5.5
};

}  // namespace

int Ring::init(unsigned entries) {
  int err = -ENOSYS;
  for (unsigned flags : kFlagSets) {
    io_uring_params p{};
    p.flags = flags;
    p.cq_entries = entries * 8;
    err = io_uring_queue_init_params(entries, &ring_, &p);
    if (err == 0) break;
    if (err != -EINVAL) break;  // ENOSYS, EPERM, ENOMEM: no point trying less
  }
  if (err) {
    why_ = err == -ENOSYS ? "ENOSYS" : err == -EPERM ? "EPERM" : err == -ENOMEM ? "ENOMEM" : "EINVAL";
    ring_.ring_fd = -1;
    return err;
  }
  unsigned need = IORING_FEAT_NODROP | IORING_FEAT_FAST_POLL | IORING_FEAT_EXT_ARG;
  if ((ring_.features & need) != need) {
    why_ = "kernel older than 5.11 (needs NODROP, FAST_POLL, EXT_ARG)";
    destroy();
    return -EOPNOTSUPP;
  }
  io_uring_probe* probe = io_uring_get_probe_ring(&ring_);
  if (!probe) {
    why_ = "opcode probe failed (kernel older than 5.6)";
    destroy();
    return -EOPNOTSUPP;
  }
  for (int op = 0; op < 64; ++op)
    if (io_uring_opcode_supported(probe, op)) ops_ |= uint64_t{1} << op;
  for (unsigned i = 0; i < kRingNeedCount; ++i) {
    if (!io_uring_opcode_supported(probe, kRingNeeds[i].op)) {
      why_ = kRingNeeds[i].name;
      io_uring_free_probe(probe);
      destroy();
      return -EOPNOTSUPP;
    }
  }
  io_uring_free_probe(probe);
  // The child of a fork must never see, let alone write, this ring's memory.
  io_uring_ring_dontfork(&ring_);
  // Saves an fd lookup per enter where supported (5.18); optional.
  io_uring_register_ring_fd(&ring_);
  return 0;
}

void Ring::destroy() {
  if (ring_.ring_fd > 0) io_uring_queue_exit(&ring_);
  ops_ = 0;
  ring_ = io_uring{};
  ring_.ring_fd = -1;
  inflight_ = 0;
}

void Ring::abandon_after_fork() {
  if (ring_.ring_fd > 0) raw::close(ring_.ring_fd);
  ops_ = 0;
  ring_ = io_uring{};
  ring_.ring_fd = -1;
  inflight_ = 0;
}

io_uring_sqe* Ring::sqe() {
  io_uring_sqe* s = io_uring_get_sqe(&ring_);
  while (!s) {
    // Queue full: hand what we have to the kernel now. Completions are
    // left in the CQ ring for the next pass.
    int r = io_uring_submit(&ring_);
    ++enters_;
    if (r == -EBUSY || r == -EAGAIN) reap();
    s = io_uring_get_sqe(&ring_);
  }
  return s;
}

void Ring::cancel(Completion* c) {
  io_uring_sqe* s = sqe();
  io_uring_prep_cancel(s, c, 0);
  track(s, nullptr);
}

unsigned Ring::reap() {
  // Copied out and advanced before dispatch: complete() may queue new SQEs
  // but never reaps. The completions (on their fibers' stacks) are cold with
  // many fibers: a batch's are all fetched before the first is dispatched.
  constexpr unsigned kBatch = 32;
  struct Done {
    uintptr_t ud;
    int32_t res;
    uint32_t flags;
  } done[kBatch];
  unsigned total = 0;
  for (;;) {
    unsigned head, n = 0;
    io_uring_cqe* cqe;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      done[n++] = {cqe->user_data, cqe->res, cqe->flags};
      __builtin_prefetch(reinterpret_cast<void*>(cqe->user_data & ~kBackground));
      if (n == kBatch) break;
    }
    if (!n) return total;
    io_uring_cq_advance(&ring_, n);
    total += n;
    for (unsigned i = 0; i < n; ++i) {
      auto* c = reinterpret_cast<Completion*>(done[i].ud & ~kBackground);
      if (!c) continue;
      if (!(done[i].ud & kBackground)) --inflight_;
      c->complete(c, done[i].res, done[i].flags);
    }
    if (n < kBatch) return total;
  }
}

int Ring::enter(bool wait, int64_t timeout_ns, const uint64_t* sigmask, std::atomic<bool>* awake) {
  int r;
  ++enters_;
  if (!wait) {
    r = io_uring_submit_and_get_events(&ring_);
  } else {
    io_uring_cqe* cqe = nullptr;
    __kernel_timespec ts;
    __kernel_timespec* tsp = nullptr;
    if (timeout_ns >= 0) {
      ts.tv_sec = timeout_ns / 1000000000;
      ts.tv_nsec = timeout_ns % 1000000000;
      tsp = &ts;
    }
    // The kernel reads only the first 8 bytes of the mask (_NSIG / 8).
    r = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, tsp,
                                         reinterpret_cast<sigset_t*>(const_cast<uint64_t*>(sigmask)));
    if (r == -ETIME) r = 0;
  }
  if (awake) awake->store(false, std::memory_order_relaxed);
  if (r < 0 && r != -EINTR && r != -EBUSY && r != -EAGAIN) return r;
  unsigned n = reap();
  if (io_uring_cq_has_overflow(&ring_)) {
    io_uring_get_events(&ring_);
    ++enters_;
    n += reap();
  }
  return r == -EINTR && n == 0 ? -EINTR : int(n);
}

}  // namespace rt
