// Run queues of one carrier.
//
// RunQueue: FIFO, owner-only (the carrier's own thread).
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
    f->next = nullptr;
    if (tail_) tail_->next = f;
    else head_ = f;
    tail_ = f;
    ++n_;
  }
  Fiber* pop() {
    Fiber* f = head_;
    if (!f) return nullptr;
    head_ = f->next;
    if (!head_) tail_ = nullptr;
    --n_;
    return f;
  }
  bool empty() const { return head_ == nullptr; }
  uint32_t size() const { return n_; }

 private:
  Fiber* head_ = nullptr;
  Fiber* tail_ = nullptr;
  uint32_t n_ = 0;
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
