#include "cpuclock.h"

#include <atomic>

#include "raw.h"
#include "sched.h"
#include "spin.h"

namespace rt::cpuclock {

namespace {

std::atomic<bool> g_on{false};

// Fibers whose clock id was handed out: id -> fiber (open addressing).
constexpr unsigned kSlots = 1024;
struct Slot {
  uint32_t id;
  Fiber* f;
};
constinit Slot g_slots[kSlots];
constinit SpinLock g_lock;

int64_t thread_cpu_ns() {
  timespec ts{};
  raw::sys(SYS_clock_gettime, CLOCK_THREAD_CPUTIME_ID, &ts);
  return to_ns(ts.tv_sec, ts.tv_nsec);
}

// The kernel's thread CPU clock encoding, ~tid << 3 | CPUCLOCK_PERTHREAD |
// CPUCLOCK_SCHED, with a "tid" made of the fiber's number and bit 27 (above
// any pid: PID_MAX_LIMIT is 2^22; below 2^28, so that the clock id stays
// negative as the kernel's CPU clocks are).
constexpr uint32_t kTag = 1u << 27, kNumber = kTag - 1;
uint32_t tid_of(uint32_t id) { return kTag | ((id - kFiberIdBase) & kNumber); }
clockid_t encode(uint32_t id) { return clockid_t((~tid_of(id) << 3) | 4 | 2); }

void start() {
  if (g_on.load(std::memory_order_acquire)) return;
  Carrier* c = carrier();
  if (c) c->cpu_mark = thread_cpu_ns();
  g_on.store(true, std::memory_order_release);
}

}  // namespace

bool on() { return g_on.load(std::memory_order_relaxed); }

void charge(Carrier* c, Fiber* from) {
  int64_t now = thread_cpu_ns();
  from->cpu_ns += now - c->cpu_mark;
  c->cpu_mark = now;
}

int64_t of(Fiber* f) {
  start();
  Carrier* c = carrier();
  if (c && c->current == f) return f->cpu_ns + (thread_cpu_ns() - c->cpu_mark);
  return f->cpu_ns;
}

clockid_t clock_of(Fiber* f) {
  start();
  SpinGuard g(g_lock);
  unsigned free_slot = kSlots;
  for (unsigned i = 0; i < kSlots; ++i) {
    if (g_slots[i].f == f) return encode(f->id);
    if (!g_slots[i].f && free_slot == kSlots) free_slot = i;
  }
  if (free_slot < kSlots) {
    g_slots[free_slot] = {f->id, f};
    f->has_clock = true;
  }
  return encode(f->id);
}

Fiber* fiber_of(clockid_t clock) {
  if (clock >= 0 || (clock & 7) != 6) return nullptr;
  uint32_t tid = ~uint32_t(clock >> 3);  // arithmetic shift: the encoding's own inverse
  if ((tid & ~kNumber) != kTag) return nullptr;
  SpinGuard g(g_lock);
  for (auto& s : g_slots)
    if (s.f && tid_of(s.id) == tid) return s.f;
  return nullptr;
}

void forget(Fiber* f) {
  if (!f->has_clock) return;
  SpinGuard g(g_lock);
  for (auto& s : g_slots)
    if (s.f == f) s = {0, nullptr};
}

}  // namespace rt::cpuclock
