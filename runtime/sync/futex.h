// The fiber-aware futex: a wait queue keyed by address (a "parking lot", as
// in WebKit's ParkingLot and Go's semaphore table), shared by fibers and
// threads ringlet does not manage.
//
// Every synchronization object ringlet implements (mutex, condition
// variable, semaphore, once, join) is a classic futex algorithm over a 32-bit
// word, written against this interface. A waiter in fiber context parks its
// fiber in the parking lot; any other waiter (an unmanaged thread, or
// runtime code that cannot park) sleeps in the kernel's futex. A wake reaches
// both: fibers first, then the kernel if a thread may be sleeping there.
//
// Rule for callers, as for futex(2): change the word (with a seq_cst
// operation) before calling wake().
#pragma once

#include <atomic>
#include <cstdint>

namespace rt::futex {

// Sleeps while *addr == expected, until woken or until the CLOCK_MONOTONIC
// deadline (kNoDeadline: none). Returns 0 (woken, possibly spuriously),
// -EAGAIN (the word had already changed) or -ETIMEDOUT. F or T; never with
// the runtime guard held (it would sleep in the kernel, stalling the carrier).
int wait(std::atomic<uint32_t>* addr, uint32_t expected, int64_t deadline);
// As wait, at a cancellation point (runtime/cancel.h): in fiber context a
// pending cancellation ends the wait with cancel::kInterrupted.
int wait_point(std::atomic<uint32_t>* addr, uint32_t expected, int64_t deadline);
// Wakes up to n waiters on addr. Returns the number of fibers woken plus the
// threads the kernel reports. F, T or S (from a signal handler that
// interrupted its own thread inside the same bucket, every fiber parked in
// that bucket is woken as soon as the thread leaves it, and n is returned).
int wake(std::atomic<uint32_t>* addr, int n);

// Runs wakes that signal handlers deferred and that no bucket release has
// run yet. Called by carriers at every pass. C.
void run_deferred();

// Fibers waiting in the parking lot on addr (tests, diagnostics).
int fiber_waiters(const void* addr);
// After fork: empties the lot (the waiters were other threads' fibers).
void reset_after_fork();

}  // namespace rt::futex
