// Regular-file I/O through io_uring (sys_file.cpp). C, in fiber context.
#pragma once

#include <sys/uio.h>

#include <cstdint>

#include "fd.h"

namespace rt::sys {

// read/write family on a regular file: off -1 = at the file position.
// Returns bytes or -errno (or cancel::kInterrupted).
long file_rw(bool write, int fd, const iovec* iov, int cnt, int64_t off);
// fsync (datasync false) or fdatasync.
long file_sync(int fd, bool datasync);

}  // namespace rt::sys
