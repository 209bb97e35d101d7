/* Checks shared by the plain test programs: on failure one line on stderr
 * (file, line, what failed, errno where it means something) and exit 1. */
#ifndef RINGLET_TEST_CHECK_H
#define RINGLET_TEST_CHECK_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Both are expressions, usable where a statement or a comma list fits. */
#define FAIL(...)                                                              \
  (fprintf(stderr, "%s:%d: ", __FILE__, __LINE__), fprintf(stderr, __VA_ARGS__), \
   fputc('\n', stderr), exit(1))

/* A condition; the message carries errno as it was. */
#define CHECK(c) ((c) ? (void)0 : FAIL("check failed: %s (last errno: %s)", #c, strerror(errno)))

/* A call returning an error number (pthread style). */
#define CHECK_RC(expr, want)                                           \
  do {                                                                 \
    int rc_ = (expr), want_ = (want);                                  \
    if (rc_ != want_)                                                  \
      FAIL("%s returned %d (%s), want %d (%s)", #expr, rc_,            \
           strerror(rc_), want_, strerror(want_));                     \
  } while (0)

/* A call returning -1/errno: wants -1 with errno `err`, or 0 if err == 0. */
#define CHECK_ERRNO(expr, err)                                         \
  do {                                                                 \
    errno = 0;                                                         \
    int r_ = (expr), e_ = errno, w_ = (err);                           \
    if (w_ == 0 ? r_ != 0 : (r_ != -1 || e_ != w_))                    \
      FAIL("%s returned %d errno %d (%s), want errno %d (%s)", #expr,  \
           r_, e_, strerror(e_), w_, strerror(w_));                    \
  } while (0)

#endif
