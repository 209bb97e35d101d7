// Unnamed semaphores in glibc's own layout (a 64-bit word: value in the low
// half, number of waiters in the high half; then the private flag), so that
// a semaphore made by glibc (sem_open's shared memory, or before ringlet
// loaded) and one made here are the same thing, and glibc's protocol (post
// wakes only when waiters are counted) holds on both sides.
//
// The flag is glibc's "private" argument to its futex calls, which it XORs
// into FUTEX_PRIVATE_FLAG: 0 for a process-private semaphore,
// FUTEX_PRIVATE_FLAG (128) for a process-shared one. A fiber waits on a
// process-shared semaphore in the kernel's shared futex queue (a post from
// another process reaches only that); posts to one are glibc's.
// F or T.
#pragma once

#include <atomic>
#include <cstdint>

namespace rt::sync {

struct Sem {
  std::atomic<uint64_t> data;  // value | nwaiters << 32
  int32_t priv;                // kSemPrivate or kSemShared
  int32_t pad;
};

constexpr int32_t kSemPrivate = 0, kSemShared = 128;



constexpr uint32_t kSemValueMax = 0x7fffffff;  // SEM_VALUE_MAX

void sem_setup(Sem* s, uint32_t value);
// 0 or ETIMEDOUT. deadline: CLOCK_MONOTONIC ns or kNoDeadline.
int sem_wait(Sem* s, int64_t deadline);
// 0 or EAGAIN.
int sem_trywait(Sem* s);
// 0 or EOVERFLOW.
int sem_post(Sem* s);
uint32_t sem_value(const Sem* s);

}  // namespace rt::sync
