// One-time initialization (pthread_once) in glibc's encoding: 0 not run,
// bit 0 running, bit 1 done, so a control word glibc already completed reads
// as done here. The caller that wins runs the routine between once_enter
// and once_done; if the routine is cancelled or throws, once_abort lets the
// next caller run it (POSIX). Others wait, parked, until it is done.
// F or T.
#pragma once

#include <atomic>
#include <cstdint>

namespace rt::sync {

// true: the caller must run the routine now.
bool once_enter(std::atomic<uint32_t>* ctl);
void once_done(std::atomic<uint32_t>* ctl);
void once_abort(std::atomic<uint32_t>* ctl);

}  // namespace rt::sync
