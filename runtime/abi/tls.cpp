#include "tls.h"

#include <asm/prctl.h>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <link.h>
#include <sys/auxv.h>

#include "../raw.h"

namespace rt::tls {

namespace {

// tcbhead_t on x86-64 (sysdeps/x86_64/nptl/tls.h): fixed by the ABI that
// compiled code relies on (%fs:0x28 is the stack protector's canary).
constexpr size_t kTcb = 0x00, kSelf = 0x10, kMultipleThreads = 0x18;
constexpr size_t kCopyFrom = 0x20, kCopyTo = 0x50;  // sysinfo .. feature_1
constexpr uint32_t kRseqCpuIdFailed = uint32_t(-2);  // RSEQ_CPU_ID_REGISTRATION_FAILED

Mode g_mode = Mode::Shared;

void* (*p_allocate)(void*);
void (*p_deallocate)(void*, bool);
void (*p_static_info)(size_t*, size_t*);
void (*p_ctype_init)();
void (*p_call_tls_dtors)();

size_t g_static_size, g_static_align, g_tcb_size;
size_t g_tid_off, g_list_off;
bool g_robust_ok;
long g_robust_futex_offset;
long g_rseq_off = 0;
unsigned g_rseq_size = 0;
long g_libc_off;     // thread pointer minus the start of libc's TLS block
size_t g_libc_size;
constexpr unsigned kMaxMallocWords = 4;
size_t g_malloc_words[kMaxMallocWords];  // offsets in libc's block
unsigned g_nmalloc = 0;

// Proves that a new block got the initialization image (.tdata) and that a
// write in one block stays there.
thread_local int tl_probe __attribute__((tls_model("initial-exec"))) = 0x5a17;

template <typename T>
T& at(void* base, size_t off) {
  return *reinterpret_cast<T*>(static_cast<char*>(base) + off);
}

template <typename T>
bool sym(T* out, const char* name, const char* version) {
  *out = reinterpret_cast<T>(dlvsym(RTLD_DEFAULT, name, version));
  return *out != nullptr;
}

// A libthread_db field description: {bits, count, offset}.
bool db_field(const char* name, size_t bits, size_t* off) {
  const uint32_t* d;
  if (!sym(&d, name, "GLIBC_PRIVATE")) return false;
  if (d[0] != bits) return false;
  *off = d[2];
  return true;
}

struct LibcTls {
  void* fbase;
  char* block = nullptr;
  size_t size = 0;
};

int find_libc(dl_phdr_info* info, size_t, void* arg) {
  auto* l = static_cast<LibcTls*>(arg);
  if (reinterpret_cast<void*>(info->dlpi_addr) != l->fbase) return 0;
  for (int i = 0; i < info->dlpi_phnum; ++i)
    if (info->dlpi_phdr[i].p_type == PT_TLS) l->size = info->dlpi_phdr[i].p_memsz;
  l->block = static_cast<char*>(info->dlpi_tls_data);
  return 1;
}

const char* check_layout(void* tp) {
  if (!sym(&p_allocate, "_dl_allocate_tls", "GLIBC_PRIVATE") ||
      !sym(&p_deallocate, "_dl_deallocate_tls", "GLIBC_PRIVATE") ||
      !sym(&p_static_info, "_dl_get_tls_static_info", "GLIBC_PRIVATE"))
    return "the dynamic loader's TLS allocator is not reachable";
  if (!sym(&p_ctype_init, "__ctype_init", "GLIBC_PRIVATE") ||
      !sym(&p_call_tls_dtors, "__call_tls_dtors", "GLIBC_PRIVATE"))
    return "glibc's thread start and exit hooks are not reachable";
  if (at<void*>(tp, kTcb) != tp || at<void*>(tp, kSelf) != tp)
    return "the thread control block is not where x86-64 glibc keeps it";
  const uint32_t* size;
  if (!sym(&size, "_thread_db_sizeof_pthread", "GLIBC_PRIVATE") || *size < 1024 || *size > 16384)
    return "struct pthread's size is not described";
  g_tcb_size = *size;
  if (!db_field("_thread_db_pthread_tid", 32, &g_tid_off) || g_tid_off + 4 > g_tcb_size ||
      at<int>(tp, g_tid_off) != int(raw::gettid()))
    return "struct pthread's tid is not where libthread_db says";
  if (!db_field("_thread_db_pthread_list", 128, &g_list_off) || g_list_off + 16 > g_tcb_size)
    return "struct pthread's list link is not described";
  // robust_head follows tid and robust_prev: an empty list points to itself.
  size_t robust = g_tid_off + 16;
  g_robust_ok = robust + 24 <= g_tcb_size && at<void*>(tp, robust) == static_cast<char*>(tp) + robust;
  if (g_robust_ok) g_robust_futex_offset = at<long>(tp, robust + 8);
  p_static_info(&g_static_size, &g_static_align);
  if (g_static_size <= g_tcb_size || g_static_align == 0 || (g_static_align & (g_static_align - 1)) ||
      g_static_align > 4096)
    return "the static TLS size is implausible";
  const long* rseq_off;
  const unsigned* rseq_size;
  if (sym(&rseq_off, "__rseq_offset", "GLIBC_2.35") && sym(&rseq_size, "__rseq_size", "GLIBC_2.35")) {
    g_rseq_off = *rseq_off;
    g_rseq_size = *rseq_size;
  }
  Dl_info di;
  if (!dladdr(reinterpret_cast<void*>(p_ctype_init), &di)) return "libc is not found";
  LibcTls l{di.dli_fbase};
  dl_iterate_phdr(find_libc, &l);
  if (!l.block || !l.size || l.size > 4096) return "libc's TLS block is not found";
  g_libc_off = static_cast<char*>(tp) - l.block;
  g_libc_size = l.size;
  return nullptr;
}

// __errno_location is declared const: called through a volatile pointer,
// the compiler cannot reuse an answer from another TLS block.
int* (*volatile g_errno_location)() = __errno_location;

void set_tp_raw(Mode m, void* tp) {
  if (m == Mode::Fsgsbase) __asm__ volatile("wrfsbase %0" ::"r"(tp) : "memory");
  else raw::sys(SYS_arch_prctl, ARCH_SET_FS, tp);
}

// Runs a scratch control block once: its init image, its own errno, libc's
// per-thread start, and which words of libc's block malloc sets.
const char* probe(Mode m, void* root) {
  size_t len = g_static_size + g_static_align;
  auto* buf = static_cast<char*>(malloc(len));
  if (!buf) return "out of memory";
  void* tp = create(buf + len, root);
  if (!tp) return "the dynamic loader could not set up a TLS block";
  unsigned char before[4096], after[4096];
  char* block = static_cast<char*>(tp) - g_libc_off;
  int* root_errno = g_errno_location();
  set_tp_raw(m, tp);
  bool image = tl_probe == 0x5a17;
  tl_probe = 1;
  bool own_errno = g_errno_location() != root_errno;
  p_ctype_init();
  bool ctype = isalpha('a') && !isalpha('1');
  memcpy(before, block, g_libc_size);
  void* volatile p = malloc(64);
  free(p);
  memcpy(after, block, g_libc_size);
  set_tp_raw(m, root);
  if (!image || tl_probe != 0x5a17) return "a new TLS block does not hold its own variables";
  if (!own_errno) return "errno does not move with the TLS block";
  if (!ctype) return "libc's character tables do not start in a new TLS block";
  g_nmalloc = 0;
  for (size_t i = 0; i + 8 <= g_libc_size; i += 8) {
    if (memcmp(before + i, after + i, 8) == 0) continue;
    if (g_nmalloc == kMaxMallocWords) return "malloc sets too many per-thread words";
    g_malloc_words[g_nmalloc++] = i;
  }
  // The scratch block's DTV is freed; what its first malloc set up (a
  // cache, maybe an arena) stays allocated, once.
  destroy(tp);
  free(buf);
  return nullptr;
}

// Whether the kernel lets user code write the FS base and keeps what it
// wrote (CR4.FSGSBASE, Linux 5.9+): only AT_HWCAP2 says so. Where the
// kernel does not report it, the instruction may still execute (a
// hypervisor's CR4) but the kernel restores its own idea of the base at
// every context switch, so it cannot be used.
bool fsgsbase_usable() { return getauxval(AT_HWCAP2) & 2 /* HWCAP2_FSGSBASE */; }

}  // namespace

Mode init(Mode want, const char** why) {
  *why = "";
  g_mode = Mode::Shared;
  if (want == Mode::Shared) {
    *why = "RINGLET_TLS=shared";
    return g_mode;
  }
  Mode m = want;
  if (m == Mode::Fsgsbase && !fsgsbase_usable()) m = Mode::ArchPrctl;
  void* tp = get_tp();
  if (const char* e = check_layout(tp)) {
    *why = e;
    return g_mode;
  }
  if (const char* e = probe(m, tp)) {
    *why = e;
    return g_mode;
  }
  // The root now shares malloc's per-thread state with its fibers: make it
  // take malloc's locks, as a thread of a threaded process does.
  at<int>(tp, kMultipleThreads) = 1;
  g_mode = m;
  return g_mode;
}

const char* check(void* tp) { return check_layout(tp); }

Mode mode() { return g_mode; }

size_t area_size() { return per_fiber() ? g_static_size + g_static_align : 0; }

void* get_tp() {
  void* p;
  __asm__("mov %%fs:0, %0" : "=r"(p));
  return p;
}

void set_tp(void* tp) { set_tp_raw(g_mode, tp); }

void* create(char* top, void* root) {
  auto t = (reinterpret_cast<uintptr_t>(top) - g_tcb_size) & ~(g_static_align - 1);
  auto* tp = reinterpret_cast<char*>(t);
  memset(tp, 0, g_tcb_size);
  at<void*>(tp, kTcb) = tp;
  at<void*>(tp, kSelf) = tp;
  at<int>(tp, kMultipleThreads) = 1;
  memcpy(tp + kCopyFrom, static_cast<char*>(root) + kCopyFrom, kCopyTo - kCopyFrom);  // guards, CET bits
  char* list = tp + g_list_off;  // an empty list link, so that fork's list_del is harmless
  at<void*>(list, 0) = list;
  at<void*>(list, 8) = list;
  at<int>(tp, g_tid_off) = at<int>(root, g_tid_off);  // raise() signals the carrier
  if (g_robust_ok) {
    size_t robust = g_tid_off + 16;
    at<void*>(tp, robust) = tp + robust;
    at<long>(tp, robust + 8) = g_robust_futex_offset;
  }
  if (g_rseq_size) at<uint32_t>(tp, size_t(g_rseq_off) + 4) = kRseqCpuIdFailed;  // sched_getcpu asks the kernel
  if (!p_allocate(tp)) return nullptr;
  char* block = tp - g_libc_off;
  const char* root_block = static_cast<char*>(root) - g_libc_off;
  for (unsigned i = 0; i < g_nmalloc; ++i)
    memcpy(block + g_malloc_words[i], root_block + g_malloc_words[i], 8);
  return tp;
}

void destroy(void* tp) { p_deallocate(tp, false); }

int call_as(void* tp, int (*fn)(void*), void* arg, int* err) {
  void* own = get_tp();
  set_tp(tp);
  int r = fn(arg);
  *err = *g_errno_location();
  set_tp(own);
  return r;
}

void fiber_started() {
  if (per_fiber()) p_ctype_init();
}

void fiber_ending() {
  if (per_fiber()) p_call_tls_dtors();
}

}  // namespace rt::tls
