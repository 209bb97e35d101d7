// Regular-file I/O through io_uring (sys_file.cpp). C, in fiber context.
#pragma once

#include <sys/uio.h>

#include <cstdint>

#include "fd.h"

namespace rt::sys {

// read/write family on a regular file: off -1 = at the file position.
// Returns bytes or -errno (or cancel::kInterrupted).
long file_rw(bool write, int fd, const iovec* iov, int cnt, int64_t off);
// openat(dirfd, path, flags, mode): with the lookup answered from the
// dentry cache (openat2 RESOLVE_CACHED) at once, else through io_uring
// OPENAT (the lookup may read the disk). An open that waits for something
// else (a FIFO without O_NONBLOCK) still waits in the kernel.
long file_open(int dirfd, const char* path, int flags, unsigned mode);
// close through io_uring: inline for local files, in io_uring's worker
// for files whose close may wait (a flush method: NFS, FUSE).
long file_close(int fd);
// fsync (datasync false) or fdatasync.
long file_sync(int fd, bool datasync);

}  // namespace rt::sys
