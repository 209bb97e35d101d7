#include "foreign.h"

#include <climits>
#include <cstddef>
#include <pthread.h>
#include <ctime>
#include <linux/futex.h>
#include <sys/syscall.h>

#include "../abi/tls.h"
#include "../raw.h"
#include "../sched.h"
#include "../spin.h"
#include "../sys.h"
#include "futex.h"

namespace rt::sync::foreign {

namespace {

// Open addressing, linear probing; a removed entry leaves a tombstone.
constexpr unsigned kSlots = 4096;
const void* const kTomb = reinterpret_cast<const void*>(1);
struct Slot {
  const void* key;
  Fiber* f;
};
constinit Slot g_slots[kSlots];
constinit SpinLock g_lock;

unsigned hash(const void* p) {
  return unsigned((reinterpret_cast<uintptr_t>(p) * 0x9E3779B97F4A7C15ull) >> 40) & (kSlots - 1);
}

Slot* find(const void* key) {
  for (unsigned i = hash(key), n = 0; n < kSlots; i = (i + 1) & (kSlots - 1), ++n) {
    if (g_slots[i].key == key) return &g_slots[i];
    if (!g_slots[i].key) return nullptr;
  }
  return nullptr;
}

// Empties slot s, and the tombstones before it that now end a probe chain,
// so that lookups of absent keys stay short.
void remove(Slot* s) {
  *s = {kTomb, nullptr};
  unsigned i = unsigned(s - g_slots);
  while (g_slots[i].key == kTomb && !g_slots[(i + 1) & (kSlots - 1)].key) {
    g_slots[i].key = nullptr;
    i = (i - 1) & (kSlots - 1);
  }
}

// glibc's pthread_mutex_t: the lock word at 0, the kind at 16.
constexpr int kRobust = 16;
int kind_of(const void* m) { return *reinterpret_cast<const int*>(static_cast<const char*>(m) + 16); }

// With copied TLS the struct pthread is the carrier's, so glibc linked the
// mutex into the carrier's robust list when the fiber took it; a dead
// fiber's mutexes leave that list as glibc's DEQUEUE_MUTEX takes them out
// (else the next owner links it in a second time). The links are the
// public __data.__list; they point at the neighbours' __next, low bit a flag.
void unlink_robust(const void* m) {
  auto& l = static_cast<pthread_mutex_t*>(const_cast<void*>(m))->__data.__list;
  if (!l.__next || !l.__prev) return;
  auto entry = [](void* p) {
    return reinterpret_cast<__pthread_list_t*>((reinterpret_cast<uintptr_t>(p) & ~uintptr_t{1}) -
                                               offsetof(__pthread_list_t, __next));
  };
  entry(l.__next)->__prev = l.__prev;
  entry(l.__prev)->__next = l.__next;
  l.__prev = l.__next = nullptr;
}

void mark_owner_died(const void* m) {
  auto* word = reinterpret_cast<std::atomic<uint32_t>*>(const_cast<void*>(m));
  uint32_t v = word->load(std::memory_order_relaxed), nv;
  do {
    if ((v & FUTEX_TID_MASK) != uint32_t(raw::gettid())) return;  // not ours (any more)
    nv = (v & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
  } while (!word->compare_exchange_weak(v, nv, std::memory_order_release, std::memory_order_relaxed));
  // Robust mutexes are woken in the shared futex queue, as glibc does
  // (PTHREAD_ROBUST_MUTEX_PSHARED), process-private or not.
  raw::sys(SYS_futex, word, FUTEX_WAKE, 1);
  futex::wake(word, INT_MAX);  // fibers of this process waiting beside it
}

}  // namespace

Fiber* owner(const void* obj) {
  SpinGuard g(g_lock);
  Slot* s = find(obj);
  return s ? s->f : nullptr;
}

void set_owner(const void* obj, Fiber* f) {
  SpinGuard g(g_lock);
  if (Slot* s = find(obj)) {
    if (s->f != f) {
      s->f->foreign_held.fetch_sub(1, std::memory_order_relaxed);
      f->foreign_held.fetch_add(1, std::memory_order_relaxed);
    }
    s->f = f;
    return;
  }
  for (unsigned i = hash(obj), n = 0; n < kSlots; i = (i + 1) & (kSlots - 1), ++n) {
    if (!g_slots[i].key || g_slots[i].key == kTomb) {
      g_slots[i] = {obj, f};
      f->foreign_held.fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  // Full: this lock goes untracked (fibers of one carrier then look alike
  // to glibc for it).
}

void clear_owner(const void* obj) {
  SpinGuard g(g_lock);
  if (Slot* s = find(obj)) {
    s->f->foreign_held.fetch_sub(1, std::memory_order_relaxed);
    remove(s);
  }
}

void fiber_exiting(Fiber* f) {
  if (f->foreign_held.load(std::memory_order_relaxed) == 0) return;  // the usual case: no scan
  const void* held[64];
  unsigned n = 0;
  {
    SpinGuard g(g_lock);
    for (auto& s : g_slots) {
      if (s.f != f || s.key == kTomb || !s.key) continue;
      if (n < 64 && (kind_of(s.key) & kRobust) && tls::per_fiber()) held[n++] = s.key;
      remove(&s);
    }
  }
  for (unsigned i = 0; i < n; ++i) {
    if (tls::copies()) unlink_robust(held[i]);
    mark_owner_died(held[i]);
  }
}

int64_t within_slice(int64_t deadline) {
  int64_t t = add_ns(now_ns(), kSliceNs);
  return t < deadline ? t : deadline;
}

void wait_word(std::atomic<uint32_t>* word, uint32_t val, bool shared, int64_t deadline) {
  deadline = within_slice(deadline);
  timespec ts{time_t(deadline / 1000000000), long(deadline % 1000000000)};
  // Through the router: a fiber's FUTEX_WAIT parks it (io_uring FUTEX_WAIT
  // on 6.7+, else the parking lot until the deadline).
  sys::call(SYS_futex, word, FUTEX_WAIT_BITSET | (shared ? 0 : FUTEX_PRIVATE_FLAG), val, &ts, 0,
            FUTEX_BITSET_MATCH_ANY);
}

void backoff(int64_t* step, int64_t deadline) {
  Guard g(carrier());
  park_backoff(step, 2000000, deadline);
}

}  // namespace rt::sync::foreign
