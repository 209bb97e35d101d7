/* Clock helpers shared by the plain test programs. */
#ifndef RINGLET_TEST_CLOCK_H
#define RINGLET_TEST_CLOCK_H

#include <time.h>

/* CLOCK_MONOTONIC in seconds and in milliseconds. */
static inline double mono_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline double now_ms(void) { return mono_now() * 1e3; }

static inline void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, ms % 1000 * 1000000L};
  nanosleep(&ts, NULL);
}

/* The absolute time `us` microseconds from now on clock `clk`. */
static inline struct timespec deadline_us(clockid_t clk, long us) {
  struct timespec ts;
  clock_gettime(clk, &ts);
  ts.tv_sec += us / 1000000;
  ts.tv_nsec += (us % 1000000) * 1000L;
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  return ts;
}

static inline struct timespec deadline_ms(clockid_t clk, long ms) { return deadline_us(clk, ms * 1000L); }

#endif
