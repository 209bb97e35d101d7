// switch_cost [--rounds N]: what one switch costs, measured in one process
// (tools/bench runs it; DESIGN's layers make each part measurable alone):
//
//   bare       two contexts switching with the runtime's ctx_switch alone
//              (callee-saved registers, stack pointer, MXCSR, x87 CW)
//   fiber      two fibers yielding to each other through the scheduler,
//              fibers sharing their carrier's TLS
//   fiber_tls  the same with per-fiber TLS (the FS base follows the fiber:
//              WRFSBASE where the kernel enables FSGSBASE, else arch_prctl)
//   fiber_copy the same with copied TLS (the FS base stays, each switch
//              copies the fibers' static TLS images: runtime/abi/tls.h)
//   park       two fibers handing over with park/unpark (each unparks the
//              other, then parks): what a blocking call that another fiber
//              ends costs, shared TLS; park_tls with per-fiber TLS,
//              park_copy with copied TLS
//   set_tp     writing the FS base alone, as fiber_tls does at each switch
//   wrfsbase   the WRFSBASE instruction alone, rewriting the current base
//              (safe even where the kernel does not enable FSGSBASE but the
//              CPU executes it: the value never changes), or "-" if it
//              faults: what fiber_tls would add where the kernel allows it
//
// Each figure is the best of 5 runs of N round trips (ns per switch: a
// round trip is two switches). Prints one line of key=value pairs.
#include <csetjmp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "runtime/abi/tls.h"
#include "runtime/arch/context.h"
#include "runtime/sched.h"

namespace {

long g_rounds = 200000;

double now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return double(ts.tv_sec) * 1e9 + double(ts.tv_nsec);
}

template <typename F>
double best_of_5(F f) {
  double best = 1e300;
  for (int i = 0; i < 5; ++i) {
    double t = f();
    if (t < best) best = t;
  }
  return best;
}

// ---- bare ----
void* g_main_sp;
void* g_other_sp;

[[noreturn]] void bounce(void*, void*) {
  for (;;) rt::arch::ctx_switch(&g_other_sp, g_main_sp, nullptr);
}

double bare() {
  static char* stack = static_cast<char*>(aligned_alloc(64, 64 << 10));
  g_other_sp = rt::arch::ctx_make(stack + (64 << 10), bounce, nullptr);
  double t0 = now();
  for (long i = 0; i < g_rounds; ++i) rt::arch::ctx_switch(&g_main_sp, g_other_sp, nullptr);
  return (now() - t0) / double(2 * g_rounds);
}

// ---- fibers ----
void* yielder(void*) {
  for (long i = 0; i < g_rounds; ++i) {
    rt::Guard g(rt::carrier());
    rt::yield();
  }
  return nullptr;
}

double fibers() {
  rt::Fiber* f[2];
  {
    rt::Guard g(rt::carrier());
    for (auto& x : f)
      if (rt::spawn(yielder, nullptr, rt::SpawnAttr{}, &x) != 0) {
        std::fprintf(stderr, "switch_cost: spawn failed\n");
        std::exit(1);
      }
  }
  double t0 = now();
  for (auto* x : f) rt::join(x, nullptr);
  return (now() - t0) / double(2 * g_rounds);
}

// ---- park/unpark ----
rt::Fiber* g_pair[2];
long g_turn;  // whose turn it is: park may return spuriously

void* hander(void* arg) {
  long me = reinterpret_cast<long>(arg);
  rt::Guard g(rt::carrier());
  for (long i = 0; i < g_rounds; ++i) {
    while (g_turn != me) rt::park();
    g_turn = 1 - me;
    rt::unpark(g_pair[1 - me]);
  }
  return nullptr;
}

double park_pairs() {
  g_turn = 0;
  {
    rt::Guard g(rt::carrier());
    for (long i = 0; i < 2; ++i)
      if (rt::spawn(hander, reinterpret_cast<void*>(i), rt::SpawnAttr{}, &g_pair[i]) != 0) {
        std::fprintf(stderr, "switch_cost: spawn failed\n");
        std::exit(1);
      }
  }
  double t0 = now();
  for (auto* x : g_pair) rt::join(x, nullptr);
  return (now() - t0) / double(2 * g_rounds);
}

double set_tp() {
  void* root = rt::tls::get_tp();
  double t0 = now();
  for (long i = 0; i < g_rounds; ++i) {
    rt::tls::set_tp(root);
    rt::tls::set_tp(root);
  }
  return (now() - t0) / double(2 * g_rounds);
}

sigjmp_buf g_jmp;
void on_sigill(int) { siglongjmp(g_jmp, 1); }

// ns per WRFSBASE, or a negative number if the CPU refuses it.
double wrfsbase() {
  struct sigaction sa {}, old{};
  sa.sa_handler = on_sigill;
  sigaction(SIGILL, &sa, &old);
  double ns = -1;
  if (sigsetjmp(g_jmp, 1) == 0) {
    void* tp = rt::tls::get_tp();
    ns = best_of_5([tp] {
      double t0 = now();
      for (long i = 0; i < g_rounds; ++i) __asm__ volatile("wrfsbase %0" ::"r"(tp) : "memory");
      return (now() - t0) / double(g_rounds);
    });
  }
  sigaction(SIGILL, &old, nullptr);
  return ns;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--rounds") && i + 1 < argc) g_rounds = std::atol(argv[++i]);
    else {
      std::fprintf(stderr, "usage: switch_cost [--rounds N]\n");
      return 2;
    }
  }
  if (g_rounds <= 0) return 2;
  rt::StartResult r = rt::start_carrier();
  if (r.err) {
    std::fprintf(stderr, "switch_cost: io_uring unavailable (%s)\n", r.why);
    return 77;
  }
  double b = best_of_5(bare);
  double wr = wrfsbase();
  char wrs[32] = "-";
  if (wr >= 0) std::snprintf(wrs, sizeof wrs, "%.1f", wr);
  double f = best_of_5(fibers);  // no tls::init yet: fibers share the carrier's TLS
  double p = best_of_5(park_pairs);
  const char* why;
  rt::tls::Mode m = rt::tls::init(rt::tls::Mode::Fsgsbase, &why);
  if (m == rt::tls::Mode::Shared) {
    std::printf("bare_ns=%.1f fiber_ns=%.1f park_ns=%.1f fiber_tls_ns=- park_tls_ns=- fiber_copy_ns=- park_copy_ns=- "
                "set_tp_ns=- wrfsbase_ns=%s tls=unavailable(%s)\n",
                b, f, p, wrs, why);
    return 0;
  }
  long rounds = g_rounds;
  if (m == rt::tls::Mode::ArchPrctl && g_rounds > 20000) g_rounds = 20000;  // a system call each
  double ft = best_of_5(fibers);
  double pt = best_of_5(park_pairs);
  double tp = best_of_5(set_tp);
  g_rounds = rounds;
  char fc[32] = "-", pc[32] = "-";
  if (rt::tls::init(rt::tls::Mode::Copy, &why) == rt::tls::Mode::Copy) {
    std::snprintf(fc, sizeof fc, "%.1f", best_of_5(fibers));
    std::snprintf(pc, sizeof pc, "%.1f", best_of_5(park_pairs));
  }
  std::printf("bare_ns=%.1f fiber_ns=%.1f park_ns=%.1f fiber_tls_ns=%.1f park_tls_ns=%.1f fiber_copy_ns=%s "
              "park_copy_ns=%s set_tp_ns=%.1f wrfsbase_ns=%s tls=%s copy_bytes=%zu\n",
              b, f, p, ft, pt, fc, pc, tp, wrs, m == rt::tls::Mode::Fsgsbase ? "wrfsbase" : "arch_prctl",
              rt::tls::g_copy_span);
  return 0;
}
