// Per-fiber thread-local storage: each fiber gets its own thread control
// block (glibc's struct pthread) and static TLS, and the carrier's FS base
// is switched with the fiber, so `__thread`, `thread_local`, errno and
// libc's own per-thread state belong to the fiber, and a TLS address the
// compiler cached stays valid wherever the fiber runs.
//
// This is the one place that leans on glibc-private layout (STYLE §7):
//   - ld.so's _dl_allocate_tls / _dl_deallocate_tls / _dl_get_tls_static_info
//     (GLIBC_PRIVATE; the GCC sanitizers use them too),
//   - the x86-64 tcbhead_t at the thread pointer (tcb, dtv, self,
//     multiple_threads, stack and pointer guards: compiled into every
//     binary that uses the stack protector or PTR_MANGLE),
//   - struct pthread's size, tid and list fields as libc describes them to
//     libthread_db (_thread_db_* symbols), the robust list after tid,
//   - the rseq area at __rseq_offset,
//   - __ctype_init and __call_tls_dtors (GLIBC_PRIVATE), which glibc runs at
//     thread start and exit, and __resp (GLIBC_PRIVATE TLS), which it
//     points at the thread's own resolver state,
//   - the words of libc's TLS block that malloc sets on first use (tcache,
//     arena), found at start by watching a scratch block's first malloc:
//     fibers share their carrier's, because glibc's per-thread cleanup that
//     would free a fiber's own is not reachable from outside libc.
// init() checks every assumption on the running process and exercises a
// scratch control block; if anything is off, per-fiber TLS stays disabled
// (the scheduler then saves errno per fiber and __thread is per carrier)
// and the reason is returned for a one-line message.
//
// Copy mode (where WRFSBASE is unavailable and arch_prctl costs microseconds,
// as in VMs that trap the MSR write): the FS base never moves. Each fiber
// owns an image of the static TLS blocks (the used part only, 168 bytes for
// a C program), of the DTV pointer and of the words of struct pthread where
// strerror and strsignal keep their messages; a switch copies the outgoing
// fiber's out of the carrier's and the incoming one's in. Every TLS address is
// then the carrier's: valid for the fiber wherever it runs on that carrier
// (fibers never change carrier), but the same for all of them, so
//   - a pointer into one fiber's TLS read by another fiber reads its own
//     copy (pass heap or stack memory between threads, not __thread),
//   - memory the kernel reads or writes while the fiber is parked must not
//     be a TLS address: the I/O paths ask aliased() and then make the call
//     without parking on it (a readiness wait and a non-blocking retry, or
//     the plain system call),
//   - struct pthread (pthread_self is ringlet's; glibc's THREAD_SELF, tid,
//     the robust list head) is the carrier's.
// Dynamic TLS stays per fiber: each fiber has its own DTV, whose static
// entries point at the carrier's blocks.
#pragma once

#include <cstddef>
#include <cstdint>

struct iovec;

namespace rt::tls {

enum class Mode : uint8_t { Shared, Fsgsbase, ArchPrctl, Copy };

// Once, on the first carrier, from its root context. `want`: Fsgsbase (use
// WRFSBASE where the CPU and kernel allow it, else copy if no module but
// libc, libstdc++ and ringlet has static TLS, else arch_prctl), ArchPrctl
// (force the system call), Copy, Shared (keep shared TLS). Returns the mode in
// effect; on a fallback *why says why.
Mode init(Mode want, const char** why);
// The layout checks alone, against the control block at `tp` (init runs
// them on the calling thread's): null if every assumption holds, else the
// first that does not.
const char* check(void* tp);
extern Mode g_mode;
inline Mode mode() { return g_mode; }
// After init without WRFSBASE: the first module whose own static TLS ruled
// out copying (null if none).
const char* tls_owner();
inline bool per_fiber() { return mode() != Mode::Shared; }
inline bool copies() { return mode() == Mode::Copy; }

// Copy mode: bytes of static TLS below the thread pointer that a switch
// copies (0 in every other mode).
extern size_t g_copy_span;
// The calling thread's thread pointer.
inline void* get_tp() {
  void* p;
  __asm__("mov %%fs:0, %0" : "=r"(p));
  return p;
}
// Copy mode: whether [p, p + n) touches the calling carrier's static TLS,
// i.e. memory that is another fiber's as soon as this one parks.
inline bool aliased(const void* p, size_t n) {
  if (!g_copy_span) return false;
  auto a = reinterpret_cast<uintptr_t>(p), tp = reinterpret_cast<uintptr_t>(get_tp());
  return a < tp && a + n > tp - g_copy_span;
}
// The same for an iovec array and every buffer it names.
bool aliased_iov(const struct iovec* v, int n);
// Copy mode: the image a carrier's root fiber saves its TLS into.
void* root_image();
// Copy mode, at a switch: saves the carrier's TLS into image `out` and
// loads image `in`.
void swap(void* out, void* in);

// Bytes a fiber's control block and static TLS take at the top of its
// stack (0 with shared TLS).
size_t area_size();

// Builds a control block whose area ends at `top` (exclusive) for a fiber
// of the carrier whose root thread pointer is `root_tp`. Returns the
// fiber's thread pointer, or null (no memory for the DTV).
void* create(char* top, void* root_tp);
// Frees what create allocated besides the area itself (DTV, dynamic TLS).
void destroy(void* tp);

// Switching the calling thread's thread pointer (get_tp reads it).
void set_tp(void* tp);

// Runs fn(arg) with the thread pointer `tp` (another control block of the
// calling thread: its carrier's own; in copy mode the FS base already is
// the carrier's and fn runs as it is) and comes back; *err receives errno as
// fn left it there. For glibc calls that must see the kernel thread's own
// control block (the set*id family signals every other thread it knows).
int call_as(void* tp, int (*fn)(void*), void* arg, int* err);

// At a fiber's start, in the fiber: what glibc's start_thread does first.
void fiber_started();
// At a fiber's end, in the fiber: its C++ thread_local destructors.
void fiber_ending();

// Where the calling thread's copy of a static (initial-exec) TLS variable
// would be in the control block at `tp`.
template <typename T>
T* in_block(void* tp, T* var) {
  return reinterpret_cast<T*>(static_cast<char*>(tp) + (reinterpret_cast<char*>(var) - static_cast<char*>(get_tp())));
}

}  // namespace rt::tls
