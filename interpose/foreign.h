// Fiber paths for the synchronization objects ringlet leaves to glibc
// (runtime/sync/foreign.h says how they wait). Each is called only in fiber
// context; the wrappers call glibc directly elsewhere.
#pragma once

#include <pthread.h>
#include <semaphore.h>

#include <cstdint>
#include <ctime>

namespace ringlet::foreign {

int mutex_lock(pthread_mutex_t* m, int64_t deadline);
int mutex_trylock(pthread_mutex_t* m);
int mutex_unlock(pthread_mutex_t* m);
// A condition wait on a process-shared condition variable (abs null:
// untimed). Returns -1 if it cannot run beside the carrier (the caller
// then waits in glibc).
int cond_wait(pthread_cond_t* c, pthread_mutex_t* m, clockid_t clock, const struct timespec* abs);
// False if it cannot run beside the carrier (the caller then waits in
// glibc); else *result is pthread_barrier_wait's (PTHREAD_BARRIER_SERIAL_THREAD
// is -1, hence the flag).
bool barrier_wait(pthread_barrier_t* b, int* result);
int rwlock_lock(pthread_rwlock_t* l, bool write, int64_t deadline);
int rwlock_unlock(pthread_rwlock_t* l);

}  // namespace ringlet::foreign
