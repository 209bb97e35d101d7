// Where libringlet.so is, and how it joins LD_PRELOAD.
#include <elf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "launcher.h"
#include "launcher_config.h"

namespace launcher {
namespace {

// The dynamic loader splits LD_PRELOAD at spaces and colons.
constexpr const char* kPreloadSeparators = " :";

// From the launcher in <build>/tools/launcher to <build>/interpose.
constexpr const char* kBuildTreeLib = "/../../interpose/libringlet.so";

// An absolute path to an existing file: its directory made canonical, its
// own name kept (a link such as libringlet.so stays itself), or an errno.
int absolute_file(const char* path, std::string* out) {
  struct stat st;
  if (stat(path, &st) != 0) return errno;
  if (S_ISDIR(st.st_mode)) return EISDIR;
  const char* slash = strrchr(path, '/');
  std::string dir = slash ? std::string(path, (size_t)(slash - path) + 1) : ".";
  char buf[PATH_MAX];
  if (!realpath(dir.c_str(), buf)) return errno;
  *out = std::string(buf) + (buf[1] ? "/" : "") + (slash ? slash + 1 : path);
  return 0;
}

std::string self_dir() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  buf[n] = '\0';
  char* slash = strrchr(buf, '/');
  if (!slash) return "";
  *slash = '\0';
  return buf;
}

int locate(std::string* path, std::string* why) {
  const char* env = getenv("RINGLET_LIB");
  if (env && *env) {
    if (int e = absolute_file(env, path)) {
      *why = std::string("RINGLET_LIB=") + env + ": " + strerror(e);
      return kExitNotFound;
    }
    return 0;
  }
  std::string dir = self_dir();
  std::string built = dir + kBuildTreeLib;
  if (!dir.empty() && absolute_file(built.c_str(), path) == 0) return 0;
  if (absolute_file(RINGLET_INSTALLED_LIB, path) == 0) return 0;
  *why = "cannot find libringlet.so (looked at ";
  if (!dir.empty()) *why += built + " and ";
  *why += RINGLET_INSTALLED_LIB "); set RINGLET_LIB to its path";
  return kExitNotFound;
}

}  // namespace

int find_library(std::string* path, ElfInfo* elf, std::string* why) {
  if (int rc = locate(path, why)) return rc;
  if (path->find_first_of(" :\t\n") != std::string::npos) {
    *why = *path + ": LD_PRELOAD cannot hold a path with a space or colon; "
                   "set RINGLET_LIB to a link to it elsewhere";
    return kExitNotFound;
  }
  FileInfo info = inspect_file(path->c_str());
  if (info.kind == FileKind::kUnreadable) {
    *why = *path + ": " + strerror(info.error);
    return kExitNotFound;
  }
  if (info.kind != FileKind::kElf || info.elf.type != ET_DYN || info.elf.pie) {
    *why = *path + ": not a shared library";
    return kExitNotFound;
  }
  *elf = info.elf;
  return 0;
}

std::string append_preload(const char* current, const std::string& lib) {
  std::string s = current ? current : "";
  // Already there (ringlet run under ringlet): once is enough.
  for (size_t b = s.find_first_not_of(kPreloadSeparators); b != std::string::npos;) {
    size_t e = s.find_first_of(kPreloadSeparators, b);
    if (s.compare(b, e == std::string::npos ? std::string::npos : e - b, lib) == 0) return s;
    b = e == std::string::npos ? e : s.find_first_not_of(kPreloadSeparators, e);
  }
  size_t end = s.find_last_not_of(kPreloadSeparators);
  s.resize(end == std::string::npos ? 0 : end + 1);
  return s.empty() ? lib : s + ":" + lib;
}

}  // namespace launcher
