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
//     thread start and exit,
//   - the words of libc's TLS block that malloc sets on first use (tcache,
//     arena), found at start by watching a scratch block's first malloc:
//     fibers share their carrier's, because glibc's per-thread cleanup that
//     would free a fiber's own is not reachable from outside libc.
// init() checks every assumption on the running process and exercises a
// scratch control block; if anything is off, per-fiber TLS stays disabled
// (the scheduler then saves errno per fiber and __thread is per carrier)
// and the reason is returned for a one-line message.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rt::tls {

enum class Mode : uint8_t { Shared, Fsgsbase, ArchPrctl };

// Once, on the first carrier, from its root context. `want`: Fsgsbase (use
// WRFSBASE where the CPU and kernel allow it, else arch_prctl), ArchPrctl
// (force the system call), Shared (keep shared TLS). Returns the mode in
// effect; on a fallback *why says why.
Mode init(Mode want, const char** why);
// The layout checks alone, against the control block at `tp` (init runs
// them on the calling thread's): null if every assumption holds, else the
// first that does not.
const char* check(void* tp);
Mode mode();
inline bool per_fiber() { return mode() != Mode::Shared; }

// Bytes a fiber's control block and static TLS take at the top of its
// stack (0 with shared TLS).
size_t area_size();

// Builds a control block whose area ends at `top` (exclusive) for a fiber
// of the carrier whose root thread pointer is `root_tp`. Returns the
// fiber's thread pointer, or null (no memory for the DTV).
void* create(char* top, void* root_tp);
// Frees what create allocated besides the area itself (DTV, dynamic TLS).
void destroy(void* tp);

// The calling thread's thread pointer, and switching it.
void* get_tp();
void set_tp(void* tp);

// Runs fn(arg) with the thread pointer `tp` (another control block of the
// calling thread: its carrier's own) and comes back; *err receives errno as
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
