#include "log.h"

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fcntl.h>

#include "raw.h"

namespace rt::log {

bool debug_enabled = false;

namespace {

std::atomic<int> g_fd{2};
// Token bucket: kBurst lines, refilled at kPerSecond.
constexpr int kBurst = 20;
std::atomic<long> g_window{0};   // second of the current window
std::atomic<int> g_used{0};      // lines written in it
std::atomic<int> g_dropped{0};

long now_seconds() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return ts.tv_sec;
}

void emit(const char* buf, size_t n) {
  int fd = g_fd.load(std::memory_order_relaxed);
  while (n > 0) {
    long r = raw::write(fd, buf, n);
    if (r == -EINTR) continue;
    if (r <= 0) return;
    buf += r;
    n -= (size_t)r;
  }
}

bool admit() {
  long sec = now_seconds();
  long w = g_window.load(std::memory_order_relaxed);
  if (w != sec && g_window.compare_exchange_strong(w, sec)) {
    int dropped = g_dropped.exchange(0);
    g_used.store(0);
    if (dropped > 0) {
      char line[96];
      int n = snprintf(line, sizeof line, "ringlet: (%d more lines suppressed)\n", dropped);
      emit(line, (size_t)n);
    }
  }
  if (g_used.fetch_add(1) < kBurst) return true;
  g_dropped.fetch_add(1);
  return false;
}

}  // namespace

int open_file(const char* path) {
  long fd = raw::sys(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (raw::is_err(fd)) return (int)fd;
  g_fd.store((int)fd);
  return 0;
}

void say(const char* fmt, ...) {
  if (!admit()) return;
  char line[512];
  int n = snprintf(line, sizeof line, "ringlet: ");
  va_list ap;
  va_start(ap, fmt);
  int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
  va_end(ap);
  if (m < 0) m = 0;
  size_t len = (size_t)n + (size_t)m;
  if (len > sizeof line - 2) len = sizeof line - 2;
  line[len++] = '\n';
  emit(line, len);
}

void say_raw(const char* const* pieces) {
  char line[512];
  size_t len = 0;
  for (const char* p = "ringlet: "; p; p = *pieces++) {
    size_t k = strlen(p);
    if (k > sizeof line - 1 - len) k = sizeof line - 1 - len;
    memcpy(line + len, p, k);
    len += k;
  }
  line[len++] = '\n';
  emit(line, len);
}

}  // namespace rt::log
