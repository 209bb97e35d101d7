// The scheduler.
//
// Concepts
//   Fiber    what a pthread becomes: a stack, a saved context, an errno.
//   Carrier  an OS thread that runs fibers. It owns a run queue, an inbox for
//            fibers woken by other threads, a timer heap and an io_uring.
//            Today there is one, the main thread; every structure here is
//            per carrier or safe across threads so that more can be added.
//   Root     the context a thread had when it became a carrier (for the main
//            thread: main() itself), adopted as a fiber. It runs on the
//            thread's own stack.
//
// Switching is direct: a fiber that parks runs the scheduler on its own
// stack, picks the next fiber and switches straight to it (one switch, not
// two through a scheduler context as in Go's g0). When nothing is runnable
// the parking fiber itself sleeps in io_uring_enter. A fiber that exits
// cannot free the stack it runs on: it leaves itself in Carrier::dying and
// the fiber that runs next finalizes it.
//
// Passes. The carrier runs the fibers that were runnable when the pass
// began, then talks to the kernel once: one io_uring_enter submits every
// queued SQE, reaps completions (which make fibers runnable) and, only if
// nothing is runnable, waits until the next timer deadline. Then timers fire
// and the next pass begins. Submissions are thus batched across all the
// fibers of a pass, and I/O is never starved by fibers that keep yielding.
//
// Invariants
//   - A fiber is on at most one queue (run queue or inbox): Fiber::next.
//   - Fiber::state is the only thing other threads write on a fiber they do
//     not own (unpark); everything else belongs to the carrier running it.
//   - Context switches happen only inside the runtime (Carrier::guard == 1).
//   - A fiber waiting for an io_uring request does not return until that
//     request's CQE arrived: buffers are never left to a kernel that still
//     writes into them, and a CQE never reaches a fiber that moved on.
//
// What more carriers will need (each structure is already per carrier or
// thread-safe; these are the handshakes still missing)
//   - Stealing from another carrier's run queue must wait until the fiber's
//     switch-out completed (an on_cpu flag cleared in after_switch).
//   - A fiber's timer lives in the heap of the carrier that armed it; a
//     fiber resumed elsewhere must disarm it there (or heaps take a lock).
//   - With shared or copied TLS (abi/tls.h) every TLS address, errno's
//     included, is the carrier's: a fiber must not move to another carrier
//     while the compiler may cache one (with copied TLS: never).
//
// Rejected
//   - A scheduler context per carrier (g0): two switches per park, and the
//     park/unpark cost is the number this runtime lives by.
//   - Readiness through epoll plus the plain syscall: two system calls per
//     wait where io_uring needs a share of one enter.
//   - A timeout SQE per sleep: 10,000 sleeping fibers would be 10,000 kernel
//     timers; the heap costs O(log n) and one timeout on the enter.
//   - Setting O_NONBLOCK on the program's descriptors: breaks programs that
//     share them (DESIGN rule 1).
#include "sched.h"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <new>
#include <sys/eventfd.h>

#include "abi/tls.h"
#include "cancel.h"
#include "arch/context.h"
#include "config.h"
#include "cpuclock.h"
#include "fsig.h"
#include "keys.h"
#include "sync/foreign.h"
#include "log.h"
#include "raw.h"
#include "stack.h"
#include "sync/futex.h"

namespace rt {

thread_local Carrier* tl_carrier __attribute__((tls_model("initial-exec"))) = nullptr;

namespace {

std::atomic<uint32_t> g_next_id{1};
std::atomic<Carrier*> g_first_carrier{nullptr};
std::atomic<uint32_t> g_live{0};
bool g_exit_with_last = false;

void init_fiber(Fiber* f, Carrier* home, uint32_t flags) {
  f->magic = reinterpret_cast<uintptr_t>(f) ^ kFiberMagic;
  f->sp = nullptr;
  f->next = nullptr;
  f->home = home;
  f->state.store(kRunnable, std::memory_order_relaxed);
  f->id = kFiberIdBase + g_next_id.fetch_add(1, std::memory_order_relaxed);
  f->flags = flags;
  f->saved_errno = 0;
  new (&f->timer) Timer();
  f->timer_fired = false;
  new (&f->wait) WaitNode();
  f->start = nullptr;
  f->arg = nullptr;
  f->retval = nullptr;
  f->exited.store(0, std::memory_order_relaxed);
  f->refs.store((flags & kFiberDetached) ? 1 : 2, std::memory_order_relaxed);
  f->joining.store(0, std::memory_order_relaxed);
  f->stack = Stack{};
  f->tp = nullptr;
  f->keys = nullptr;
  f->cancel_pending.store(0, std::memory_order_relaxed);
  f->cancel_off = f->cancel_async = f->cancelling = 0;
  f->at_point.store(0, std::memory_order_relaxed);
  f->cleanup = nullptr;
  f->sig_mask = 0;
  f->sig_pending.store(0, std::memory_order_relaxed);
  f->sig_point.store(0, std::memory_order_relaxed);
  f->sig_suspended = false;
  f->sig_defer = 0;
  f->sig_saved = f->sig_waiting = 0;
  f->sig_prev = f->sig_next = nullptr;
  f->cpu_ns = 0;
  f->has_clock = false;
  f->foreign_held.store(0, std::memory_order_relaxed);
  f->name[0] = 0;
}

void free_fiber(Fiber* f) {
  keys::free_store(f);
  cpuclock::forget(f);
  if (f->flags & kFiberRoot) return;  // lives on its thread's stack
  if (tls::per_fiber() && f->tp) tls::destroy(f->tp);
  f->magic = 0;
  if (!(f->flags & kFiberUserStack)) stack_pool().release(f->stack);
}

void release_ref(Fiber* f) {
  if (f->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) free_fiber(f);
}

// Runs in the fiber that was switched to, on behalf of one that exited: its
// stack is free to go only now that nobody runs on it.
void after_switch(Carrier* c) {
  if (Fiber* d = c->dying) {
    c->dying = nullptr;
    release_ref(d);
  }
}

void timer_fired(Timer* t) {
  Fiber* f = reinterpret_cast<Fiber*>(reinterpret_cast<char*>(t) - offsetof(Fiber, timer));
  f->timer_fired = true;
  unpark(f);
}

void wake_done(Completion* self, int32_t res, uint32_t) {
  Carrier* c = reinterpret_cast<Carrier*>(reinterpret_cast<char*>(self) - offsetof(Carrier, wake_done));
  (void)res;
  io_uring_sqe* s = c->ring.sqe();
  io_uring_prep_read(s, c->wake_fd, &c->wake_buf, sizeof c->wake_buf, 0);
  c->ring.track_background(s, &c->wake_done);
}

void wake_carrier(Carrier* c) {
  if (c->sleeping.load(std::memory_order_seq_cst) && c->sleeping.exchange(false)) {
    uint64_t one = 1;
    raw::write(c->wake_fd, &one, sizeof one);
  }
}

// One conversation with the kernel; see "Passes" above.
void poll(Carrier* c, bool may_block) {
  ++c->polls;
  futex::run_deferred();
  c->inbox.drain_into(c->runq);
  int64_t now = 0;
  if (!c->timers.empty()) {
    now = now_ns();
    c->timers.fire_due(now);
  }
  if (may_block) {
    // Set before both queues are looked at: an unpark from another thread,
    // or from a signal handler interrupting this very check, either is seen
    // by it or goes to the inbox and writes the wake descriptor (unpark).
    c->sleeping.store(true, std::memory_order_seq_cst);
    std::atomic_signal_fence(std::memory_order_seq_cst);
    if (!c->runq.empty() || !c->inbox.empty()) may_block = false;
  }
  if (may_block || c->ring.busy()) {
    int64_t timeout = -1;
    if (may_block && !c->timers.empty()) {
      timeout = c->timers.next_deadline() - now;
      if (timeout < 0) timeout = 0;
    }
    uint64_t mask = may_block ? fsig::sleep_mask(c) : c->sig_mask;
    int r = c->ring.enter(may_block, may_block ? timeout : 0, mask != c->sig_mask ? &mask : nullptr, &c->sleeping);
    if (r < 0 && r != -EINTR) {
      log::say("io_uring_enter failed (%s); fibers waiting for I/O may stall", strerror(-r));
    }
  }
  c->sleeping.store(false, std::memory_order_relaxed);
  c->inbox.drain_into(c->runq);
  if (!c->timers.empty()) c->timers.fire_due(now_ns());
}

Fiber* pick(Carrier* c) {
  for (;;) {
    if (c->pass_left > 0) {
      if (Fiber* f = c->runq.pop()) {
        --c->pass_left;
        return f;
      }
    }
    poll(c, c->runq.empty());
    c->pass_left = c->runq.size();
  }
}

// Leaves `self` (already Parked, Runnable-and-queued, or Dead) for the next
// runnable fiber. Returns when self runs again.
void switch_to(Carrier* c, Fiber* self, Fiber* next) {
  c->current = next;
  ++c->switches;
  if (cpuclock::on()) cpuclock::charge(c, self);
  fsig::switch_mask(c, next);
  if (tls::per_fiber()) {
    // From here until the switch, no thread-local variable may be touched:
    // they would be the next fiber's.
    if (tls::copies()) tls::swap(self->tp, next->tp);
    else tls::set_tp(next->tp);
    arch::ctx_switch(&self->sp, next->sp, self);
    after_switch(c);
    return;
  }
  self->saved_errno = errno;
  arch::ctx_switch(&self->sp, next->sp, self);
  // Resumed, possibly on behalf of a fiber that just exited.
  after_switch(c);
  errno = self->saved_errno;
}

void schedule(Carrier* c, Fiber* self) {
  Fiber* next = pick(c);
  next->state.store(kRunning, std::memory_order_relaxed);
  if (next != self) switch_to(c, self, next);
  // Running again: signals sent to it meanwhile, unless its wait ends for
  // them and they run where the call returns (fsig::Point).
  fsig::deliver_at_switch(self);
}

[[noreturn]] void fiber_main(void* self_arg, void*) {
  Fiber* self = static_cast<Fiber*>(self_arg);
  Carrier* c = tl_carrier;
  after_switch(c);
  errno = 0;
  tls::fiber_started();
  fsig::deliver_if_pending(self);
  --c->guard;  // leaving the runtime for the program's start routine
  void* ret = self->start(self->arg);
  exit_current(ret);
}

StartResult setup(Carrier* c) {
  StartResult res;
  int r = c->ring.init(config::cfg.ring_entries);
  if (r) {
    res.err = r;
    res.why = c->ring.why();
    return res;
  }
  long fd = raw::sys(SYS_eventfd2, 0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (raw::is_err(fd)) {
    c->ring.destroy();
    res.err = (int)fd;
    res.why = "eventfd";
    return res;
  }
  c->wake_fd = (int)fd;
  g_first_carrier.store(c, std::memory_order_release);
  c->wake_done.complete = wake_done;
  wake_done(&c->wake_done, 0, 0);
  return res;
}

Carrier* new_carrier() {
  void* m = aligned_alloc(64, (sizeof(Carrier) + 63) & ~size_t{63});
  if (!m) return nullptr;
  return new (m) Carrier();
}

Fiber* new_root(Carrier* c) {
  void* m = aligned_alloc(64, (sizeof(Fiber) + 63) & ~size_t{63});
  if (!m) return nullptr;
  auto* f = static_cast<Fiber*>(m);
  init_fiber(f, c, kFiberRoot);
  f->tp = tls::copies() ? tls::root_image() : tls::get_tp();
  if (!f->tp) {
    free(m);
    return nullptr;
  }
  f->sig_mask = fsig::thread_mask();
  c->sig_mask = f->sig_mask;
  fsig::join(c, f);
  f->state.store(kRunning, std::memory_order_relaxed);
  return f;
}

}  // namespace

StartResult start_carrier() {
  StartResult res;
  Carrier* c = new_carrier();
  Fiber* root = c ? new_root(c) : nullptr;
  if (!root) {
    free(c);
    res.err = -ENOMEM;
    res.why = "out of memory";
    return res;
  }
  res = setup(c);
  if (res.err) {
    c->~Carrier();
    free(c);
    free(root);
    return res;
  }
  c->root = c->current = root;
  g_live.fetch_add(1, std::memory_order_relaxed);
  tl_carrier = c;
  if (g_first_carrier.load(std::memory_order_relaxed) == c) fsig::set_main(root);
  return res;
}

void stop_carrier() {
  Carrier* c = tl_carrier;
  if (!c) return;
  // Let fibers that are finishing (queued, or dying) complete.
  while (!c->runq.empty() || c->dying) yield();
  tl_carrier = nullptr;
  Carrier* me = c;
  g_first_carrier.compare_exchange_strong(me, nullptr);
  c->ring.destroy();
  if (c->wake_fd >= 0) raw::close(c->wake_fd);
  g_live.fetch_sub(1, std::memory_order_relaxed);
  fsig::leave(c, c->root);
  free_fiber(c->root);
  free(c->root);
  c->~Carrier();
  free(c);
}

StartResult restart_after_fork() {
  StartResult res;
  Carrier* old = tl_carrier;
  Fiber* self = old ? old->current : nullptr;
  if (!old || !self) return res;
  // The old carrier's ring, queues and timers describe fibers that did not
  // survive the fork. Its memory is leaked (as a forked child leaks other
  // threads' stacks); only the running fiber carries on.
  old->ring.abandon_after_fork();
  futex::reset_after_fork();
  Carrier* c = new_carrier();
  if (!c) {
    res.err = -ENOMEM;
    res.why = "out of memory";
    tl_carrier = nullptr;
    return res;
  }
  res = setup(c);
  if (res.err) {
    tl_carrier = nullptr;
    return res;
  }
  self->home = c;
  self->next = nullptr;
  self->state.store(kRunning, std::memory_order_relaxed);
  new (&self->timer) Timer();
  c->root = old->root;  // still the thread's own context if it survives
  c->current = self;
  c->guard = old->guard;
  c->sig_mask = fsig::thread_mask();
  self->sig_pending.store(0, std::memory_order_relaxed);  // a child starts with none
  fsig::join(c, self);
  fsig::set_main(self);  // the child's only thread is its main thread
  g_live.store(1, std::memory_order_relaxed);
  tl_carrier = c;
  return res;
}

void exit_process_with_last_fiber(bool on) { g_exit_with_last = on; }

void kick_carrier() {
  if (Carrier* c = g_first_carrier.load(std::memory_order_acquire)) {
    uint64_t one = 1;
    raw::write(c->wake_fd, &one, sizeof one);
  }
}

uint32_t live_fibers() { return g_live.load(std::memory_order_relaxed); }

int spawn(void* (*fn)(void*), void* arg, const SpawnAttr& attr, Fiber** out) {
  Carrier* c = tl_carrier;
  Stack st;
  uint32_t flags = attr.detached ? uint32_t{kFiberDetached} : 0u;
  if (attr.stack_addr) {
    st.map = static_cast<char*>(attr.stack_addr);
    st.guard = 0;
    st.size = attr.stack_addr_size;
    flags |= kFiberUserStack;
  } else {
    size_t size = attr.stack_size ? attr.stack_size : config::cfg.stack_size;
    int r = stack_pool().acquire(size, attr.guard_size, &st);
    if (r) return r;
  }
  // At the top of the stack, as glibc lays out a thread's: the fiber's own
  // control block and static TLS (if fibers have their own), then the
  // Fiber record, cache-line aligned.
  void* tp = c->root->tp;
  if (tls::per_fiber()) {
    if (st.size < tls::area_size() + sizeof(Fiber) + 4096 || !(tp = tls::create(st.hi(), c->root->tp))) {
      if (!(flags & kFiberUserStack)) stack_pool().release(st);
      return -EAGAIN;
    }
    *tls::in_block(tp, &tl_carrier) = c;
  }
  auto top = reinterpret_cast<uintptr_t>(st.hi()) - tls::area_size();
  auto* f = reinterpret_cast<Fiber*>((top - sizeof(Fiber)) & ~uintptr_t{63});
  init_fiber(f, c, flags);
  f->sig_mask = c->current ? c->current->sig_mask : fsig::thread_mask();  // inherited, as by a thread
  fsig::join(c, f);
  f->tp = tp;
  f->stack = st;
  f->start = fn;
  f->arg = arg;
  f->sp = arch::ctx_make(f, fiber_main, f);
  g_live.fetch_add(1, std::memory_order_relaxed);
  c->runq.push(f);
  *out = f;
  return 0;
}

int join(Fiber* f, void** retval) {
  if (f == current()) return -EDEADLK;
  if (f->flags & kFiberDetached) return -EINVAL;
  uint32_t expect = 0;
  if (!f->joining.compare_exchange_strong(expect, 1)) return -EINVAL;
  while (f->exited.load(std::memory_order_acquire) == 0) {
    if (futex::wait_point(&f->exited, 0, kNoDeadline) == int(cancel::kInterrupted)) {
      f->joining.store(0, std::memory_order_release);  // still joinable, as POSIX wants
      return int(cancel::kInterrupted);
    }
  }
  if (retval) *retval = f->retval;
  release_ref(f);
  return 0;
}

int detach(Fiber* f) {
  uint32_t fl = __atomic_fetch_or(&f->flags, kFiberDetached, __ATOMIC_ACQ_REL);
  if (fl & kFiberDetached) return -EINVAL;
  if (f->joining.load(std::memory_order_acquire)) return 0;  // the joiner frees it
  release_ref(f);
  return 0;
}

void exit_current(void* retval) {
  Carrier* c = tl_carrier;
  Fiber* self = c->current;
  self->retval = retval;
  tls::fiber_ending();  // C++ thread_local destructors, then pthread keys, as glibc
  keys::run_destructors(self);
  sync::foreign::fiber_exiting(self);  // robust mutexes it still holds: owner died
  if (g_live.fetch_sub(1, std::memory_order_acq_rel) == 1 && g_exit_with_last) {
    // The last thread of the process called pthread_exit: the process ends
    // as if by exit(0), as with kernel threads.
    exit(0);
  }
  ++c->guard;
  fsig::leave(c, self);
  // Joiners may go on now (they only read retval); the stack itself is
  // released after the switch away from it (after_switch).
  self->exited.store(1, std::memory_order_seq_cst);
  futex::wake(&self->exited, INT_MAX);
  self->state.store(kDead, std::memory_order_relaxed);
  c->dying = self;
  schedule(c, self);
  __builtin_unreachable();
}

void yield() {
  Carrier* c = tl_carrier;
  Fiber* self = c->current;
  self->state.store(kRunnable, std::memory_order_relaxed);
  c->runq.push(self);
  schedule(c, self);
}

void park() {
  Carrier* c = tl_carrier;
  Fiber* self = c->current;
  uint32_t s = kRunning;
  if (!self->state.compare_exchange_strong(s, kParked, std::memory_order_acq_rel)) {
    // An unpark arrived first (kNotified): consume it.
    self->state.store(kRunning, std::memory_order_relaxed);
    fsig::deliver_at_switch(self);
    return;
  }
  schedule(c, self);
}

void park_backoff(int64_t* step, int64_t cap, int64_t deadline) {
  int64_t until = add_ns(now_ns(), *step);
  park_until(until < deadline ? until : deadline);
  *step = *step * 2 > cap ? cap : *step * 2;
}

bool park_until(int64_t deadline) {
  Carrier* c = tl_carrier;
  Fiber* self = c->current;
  if (self->timer_fired) return false;
  if (!self->timer.armed()) {
    self->timer.fire = timer_fired;
    if (!c->timers.arm(&self->timer, deadline)) {
      park();  // no memory for the heap: degrade to an untimed wait
      return true;
    }
  }
  park();
  if (self->timer_fired) {
    self->timer_fired = false;
    return false;
  }
  c->timers.disarm(&self->timer);
  return true;
}

void unpark(Fiber* f) {
  uint32_t s = f->state.load(std::memory_order_acquire);
  for (;;) {
    if (s == kParked) {
      if (!f->state.compare_exchange_weak(s, kRunnable, std::memory_order_acq_rel)) continue;
      Carrier* h = f->home;
      if (tl_carrier == h && !h->runq.busy() && !h->sleeping.load(std::memory_order_relaxed)) {
        h->runq.push(f);
      } else {
        // Another thread; or a signal handler that interrupted this
        // carrier in a run-queue operation, or between its decision to
        // sleep and the sleep itself: the inbox takes pushes from
        // anywhere, and the wake descriptor ends the sleep.
        h->inbox.push(f);
        wake_carrier(h);
      }
      return;
    }
    if (s == kRunning) {
      if (!f->state.compare_exchange_weak(s, kNotified, std::memory_order_acq_rel)) continue;
      return;
    }
    return;  // Runnable, Notified or Dead: nothing to add
  }
}

}  // namespace rt
