#include "once.h"

#include <climits>

#include "../sched.h"
#include "futex.h"

namespace rt::sync {

namespace {
constexpr uint32_t kRunning = 1, kDone = 2;
}

bool once_enter(std::atomic<uint32_t>* ctl) {
  for (;;) {
    uint32_t v = ctl->load(std::memory_order_acquire);
    if (v & kDone) return false;
    if (v == 0) {
      if (ctl->compare_exchange_strong(v, kRunning, std::memory_order_acquire)) return true;
      continue;
    }
    futex::wait(ctl, v, kNoDeadline);
  }
}

void once_done(std::atomic<uint32_t>* ctl) {
  ctl->store(kDone, std::memory_order_seq_cst);
  futex::wake(ctl, INT_MAX);
}

void once_abort(std::atomic<uint32_t>* ctl) {
  ctl->store(0, std::memory_order_seq_cst);
  futex::wake(ctl, INT_MAX);
}

}  // namespace rt::sync
