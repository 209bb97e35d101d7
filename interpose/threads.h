// Thread identity shared by the pthread wrappers.
#pragma once

#include <pthread.h>

#include <cstdint>
#include <ctime>

#include "runtime/fiber.h"

namespace ringlet {

// pthread_self() as the program sees it.
pthread_t self_handle();
// The fiber a pthread_t names, or null for a thread ringlet does not manage.
rt::Fiber* fiber_of(pthread_t t);
// The root fiber's pthread_t: the carrier thread's own.
void set_root_handle(pthread_t t);
pthread_t root_handle();

// An absolute time on `clock` as a CLOCK_MONOTONIC deadline in ns.
int64_t deadline_from(clockid_t clock, const timespec* abs);
bool valid_abstime(const timespec* abs);

// Routes the program's signal handlers through ringlet (signal.cpp). Once,
// after the carrier started.
void start_signal_routing();
// RINGLET_INHERIT=0: ringlet leaves LD_PRELOAD for what this process starts
// (inherit.cpp).
void drop_from_preload();
// The runtime of a child process made by fork, or by clone without
// CLONE_VM: the calling fiber goes on alone (init.cpp).
void after_fork_child();

}  // namespace ringlet
