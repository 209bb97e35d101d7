#include "tls.h"

#include <asm/prctl.h>
#include <cctype>
#include <csignal>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <link.h>
#include <bits/types/res_state.h>  // struct __res_state, without resolv.h's macros
#include <sys/auxv.h>
#include <sys/uio.h>

#include "../raw.h"

namespace rt::tls {

Mode g_mode = Mode::Shared;
size_t g_copy_span = 0;

namespace {

const char* g_tls_owner;

void* create_block(char* top, void* root);

// tcbhead_t on x86-64 (sysdeps/x86_64/nptl/tls.h): fixed by the ABI that
// compiled code relies on (%fs:0x28 is the stack protector's canary).
constexpr size_t kTcb = 0x00, kSelf = 0x10, kMultipleThreads = 0x18;
constexpr size_t kCopyFrom = 0x20, kCopyTo = 0x50;  // sysinfo .. feature_1
constexpr uint32_t kRseqCpuIdFailed = uint32_t(-2);  // RSEQ_CPU_ID_REGISTRATION_FAILED

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

// Copy mode: the initial image of the static blocks (g_copy_span bytes, as
// a new thread's would be) and a DTV for new fibers (dynamic modules not
// allocated yet, static ones at the carrier's blocks).
char* g_image;
struct Dtv {  // glibc's dtv_t: {counter} or {val, to_free}; dtv[-1] counts the slots
  void* val;
  void* to_free;
};
Dtv* g_dtv_image;
size_t g_dtv_bytes;
constexpr size_t kHeader = 64;  // an image's header: tcb and dtv words, one line
// Words of struct pthread that libc keeps per thread outside the TLS
// blocks: the buffers strerror and strsignal return for numbers they do not
// know (glibc's tls_state), found as the words that point at what they
// returned. With copied TLS they travel with the fiber in its image's
// header, after tcb and dtv; at a fiber's end they are freed, as glibc
// does at a thread's.
constexpr unsigned kMaxStateWords = 4;
size_t g_state_words[kMaxStateWords];  // offsets from the thread pointer
unsigned g_nstate = 0;
constexpr size_t kStateAt = 16;  // where they are kept in an image's header
// The resolver's state: glibc gives each thread its own (in struct pthread)
// and points libc's __resp at it when the thread starts; a fiber gets one
// at the bottom of its area. g_resp_off: __resp from the thread pointer.
constexpr size_t kResArea = ((sizeof(struct __res_state) + 63) & ~size_t{63}) + 64;  // and room to align it
long g_resp_off = 0;

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
  size_t modid = 0;
};

int find_libc(dl_phdr_info* info, size_t, void* arg) {
  auto* l = static_cast<LibcTls*>(arg);
  if (reinterpret_cast<void*>(info->dlpi_addr) != l->fbase) return 0;
  for (int i = 0; i < info->dlpi_phnum; ++i)
    if (info->dlpi_phdr[i].p_type == PT_TLS) l->size = info->dlpi_phdr[i].p_memsz;
  l->block = static_cast<char*>(info->dlpi_tls_data);
  l->modid = info->dlpi_tls_modid;
  return 1;
}

// How far below the thread pointer the loaded modules' static blocks reach.
struct Span {
  char* tp;
  size_t used = 0;
};

int find_span(dl_phdr_info* info, size_t, void* arg) {
  auto* s = static_cast<Span*>(arg);
  auto* d = static_cast<char*>(info->dlpi_tls_data);
  if (d && d < s->tp && size_t(s->tp - d) <= g_static_size && size_t(s->tp - d) > s->used) s->used = size_t(s->tp - d);
  return 0;
}

size_t g_libc_modid;

// The first module with static TLS of its own besides libc, libstdc++ and
// ringlet: those keep nothing in TLS whose address another thread uses
// (errno, locale, exception stacks, the runtime's carrier pointer).
struct Owner {
  ElfW(Addr) self;  // ringlet's own module, whatever its file is called
  const char* name = nullptr;
};

bool known_tls(const char* path) {
  const char* base = strrchr(path, '/');
  base = base ? base + 1 : path;
  static const char* const kKnown[] = {"libc.so", "libstdc++.so", "libgcc_s.so"};
  for (const char* k : kKnown)
    if (!strncmp(base, k, strlen(k))) return true;
  return false;
}

int find_owner(dl_phdr_info* info, size_t, void* arg) {
  auto* o = static_cast<Owner*>(arg);
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    if (info->dlpi_phdr[i].p_type != PT_TLS || info->dlpi_phdr[i].p_memsz == 0) continue;
    if ((info->dlpi_addr == o->self && info->dlpi_name[0]) || known_tls(info->dlpi_name)) return 0;
    o->name = info->dlpi_name[0] ? info->dlpi_name : "the program";
    return 1;
  }
  return 0;
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
  g_libc_modid = l.modid;
  // __resp is a TLS variable: dlvsym answers with the caller's instance.
  auto* resp = static_cast<char*>(dlvsym(RTLD_DEFAULT, "__resp", "GLIBC_PRIVATE"));
  g_resp_off = resp && resp >= l.block && resp + 8 <= l.block + l.size ? resp - static_cast<char*>(tp) : 0;
  return nullptr;
}

// Which words of the caller's struct pthread hold the messages strerror
// and strsignal build for numbers they do not know: the ones that point at
// what they returned.
const char* find_state_words(char* tp) {
  const void* made[] = {strerror(0x7ffe1234), strsignal(SIGRTMIN + 7)};
  g_nstate = 0;
  for (const void* m : made) {
    for (size_t off = kHeader; off + 8 <= g_tcb_size; off += 8) {
      if (at<const void*>(tp, off) != m) continue;
      if (g_nstate == kMaxStateWords) return "strerror's buffers are not found";
      g_state_words[g_nstate++] = off;
      break;
    }
  }
  return nullptr;
}

// What create or create_copy allocated besides the area, and what glibc
// frees at a thread's exit: the messages strerror and strsignal left (in an
// image's header, or in a block's own struct pthread), the DTV and the
// dynamic TLS blocks.
void release(void* tp, bool image) {
  for (unsigned i = 0; i < g_nstate; ++i) free(at<void*>(tp, image ? kStateAt + 8 * i : g_state_words[i]));
  p_deallocate(tp, false);
}

// Copy mode's own assumptions: the used static blocks, the rseq area outside
// them (the kernel writes it), and the DTV as glibc lays it out (checked on
// libc's own entry, which must point at its static block).
const char* prepare_copy(char* tp) {
  Span sp{tp};
  dl_iterate_phdr(find_span, &sp);
  size_t span = (sp.used + 15) & ~size_t{15};
  if (!span || span > (g_static_size - g_tcb_size) || span < size_t(g_libc_off)) return "the static TLS blocks are not found";
  if (g_rseq_size && g_rseq_off < long(kHeader) && g_rseq_off + long(g_rseq_size) > -long(span))
    return "the rseq area lies in static TLS";
  size_t val_off;
  if (!db_field("_thread_db_dtv_t_pointer_val", 64, &val_off) || val_off != 0)
    return "the DTV's entries are not described";
  auto* dtv = at<Dtv*>(tp, 8);
  size_t n = reinterpret_cast<size_t>(dtv[-1].val);
  if (n < g_libc_modid || n > 65536 || dtv[g_libc_modid].val != tp - g_libc_off)
    return "the DTV is not laid out as glibc's";
  g_dtv_bytes = (n + 2) * sizeof(Dtv);
  g_dtv_image = static_cast<Dtv*>(malloc(g_dtv_bytes));
  g_image = static_cast<char*>(malloc(span));
  if (!g_dtv_image || !g_image) return "out of memory";
  memcpy(g_dtv_image, dtv - 1, g_dtv_bytes);
  for (size_t i = 2; i < n + 2; ++i) {
    auto* v = static_cast<char*>(g_dtv_image[i].val);
    if (v && !(v < tp && size_t(tp - v) <= g_static_size)) g_dtv_image[i].val = reinterpret_cast<void*>(-1L);  // unallocated
    g_dtv_image[i].to_free = nullptr;
  }
  // The initial image: what the loader puts in a new thread's blocks.
  size_t len = g_static_size + g_static_align;
  auto* buf = static_cast<char*>(malloc(len));
  if (!buf) return "out of memory";
  char* fresh = static_cast<char*>(create_block(buf + len, tp));
  if (!fresh) return "the dynamic loader could not set up a TLS block";
  memcpy(g_image, fresh - span, span);
  release(fresh, false);
  free(buf);
  g_copy_span = span;
  return nullptr;
}

// __errno_location is declared const: called through a volatile pointer,
// the compiler cannot reuse an answer from another TLS block.
int* (*volatile g_errno_location)() = __errno_location;

void set_tp_raw(Mode m, void* tp) {
  if (m == Mode::Fsgsbase) __asm__ volatile("wrfsbase %0" ::"r"(tp) : "memory");
  else raw::sys(SYS_arch_prctl, ARCH_SET_FS, tp);
}

// Copy mode: the thread pointer of an image whose area ends at `top`.
char* image_at(char* top) { return reinterpret_cast<char*>((reinterpret_cast<uintptr_t>(top) - kHeader) & ~uintptr_t{63}); }

// Copy mode: a new fiber's image (the initial static blocks, its own DTV).
void* create_copy(char* top) {
  char* tp = image_at(top);
  auto* dtv = static_cast<Dtv*>(malloc(g_dtv_bytes));
  if (!dtv) return nullptr;
  memcpy(dtv, g_dtv_image, g_dtv_bytes);
  memcpy(tp - g_copy_span, g_image, g_copy_span);
  at<void*>(tp, kTcb) = tp;
  at<Dtv*>(tp, 8) = dtv + 1;
  for (unsigned i = 0; i < g_nstate; ++i) at<void*>(tp, kStateAt + 8 * i) = nullptr;
  return tp;
}

// Runs a scratch control block once: its init image, its own errno, libc's
// per-thread start, and which words of libc's block malloc sets.
const char* probe(Mode m, void* root) {
  size_t len = (m == Mode::Copy ? g_copy_span + 2 * kHeader : g_static_size + g_static_align);
  auto* buf = static_cast<char*>(malloc(len));
  auto* saved = static_cast<char*>(m == Mode::Copy ? malloc(len) : nullptr);
  if (!buf || (m == Mode::Copy && !saved)) return "out of memory";
  void* tp = m == Mode::Copy ? create_copy(buf + len) : create_block(buf + len, root);
  void* root_img = m == Mode::Copy ? image_at(saved + len) : root;
  if (!tp) return "the dynamic loader could not set up a TLS block";
  unsigned char before[4096], after[4096];
  // Where libc's block is while the scratch one is in use.
  char* block = static_cast<char*>(m == Mode::Copy ? root : tp) - g_libc_off;
  int* volatile errno_at = g_errno_location();
  *errno_at = 0x3e;
  if (m == Mode::Copy) swap(root_img, tp);
  else set_tp_raw(m, tp);
  bool image = tl_probe == 0x5a17;
  tl_probe = 1;
  errno_at = g_errno_location();
  bool own_errno = *errno_at == 0;
  *errno_at = 77;
  p_ctype_init();
  bool ctype = isalpha('a') && !isalpha('1');
  memcpy(before, block, g_libc_size);
  void* volatile p = malloc(64);
  free(p);
  memcpy(after, block, g_libc_size);
  if (m == Mode::Copy) swap(tp, root_img);
  else set_tp_raw(m, root);
  errno_at = g_errno_location();
  if (*errno_at != 0x3e) own_errno = false;
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
  release(tp, m == Mode::Copy);
  free(buf);
  free(saved);
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
  g_copy_span = 0;
  if (want == Mode::Shared) {
    *why = "RINGLET_TLS=shared";
    return g_mode;
  }
  Mode m = want;
  if (m == Mode::Fsgsbase && !fsgsbase_usable()) {
    // Copying is exact for TLS nobody else reads; a program with __thread
    // variables of its own may pass their addresses to other threads.
    Dl_info self;
    Owner o{dladdr(reinterpret_cast<void*>(&init), &self) ? reinterpret_cast<ElfW(Addr)>(self.dli_fbase) : 0};
    dl_iterate_phdr(find_owner, &o);
    g_tls_owner = o.name;
    m = o.name ? Mode::ArchPrctl : Mode::Copy;
  }
  void* tp = get_tp();
  if (const char* e = check_layout(tp)) {
    *why = e;
    return g_mode;
  }
  if (const char* e = find_state_words(static_cast<char*>(tp))) {
    *why = e;
    return g_mode;
  }
  if (m == Mode::Copy) {
    if (const char* e = prepare_copy(static_cast<char*>(tp))) {
      g_copy_span = 0;
      *why = e;
      return g_mode;
    }
  }
  if (const char* e = probe(m, tp)) {
    g_copy_span = 0;
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

bool aliased_iov(const iovec* v, int n) {
  if (!g_copy_span || n <= 0) return false;
  if (aliased(v, sizeof(iovec) * size_t(n))) return true;
  for (int i = 0; i < n; ++i)
    if (aliased(v[i].iov_base, v[i].iov_len)) return true;
  return false;
}

const char* tls_owner() { return g_tls_owner; }

size_t area_size() {
  size_t res = g_resp_off ? kResArea : 0;
  if (g_mode == Mode::Copy) return ((g_copy_span + 63) & ~size_t{63}) + 2 * kHeader + res;
  return per_fiber() ? g_static_size + g_static_align + res : 0;
}

void set_tp(void* tp) { set_tp_raw(g_mode, tp); }

void* create(char* top, void* root) {
  void* tp = g_mode == Mode::Copy ? create_copy(top) : create_block(top, root);
  if (tp && g_resp_off) {
    // Its own resolver state, zeroed as a new thread's, at the bottom of the
    // area (below the static blocks or the image).
    auto* res = reinterpret_cast<struct __res_state*>((reinterpret_cast<uintptr_t>(top) - area_size() + 63) & ~uintptr_t{63});
    memset(res, 0, sizeof *res);
    at<struct __res_state*>(tp, size_t(g_resp_off)) = res;
  }
  return tp;
}

void* root_image() {
  size_t len = area_size();
  auto* m = static_cast<char*>(aligned_alloc(64, len));
  return m ? image_at(m + len) : nullptr;
}

void swap(void* out, void* in) {
  char* live = static_cast<char*>(get_tp());
  size_t n = g_copy_span;
  memcpy(static_cast<char*>(out) - n, live - n, n);
  at<void*>(out, 8) = at<void*>(live, 8);
  // malloc's per-thread words stay the carrier's (see the top of tls.h).
  char* libc = live - g_libc_off;
  uint64_t keep[kMaxMallocWords];
  for (unsigned i = 0; i < g_nmalloc; ++i) keep[i] = at<uint64_t>(libc, g_malloc_words[i]);
  memcpy(live - n, static_cast<char*>(in) - n, n);
  for (unsigned i = 0; i < g_nmalloc; ++i) at<uint64_t>(libc, g_malloc_words[i]) = keep[i];
  at<void*>(live, 8) = at<void*>(in, 8);
  for (unsigned i = 0; i < g_nstate; ++i) {
    at<void*>(out, kStateAt + 8 * i) = at<void*>(live, g_state_words[i]);
    at<void*>(live, g_state_words[i]) = at<void*>(in, kStateAt + 8 * i);
  }
}

namespace {

void* create_block(char* top, void* root) {
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

}  // namespace

void destroy(void* tp) { release(tp, g_mode == Mode::Copy); }

int call_as(void* tp, int (*fn)(void*), void* arg, int* err) {
  if (g_mode == Mode::Copy) {
    int r = fn(arg);
    *err = *g_errno_location();
    return r;
  }
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
