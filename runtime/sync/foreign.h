// Fiber-side support for the synchronization objects ringlet leaves to
// glibc (process-shared, robust, priority-inheritance and priority-protect
// mutexes; process-shared condition variables, barriers, read-write locks
// and semaphores). They keep glibc's layout and protocol, so a process not
// under ringlet can share them; the wrappers take them with glibc's try
// operations and wait beside them with what is here, never inside glibc
// (that would put the carrier to sleep).
#pragma once

#include <atomic>
#include <cstdint>

#include "../fiber.h"

namespace rt::sync::foreign {

// Which fiber holds a glibc-owned lock. glibc records the thread id, which
// the fibers of a carrier share, so recursion, EDEADLK and EPERM checks
// between them are made here. T.
Fiber* owner(const void* obj);
void set_owner(const void* obj, Fiber* f);
void clear_owner(const void* obj);

// At a fiber's exit: each robust mutex it still holds is marked as the
// kernel marks a dying thread's (owner died, waiters woken), so that the
// next locker gets EOWNERDEAD; whatever else it held is forgotten. Needs the
// fiber's own robust list, i.e. per-fiber TLS; with shared TLS they stay
// held. C.
void fiber_exiting(Fiber* f);

// Waits beside glibc's objects last at most this long at a time: a wake can
// be missed by design where glibc takes such a lock without marking it
// contended after a fiber marked it, and the waiter then looks again.
constexpr int64_t kSliceNs = 20 * 1000000LL;
// The deadline, or one slice from now if that is sooner.
int64_t within_slice(int64_t deadline);

// Parks until *word != val, a wake, or the deadline, without blocking the
// carrier: in the kernel's futex queue through io_uring (shared or private,
// as the object's wakers wake it) where the kernel has it, else by a short
// sleep. Spurious returns are possible. F, outside the runtime.
void wait_word(std::atomic<uint32_t>* word, uint32_t val, bool shared, int64_t deadline);

// Parks until the deadline or for `*backoff` ns, whichever is sooner, and
// doubles *backoff up to 2 ms: for objects whose release wakes nobody a
// fiber could wait for (priority-inheritance mutexes, read-write locks).
void backoff(int64_t* backoff, int64_t deadline);

}  // namespace rt::sync::foreign
