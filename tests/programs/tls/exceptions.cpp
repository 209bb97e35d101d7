// C++ exceptions in flight across blocking calls: 16 threads each throw,
// block while a destructor runs during the unwinding and again inside the
// handler, then rethrow with `throw;` and catch their own exception. The
// exception state (libstdc++'s per-thread caught and uncaught counts) is
// static TLS of libstdc++, not of the program, so under ringlet this runs
// with copied TLS where the kernel lacks FSGSBASE: each fiber must still
// see only its own exceptions.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "check.h"
#include "report.h"

namespace {

constexpr int kThreads = 16, kRounds = 20;
std::atomic<int> caught{0}, bad{0};

struct BlocksWhileUnwinding {
  int id;
  ~BlocksWhileUnwinding() {
    if (std::uncaught_exceptions() != 1) {
      std::fprintf(stderr, "thread %d: %d uncaught exceptions in a destructor\n", id, std::uncaught_exceptions());
      ++bad;
    }
    usleep(1000);
  }
};

void work(int id) {
  std::string mine = "from " + std::to_string(id);
  if (id == 0) report_os_threads();
  for (int r = 0; r < kRounds; r++) {
    try {
      try {
        BlocksWhileUnwinding b{id};
        throw std::runtime_error(mine);
      } catch (const std::exception& e) {
        usleep(500 + id * 10);  // blocked while handling it
        if (mine != e.what()) ++bad;
        if (std::uncaught_exceptions() != 0) ++bad;
        std::exception_ptr p = std::current_exception();
        usleep(300);
        if (!p) ++bad;
        throw;  // the exception this thread is handling
      }
    } catch (const std::runtime_error& e) {
      if (mine == e.what()) ++caught;
      else std::fprintf(stderr, "thread %d caught '%s'\n", id, e.what()), ++bad;
    }
  }
}

}  // namespace

int main() {
  std::vector<std::thread> t;
  for (int i = 0; i < kThreads; i++) t.emplace_back(work, i);
  for (auto& x : t) x.join();
  std::printf("caught %d of %d, each its own; %d wrong\n", caught.load(), kThreads * kRounds, bad.load());
  return bad.load() ? 1 : 0;
}
