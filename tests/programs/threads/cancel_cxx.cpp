// Cancellation of C++ threads: destructors of the objects on the cancelled
// thread's stack run (innermost first), pthread_cleanup_push's C++ form
// runs, and a catch (...) that rethrows lets the cancellation go on.
#include <pthread.h>
#include <unistd.h>

#include <cstdio>
#include <string>

extern "C" {
#include "check.h"
#include "report.h"
}

namespace {

std::string trail;
int fds[2];

struct Note {
  const char* what;
  ~Note() { trail += what; }
};

void blocked_deeper() {
  Note n{"c"};
  char ch;
  ssize_t r = read(fds[0], &ch, 1);  // cancelled here
  (void)r;
  trail += "!";
}

void* worker(void*) {
  Note a{"a"};
  pthread_cleanup_push([](void*) { trail += "h"; }, nullptr);
  try {
    Note b{"b"};
    blocked_deeper();
  } catch (...) {
    trail += "r";
    throw;  // a forced unwind must be rethrown
  }
  pthread_cleanup_pop(0);
  return nullptr;
}

}  // namespace

int main() {
  CHECK(pipe(fds) == 0);
  pthread_t t;
  CHECK_RC(pthread_create(&t, nullptr, worker, nullptr), 0);
  report_os_threads();
  usleep(20000);
  CHECK_RC(pthread_cancel(t), 0);
  void* r;
  CHECK_RC(pthread_join(t, &r), 0);
  std::printf("%s, destructors and handlers: %s\n", r == PTHREAD_CANCELED ? "cancelled" : "not cancelled",
              trail.c_str());
  return 0;
}
