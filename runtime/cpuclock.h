// CPU-time clocks per fiber: CLOCK_THREAD_CPUTIME_ID read by a fiber, and
// the clock pthread_getcpuclockid gives for a fiber, count the CPU time of
// that fiber, not of its carrier.
//
// The accounting starts at the first such request (a fiber's clock counts
// from then, not from its start): from then on every switch charges the
// carrier thread's CPU time since the previous switch to the fiber that ran
// (one clock_gettime system call per switch; nothing before).
//
// A fiber's clock id has the kernel's layout for a thread CPU clock
// (~tid << 3 | per-thread | sched) with the fiber's id, above any pid, in
// place of a thread id: the kernel rejects it, ringlet's clock_gettime and
// clock_getres know it.
#pragma once

#include <ctime>

#include "fiber.h"

namespace rt {
struct Carrier;
}

namespace rt::cpuclock {

bool on();
// In the scheduler, before `from` leaves the carrier. C.
void charge(Carrier* c, Fiber* from);
// CPU time of f in ns (f running or not). C or F, on f's carrier.
int64_t of(Fiber* f);
// The clock id of f, starting the accounting. F or T.
clockid_t clock_of(Fiber* f);
// The fiber a clock id names, or null (not a fiber's, or it has exited).
Fiber* fiber_of(clockid_t clock);
// At f's end.
void forget(Fiber* f);

}  // namespace rt::cpuclock
