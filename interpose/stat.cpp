// stat, lstat, fstatat and statx by path (runtime/sys_stat.cpp): a lookup
// that may read the disk parks only the fiber. glibc builds stat and lstat
// on its internal fstatat, so each public name is hooked, including the
// __xstat family that binaries built before glibc 2.33 call.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "export.h"

using ringlet::edge;
using ringlet::fiber_path;

namespace {

int at(int dirfd, const char* path, void* buf, int flags) {
  return int(edge(rt::sys::call(SYS_newfstatat, dirfd, path, buf, flags)));
}

constexpr int kStatVer = 1;  // _STAT_VER_LINUX on x86_64: struct stat as the kernel's

// glibc answers any other version so too.
int bad_version() {
  errno = EINVAL;
  return -1;
}

}  // namespace

RINGLET_EXPORT int stat(const char* __restrict path, struct stat* __restrict buf) noexcept {
  if (!fiber_path()) return REAL(stat)(path, buf);
  return at(AT_FDCWD, path, buf, 0);
}
RINGLET_EXPORT int stat64(const char* __restrict path, struct stat64* __restrict buf) noexcept {
  return stat(path, reinterpret_cast<struct stat*>(buf));
}

RINGLET_EXPORT int lstat(const char* __restrict path, struct stat* __restrict buf) noexcept {
  if (!fiber_path()) return REAL(lstat)(path, buf);
  return at(AT_FDCWD, path, buf, AT_SYMLINK_NOFOLLOW);
}
RINGLET_EXPORT int lstat64(const char* __restrict path, struct stat64* __restrict buf) noexcept {
  return lstat(path, reinterpret_cast<struct stat*>(buf));
}

RINGLET_EXPORT int fstatat(int dirfd, const char* __restrict path, struct stat* __restrict buf, int flags) noexcept {
  if (!fiber_path()) return REAL(fstatat)(dirfd, path, buf, flags);
  return at(dirfd, path, buf, flags);
}
RINGLET_EXPORT int fstatat64(int dirfd, const char* __restrict path, struct stat64* __restrict buf,
                             int flags) noexcept {
  return fstatat(dirfd, path, reinterpret_cast<struct stat*>(buf), flags);
}

RINGLET_EXPORT int statx(int dirfd, const char* __restrict path, int flags, unsigned mask,
                         struct statx* __restrict buf) noexcept {
  if (!fiber_path()) return REAL(statx)(dirfd, path, flags, mask, buf);
  return int(edge(rt::sys::call(SYS_statx, dirfd, path, flags, mask, buf)));
}

// Before glibc 2.33: __xstat(version, ...).
RINGLET_EXPORT int __xstat(int ver, const char* path, struct stat* buf) noexcept {
  if (ver != kStatVer) return bad_version();
  return stat(path, buf);
}
RINGLET_EXPORT int __xstat64(int ver, const char* path, struct stat64* buf) noexcept {
  if (ver != kStatVer) return bad_version();
  return stat64(path, buf);
}
RINGLET_EXPORT int __lxstat(int ver, const char* path, struct stat* buf) noexcept {
  if (ver != kStatVer) return bad_version();
  return lstat(path, buf);
}
RINGLET_EXPORT int __lxstat64(int ver, const char* path, struct stat64* buf) noexcept {
  if (ver != kStatVer) return bad_version();
  return lstat64(path, buf);
}
RINGLET_EXPORT int __fxstatat(int ver, int dirfd, const char* path, struct stat* buf, int flags) noexcept {
  if (ver != kStatVer) return bad_version();
  return fstatat(dirfd, path, buf, flags);
}
RINGLET_EXPORT int __fxstatat64(int ver, int dirfd, const char* path, struct stat64* buf, int flags) noexcept {
  if (ver != kStatVer) return bad_version();
  return fstatat64(dirfd, path, buf, flags);
}
