// Start-up (STYLE §4): a constructor makes the main thread the first carrier
// and main() its first fiber. Calls that arrive before it (other libraries'
// constructors) pass straight through; so does everything if io_uring is
// missing, with one line saying so (DESIGN rule 7).
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>
#include <sys/single_threaded.h>
#include <cstring>

#include "export.h"
#include "runtime/abi/tls.h"
#include "runtime/config.h"
#include "runtime/offload.h"
#include "runtime/log.h"
#include "runtime/raw.h"
#include "runtime/sched.h"
#include "runtime/sys.h"
#include "threads.h"

extern char** environ;

namespace {

bool g_started = false;

void warn_line(const char* line) { rt::log::say("%s", line); }

// RINGLET_EXPLAIN: the one time ringlet writes to stdout, because it was
// asked to (ringlet --explain runs /bin/true for it).
void print_line(const char* line) {
  size_t n = strlen(line);
  rt::raw::write(1, line, n);
  rt::raw::write(1, "\n", 1);
}

}  // namespace

// In a forked child the calling fiber is all that is left, as the calling
// thread is all that is left of a threaded process: it carries on as the
// root of a fresh carrier with its own ring.
void ringlet::after_fork_child() {
  rt::offload::reset_after_fork();
  if (!rt::carrier()) return;
  rt::StartResult r = rt::restart_after_fork();
  if (r.err) rt::log::say("forked child: io_uring unavailable (%s); calls pass straight through", r.why);
}

namespace {

// How the offload pool makes its helper threads: glibc's pthread_create.
// glibc installs its SIGCANCEL and SIGSETXID handlers in the first
// pthread_create of a process it believes single-threaded, and ringlet's
// own pthread_create (fibers) has already told it otherwise; without those
// handlers a setuid would kill the process with SIGSETXID. So if no
// handler is installed for SIGSETXID yet (glibc never made a thread here,
// so no thread of glibc's can read the flag meanwhile), the helper is made
// with the flag set again.
int create_helper(pthread_t* t, const pthread_attr_t* a, void* (*fn)(void*), void* arg) {
  static bool first = true;
  if (first) {
    first = false;
    constexpr int kSigSetxid = 33;
    if (rt::raw::sigaction_of(kSigSetxid).handler == nullptr) __libc_single_threaded = 1;
  }
  return REAL(pthread_create)(t, a, fn, arg);
}

// Per-fiber TLS, checked before the first fiber exists (runtime/abi/tls.h).
void start_tls() {
  using rt::config::TlsMode;
  TlsMode want = rt::config::cfg.tls;
  rt::tls::Mode m = want == TlsMode::Shared      ? rt::tls::Mode::Shared
                    : want == TlsMode::ArchPrctl ? rt::tls::Mode::ArchPrctl
                    : want == TlsMode::Copy      ? rt::tls::Mode::Copy
                                                 : rt::tls::Mode::Fsgsbase;
  const char* why;
  if (rt::tls::init(m, &why) == rt::tls::Mode::Shared && m != rt::tls::Mode::Shared)
    rt::log::say("per-fiber thread-local storage unavailable (%s); __thread variables are shared by the "
                 "fibers of a carrier, errno stays per fiber",
                 why);
  RINGLET_DEBUG_LOG("thread-local storage: %s", rt::tls::mode() == rt::tls::Mode::Fsgsbase    ? "per fiber (WRFSBASE)"
                                                : rt::tls::mode() == rt::tls::Mode::ArchPrctl ? "per fiber (arch_prctl)"
                                                : rt::tls::mode() == rt::tls::Mode::Copy      ? "per fiber (copied)"
                                                                                              : "shared");
  if (rt::tls::tls_owner()) RINGLET_DEBUG_LOG("not copied: %s has thread-local variables", rt::tls::tls_owner());
}

// ---- stack overflow report (DESIGN rule 8) --------------------------------

char* utoa(unsigned long v, char* end) {
  *--end = 0;
  do {
    *--end = char('0' + v % 10);
    v /= 10;
  } while (v);
  return end;
}

void restore_default(int sig) {
  rt::raw::KSigaction dfl{};
  rt::raw::sys(SYS_rt_sigaction, sig, &dfl, nullptr, 8);
}

void on_fault(int sig, siginfo_t* si, void*) {
  rt::Fiber* f = rt::current();
  if (f && !(f->flags & rt::kFiberRoot) && f->stack.guard && f->stack.in_guard(si->si_addr)) {
    char id[24], kib[24];
    const char* name = f->name[0] ? f->name : "";
    const char* pieces[] = {"fiber ", utoa(f->id - rt::kFiberIdBase, id + sizeof id), name[0] ? " (" : "",
                            name, name[0] ? ")" : "", " overflowed its stack of ",
                            utoa(f->stack.size >> 10, kib + sizeof kib),
                            " KiB; give the thread a bigger stack, or set RINGLET_STACK_SIZE", nullptr};
    rt::log::say_raw(pieces);
  }
  // Let the fault happen again with the default action (a core dump).
  restore_default(sig);
}

// Installed only where the program has no handler of its own yet.
void install_overflow_report() {
  size_t size = 64 << 10;
  void* alt = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (alt == MAP_FAILED) return;
  stack_t ss{alt, 0, size};
  stack_t old;
  if (sigaltstack(nullptr, &old) == 0 && !(old.ss_flags & SS_DISABLE)) {
    munmap(alt, size);  // the program has its own alternate stack: keep it
  } else if (sigaltstack(&ss, nullptr) != 0) {
    munmap(alt, size);
    return;
  }
  for (int sig : {SIGSEGV, SIGBUS}) {
    struct sigaction cur;
    if (sigaction(sig, nullptr, &cur) != 0 || cur.sa_handler != SIG_DFL) continue;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, nullptr);
  }
}

__attribute__((constructor(101))) void ringlet_start() {
  if (g_started) return;
  g_started = true;
  rt::config::load(environ, nullptr);  // first pass: where to log
  if (rt::config::cfg.log_path && rt::log::open_file(rt::config::cfg.log_path) != 0)
    rt::log::say("RINGLET_LOG=%s cannot be opened; writing to stderr", rt::config::cfg.log_path);
  rt::config::load(environ, warn_line);
  rt::log::debug_enabled = rt::config::cfg.debug;
  ringlet::real::resolve();
  if (!rt::config::cfg.inherit) ringlet::drop_from_preload();
  if (rt::config::cfg.disabled) return;
  if (rt::config::cfg.carriers > 1)
    rt::log::say("RINGLET_CARRIERS=%d: this version runs one carrier; using 1", rt::config::cfg.carriers);
  rt::sys::configure(rt::config::cfg.families);
  if (rt::config::cfg.explain) rt::sys::explain(print_line);
  start_tls();
  rt::offload::set_thread_creator(create_helper);
  rt::StartResult r = rt::start_carrier();
  if (r.err) {
    rt::log::say("io_uring unavailable (%s); calls pass straight through, threads stay threads", r.why);
    return;
  }
  ringlet::set_root_handle(REAL(pthread_self)());
  rt::exit_process_with_last_fiber(true);
  pthread_atfork(nullptr, nullptr, ringlet::after_fork_child);
  ringlet::start_signal_routing();
  install_overflow_report();
  RINGLET_DEBUG_LOG("started: pid %d, stack %zu KiB, io %s", int(getpid()),
                    (rt::config::cfg.stack_size ?: 0) >> 10,
                    rt::config::cfg.io == rt::config::IoMode::Ring  ? "ring"
                    : rt::config::cfg.io == rt::config::IoMode::Try ? "try"
                                                                     : "auto");
}

}  // namespace
