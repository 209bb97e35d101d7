// Configuration: one table of RINGLET_* variables (DESIGN "Configuration").
//
// Parsed tolerantly at start: a bad value is one warning line and the
// default. The launcher (tools/launcher) uses the same table to validate its
// flags strictly, so both speak with one voice.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rt::config {

enum class IoMode : uint8_t { Auto, Try, Ring };

// Thread-local storage of fibers (RINGLET_TLS): their own, switched with
// WRFSBASE (or arch_prctl where the CPU or kernel lacks it), or shared with
// their carrier.
enum class TlsMode : uint8_t { Auto, ArchPrctl, Copy, Shared };

// Families of calls that ringlet reroutes (RINGLET_PATCH). A family that is
// switched off passes straight to the kernel.
enum Family : uint32_t {
  kIo = 1u << 0,    // read, write, readv, writev, pread, pwrite, ...
  kNet = 1u << 1,   // recv*, send*, accept, connect
  kPoll = 1u << 2,  // poll, ppoll, select, pselect, epoll_wait, epoll_pwait
  kTime = 1u << 3,  // sleep, usleep, nanosleep, clock_nanosleep, sched_yield
  kProc = 1u << 4,  // wait, waitpid, wait3, wait4, waitid
  kSignal = 1u << 5,  // sigwait, sigwaitinfo, sigtimedwait, sigsuspend, pause
  kAllFamilies = kIo | kNet | kPoll | kTime | kProc | kSignal,
};

struct Config {
  int carriers = 1;
  size_t stack_size = 0;        // 0: RLIMIT_STACK, like glibc
  const char* log_path = nullptr;
  IoMode io = IoMode::Auto;
  TlsMode tls = TlsMode::Auto;
  uint32_t families = kAllFamilies;
  unsigned ring_entries = 1024;
  bool debug = false;
  bool disabled = false;
  bool explain = false;  // print the policy table to stdout at start
  bool inherit = true;   // children (exec, posix_spawn, system, popen) keep the preload
};

// The live configuration (written once by load(), read-only afterwards).
extern Config cfg;

struct Option {
  const char* env;      // RINGLET_CARRIERS
  const char* flag;     // --carriers (nullptr: no launcher flag)
  const char* metavar;  // N
  const char* help;
  // Parses `value` into `out`; on failure writes a reason into err.
  bool (*parse)(const char* value, Config& out, char* err, size_t errlen);
};

extern const Option kOptions[];
extern const size_t kOptionCount;

// Reads RINGLET_* from envp. Bad values: one warning each through `warn`
// (may be nullptr), default kept.
void load(char* const* envp, void (*warn)(const char* line));

// Parses a size such as 65536, 64K, 8M, 1G. Returns false on junk/overflow.
bool parse_size(const char* s, size_t* out);

const char* family_name(uint32_t family_bit);

}  // namespace rt::config
