// The io_uring engine of one carrier.
//
// Owner-only: a Ring is used by the one thread that created it (the ring is
// set up SINGLE_ISSUER / DEFER_TASKRUN where the kernel has them).
//
// Every submission carries a Completion* in user_data (0: ignore the CQE, used
// for cancellations). SQEs are queued and reach the kernel together at the
// next enter(): one io_uring_enter per scheduler pass. A full submission
// queue is flushed on the spot; completion overflow is left to the kernel
// (IORING_FEAT_NODROP, required) and drained at the next enter.
#pragma once

#include <liburing.h>

#include <atomic>
#include <cstdint>

namespace rt {

struct Completion {
  void (*complete)(Completion* self, int32_t res, uint32_t cqe_flags);
};

// Opcodes ringlet needs, probed at start (Seastar's try_create_uring habit):
// the kernel version that brought each is noted for the failure message.
struct RingNeed {
  int op;
  const char* name;
  const char* since;
};
extern const RingNeed kRingNeeds[];
extern const unsigned kRingNeedCount;

class Ring {
 public:
  // Sets up a ring with `entries` SQ slots. Returns 0 or -errno; on failure
  // why() says what was missing in words fit for a one-line message.
  int init(unsigned entries);
  void destroy();
  // In a forked child: forget the parent's ring without touching its shared
  // memory (the mappings are MADV_DONTFORK and absent here).
  void abandon_after_fork();

  // A free SQE, never null: if the queue is full it is submitted first.
  io_uring_sqe* sqe();
  // Queue an SQE whose completion goes to c (c may be null: CQE ignored).
  void track(io_uring_sqe* s, Completion* c) {
    io_uring_sqe_set_data(s, c);
    if (c) ++inflight_;
  }
  // As track, for a request that stays armed for the ring's life (the
  // carrier's wake-up read): it does not count as work in flight, so an idle
  // ring is still known to be idle.
  void track_background(io_uring_sqe* s, Completion* c) {
    io_uring_sqe_set_data64(s, reinterpret_cast<uintptr_t>(c) | kBackground);
  }
  // Cancel the request tagged with c; its CQE will still arrive.
  void cancel(Completion* c);

  // Submits everything queued and dispatches completions. With wait, sleeps
  // until at least one completion arrives or timeout_ns passes (<0: no
  // limit). Returns the number of completions dispatched, or -errno
  // (-EINTR: a signal handler ran).
  // `awake` (if given) is cleared as soon as the kernel returns, before the
  // completions are handed out: what they wake needs no wake-up write.
  int enter(bool wait, int64_t timeout_ns, const uint64_t* sigmask = nullptr,
            std::atomic<bool>* awake = nullptr);
  // Dispatches completions already in the CQ ring; no system call.
  unsigned reap();

  unsigned queued() const { return io_uring_sq_ready(&ring_); }
  unsigned inflight() const { return inflight_; }
  // True when a non-blocking enter() could produce anything: something to
  // submit, completions posted, or (where the kernel flags it) completions
  // waiting for us to enter. Without the flag, any request in flight.
  bool busy() const {
    if (queued() || io_uring_cq_ready(&ring_)) return true;
    if (!inflight_) return false;
    if (!(ring_.flags & IORING_SETUP_TASKRUN_FLAG)) return true;
    return __atomic_load_n(ring_.sq.kflags, __ATOMIC_ACQUIRE) & (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW);
  }
  bool ok() const { return ring_.ring_fd > 0; }
  const char* why() const { return why_; }
  // Whether the kernel has opcode `op` (probed at init; optional ones too).
  bool supports(int op) const { return op >= 0 && op < 64 && (ops_ >> op) & 1; }
  unsigned flags() const { return ring_.flags; }
  unsigned long enters() const { return enters_; }

 private:
  static constexpr uintptr_t kBackground = 1;  // user_data tag; Completions are 8-aligned
  io_uring ring_{};
  unsigned inflight_ = 0;  // tracked requests without their CQE yet
  unsigned long enters_ = 0;
  uint64_t ops_ = 0;  // bit n: opcode n supported
  const char* why_ = "";
};

}  // namespace rt
