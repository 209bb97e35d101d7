// Run queues of one carrier.
//
// RunQueue: FIFO, owner-only (the carrier's own thread; a signal handler on
// that thread checks busy() first).
// Inbox: multi-producer, single-consumer (lock-free push from any thread,
// the owner takes the whole list at once). How unmanaged threads and, later,
// other carriers hand a fiber back to its home carrier.
#pragma once

#include <atomic>
#include <cstdint>

#include "fiber.h"

namespace rt {

class RunQueue {
 public:
  void push(Fiber* f) {
    enter();
    f->next = nullptr;
    if (tail_) tail_->next = f;
    else head_ = f;
    tail_ = f;
    ++n_;
    leave();
  }
  // With thousands of fibers, each one's record and stack are cold by its
  // turn: the load of f->next was the scheduler's largest cost (perf, 5,000
  // echo connections: 8 % of the server's CPU on that one load). Popping f
  // starts the fetch of the next record, warm when its turn comes, and of
  // f's stack top for the switch (tools/bench B3, B8: 9 % less CPU per
  // round trip at 5,000 connections).
  Fiber* pop() {
    enter();
    Fiber* f = head_;
    if (f) {
      head_ = f->next;
      if (!head_) tail_ = nullptr;
      else __builtin_prefetch(head_);
      __builtin_prefetch(f->sp);
      --n_;
    }
    leave();
    return f;
  }
  bool empty() const { return head_ == nullptr; }
  uint32_t size() const { return n_; }
  // True while a push or pop is under way on this thread: a signal handler
  // that interrupted it must not touch the queue (unpark uses the inbox).
  bool busy() const { return busy_; }

 private:
  void enter() {
    busy_ = true;
    std::atomic_signal_fence(std::memory_order_seq_cst);
  }
  void leave() {
    std::atomic_signal_fence(std::memory_order_seq_cst);
    busy_ = false;
  }
  Fiber* head_ = nullptr;
  Fiber* tail_ = nullptr;
  uint32_t n_ = 0;
  volatile bool busy_ = false;
};

class Inbox {
 public:
  void push(Fiber* f) {
    Fiber* h = head_.load(std::memory_order_relaxed);
    do {
      f->next = h;
    } while (!head_.compare_exchange_weak(h, f, std::memory_order_seq_cst, std::memory_order_relaxed));
  }
  bool empty() const { return head_.load(std::memory_order_seq_cst) == nullptr; }
  // Moves everything to q in arrival order.
  void drain_into(RunQueue& q) {
    Fiber* f = head_.exchange(nullptr, std::memory_order_acquire);
    Fiber* rev = nullptr;
    while (f) {
      Fiber* n = f->next;
      f->next = rev;
      rev = f;
      f = n;
    }
    while (rev) {
      Fiber* n = rev->next;
      q.push(rev);
      rev = n;
    }
  }

 private:
  std::atomic<Fiber*> head_{nullptr};
};

}  // namespace rt
