// Diagnostics (DESIGN rule 6): one line each, prefixed "ringlet: ", to stderr
// or to the file named by RINGLET_LOG, rate-limited. Never to stdout.
//
// log::say may be called from any thread; log::say_raw also from a signal
// handler (no formatting, no locks).
#pragma once

namespace rt::log {

// Directs output to `path` (opened by raw syscall, close-on-exec). Returns
// -errno on failure and keeps writing to stderr.
int open_file(const char* path);

// printf-style; at most ~20 lines a second get through, then a count of the
// lines that were dropped.
void say(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// Async-signal-safe: writes the pieces (NULL-terminated list) as one line.
void say_raw(const char* const* pieces);

// Debug chatter, only when RINGLET_DEBUG=1.
extern bool debug_enabled;
#define RINGLET_DEBUG_LOG(...) \
  do { if (::rt::log::debug_enabled) ::rt::log::say(__VA_ARGS__); } while (0)

}  // namespace rt::log
