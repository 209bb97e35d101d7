// Read-write locks over the parking-lot futex. The state word holds a
// writer bit and the count of readers; everyone who must wait sleeps on a
// sequence word that a release advances when it may let someone in (the
// lock became free, or a writer gave up). Kinds as in glibc: readers go
// first by default (a reader enters while others read, even if a writer
// waits); the "writer nonrecursive" kind makes new readers wait behind
// waiting writers.
//
// Overlaid on pthread_rwlock_t by interpose/ (which keeps glibc's kind at
// its place and leaves process-shared locks to glibc). F or T.
#pragma once

#include <atomic>
#include <cstdint>

namespace rt::sync {

enum RwKind : int32_t { kPreferReader = 0, kPreferWriter = 1, kPreferWriterNonrecursive = 2 };

struct RwLock {
  std::atomic<uint32_t> state;    // kWriter | readers
  std::atomic<uint32_t> writers;  // writers waiting
  std::atomic<uint32_t> seq;      // futex word of everyone waiting
  std::atomic<uint32_t> sleepers; // waiting on seq
  std::atomic<uint32_t> owner;    // self_id() of the writer
};

// 0, EDEADLK (the caller holds it for writing), EAGAIN (reader count full),
// ETIMEDOUT. deadline: CLOCK_MONOTONIC ns or kNoDeadline.
int rw_rdlock(RwLock* l, int kind, int64_t deadline);
// 0, EDEADLK, ETIMEDOUT.
int rw_wrlock(RwLock* l, int64_t deadline);
// 0, EBUSY (or EAGAIN for too many readers, EDEADLK never).
int rw_tryrdlock(RwLock* l, int kind);
int rw_trywrlock(RwLock* l);
// 0, or EPERM when it is not locked.
int rw_unlock(RwLock* l);

}  // namespace rt::sync
