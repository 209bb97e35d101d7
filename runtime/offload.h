// The offload pool: a call that can only block in the kernel (a wait inside
// glibc on a process-shared condition variable or barrier, later regular
// files without io_uring, DNS...) runs on a helper thread while the calling
// fiber parks, so its carrier goes on running the other fibers.
//
// Helpers are plain threads (not carriers): they start on first need, one
// per call in flight (a queued call could wait for another that waits for
// it: a condition wait queued behind the waits its signaller would end), up
// to kMaxHelpers, and stay for the next call. They block every signal: the
// program's signals are for its threads. In a forked child the pool starts
// empty again.
#pragma once

#include <pthread.h>

namespace rt::offload {

constexpr unsigned kMaxHelpers = 1024;

// How helper threads are made: libc's own pthread_create (the preload's
// would make a fiber). Set once at start.
using CreateFn = int (*)(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);
void set_thread_creator(CreateFn create);

// Runs fn(arg) on a helper thread; the calling fiber parks until it has
// returned. Returns 0, or EAGAIN if no helper exists and none can be made
// (fn has not run). F, outside the runtime.
int run(void (*fn)(void*), void* arg);

// Helpers running now (for tests and the stall monitor).
unsigned helpers();

// In the child of fork: the helpers are gone.
void reset_after_fork();

}  // namespace rt::offload
