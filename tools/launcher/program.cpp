// What exec will run: PROGRAM found like execvp finds it, then checked so
// that a program LD_PRELOAD cannot reach fails here, in one clear line,
// instead of running without ringlet or failing with a bare errno.
#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "launcher.h"

namespace launcher {
namespace {

enum class Probe { kOk, kMissing, kDirectory, kSpecial, kNotExecutable, kError };

Probe probe(const char* path, int* err) {
  struct stat st;
  if (stat(path, &st) != 0) {
    *err = errno;
    return errno == ENOENT || errno == ENOTDIR ? Probe::kMissing : Probe::kError;
  }
  if (S_ISDIR(st.st_mode)) return Probe::kDirectory;
  if (!S_ISREG(st.st_mode)) return Probe::kSpecial;  // exec refuses fifos, devices
  if (faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) != 0) return Probe::kNotExecutable;
  return Probe::kOk;
}

// A path as given (it holds a slash, or it comes from a "#!" line).
int check_path(const std::string& subject, const char* path) {
  int err = 0;
  switch (probe(path, &err)) {
    case Probe::kOk: return 0;
    case Probe::kMissing: say("%s: no such program", subject.c_str()); return kExitNotFound;
    case Probe::kDirectory: say("%s is a directory", subject.c_str()); break;
    case Probe::kSpecial: say("%s is not a regular file", subject.c_str()); break;
    case Probe::kNotExecutable: say("%s is not executable (permission denied)", subject.c_str()); break;
    case Probe::kError: say("%s: %s", subject.c_str(), strerror(err)); break;
  }
  return kExitCannotRun;
}

// execvp's search: the first executable regular file along PATH (an empty
// entry is the current directory; no PATH: the system default).
int search_path(const std::string& subject, const char* name, std::string* out) {
  const char* env = getenv("PATH");
  std::string dirs;
  if (env) {
    dirs = env;
  } else {
    char buf[256] = "/bin:/usr/bin";
    confstr(_CS_PATH, buf, sizeof buf);
    dirs = buf;
  }
  std::string denied;
  for (size_t b = 0; b <= dirs.size();) {
    size_t e = dirs.find(':', b);
    if (e == std::string::npos) e = dirs.size();
    std::string dir = dirs.substr(b, e - b);
    std::string cand = dir.empty() ? name : dir + "/" + name;
    int err = 0;
    Probe p = probe(cand.c_str(), &err);
    if (p == Probe::kOk) {
      *out = cand;
      return 0;
    }
    if (denied.empty() && (p == Probe::kNotExecutable || (p == Probe::kError && err == EACCES)))
      denied = cand;
    b = e + 1;
  }
  if (!denied.empty()) {
    say("%s: %s is not executable (permission denied)", subject.c_str(), denied.c_str());
    return kExitCannotRun;
  }
  say("%s: no such program in PATH", subject.c_str());
  return kExitNotFound;
}

int find(const std::string& subject, const char* name, bool use_path, std::string* out) {
  if (!*name) {
    say("%s'': no such program", subject.c_str());
    return kExitNotFound;
  }
  if (use_path && !strchr(name, '/')) return search_path(subject, name, out);
  *out = name;
  return check_path(subject, name);
}

int check_elf(const std::string& subject, const ElfInfo& elf, const ElfInfo& lib) {
  if (!same_arch(elf, lib)) {
    say("%s is a %s program and libringlet.so is %s, so ringlet cannot run it", subject.c_str(),
        describe_arch(elf).c_str(), describe_arch(lib).c_str());
    return kExitCannotRun;
  }
  if (elf.type != ET_EXEC && elf.type != ET_DYN) return 0;  // exec refuses it
  // ET_DYN without a loader: a static-pie, or a library (no PIE flag, and
  // no entry point for toolchains too old to set the flag).
  if (!elf.has_interp && elf.type == ET_DYN && !elf.pie && elf.entry == 0) {
    say("%s is a shared library, not a program", subject.c_str());
    return kExitCannotRun;
  }
  if (!elf.has_interp) {  // static, or static-pie
    say("%s is statically linked; LD_PRELOAD cannot reach it, so ringlet cannot run it",
        subject.c_str());
    return kExitCannotRun;
  }
  struct stat st;
  if (stat(elf.interp.c_str(), &st) != 0) {
    say("%s needs the dynamic loader %s, which is missing", subject.c_str(), elf.interp.c_str());
    return kExitNotFound;
  }
  return 0;
}

// The program that "#!/usr/bin/env WORD" or "#!/usr/bin/env -S WORD ..."
// runs, or "" when env is given options we do not follow.
std::string env_target(const std::string& arg) {
  std::string word = arg;
  if (word.rfind("-S", 0) == 0) {  // -S splits the rest into words
    size_t b = word.find_first_not_of(" \t", 2);
    if (b == std::string::npos) return "";
    word = word.substr(b, word.find_first_of(" \t", b) - b);
  }
  if (word.empty() || word[0] == '-' || word.find('=') != std::string::npos) return "";
  return word;
}

// The interpreter of a script, one level deep: a script run by a script is
// left to exec.
int check_interpreter(const std::string& script, const std::string& interp, const std::string& arg,
                      const ElfInfo& lib) {
  std::string name = interp;
  bool via_env = name == "env" || (name.size() > 4 && name.compare(name.size() - 4, 4, "/env") == 0);
  if (via_env) {
    name = env_target(arg);
    if (name.empty()) return 0;
  }
  std::string path;
  if (int rc = find(script + ": interpreter " + name, name.c_str(), via_env, &path)) return rc;
  FileInfo info = inspect_file(path.c_str());
  if (info.kind != FileKind::kElf) return 0;
  return check_elf(script + ": interpreter " + path, info.elf, lib);
}

// The loader runs a set-user-ID program, or one with file capabilities, in
// secure mode, which drops LD_PRELOAD entries with a slash: say so, and let
// it run without ringlet.
void warn_if_secure(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return;
  const char* why = nullptr;
  if ((st.st_mode & S_ISUID) && st.st_uid != geteuid()) why = "is set-user-ID";
  else if ((st.st_mode & S_ISGID) && st.st_gid != getegid()) why = "is set-group-ID";
  else if (geteuid() != 0 && getxattr(path.c_str(), "security.capability", nullptr, 0) > 0)
    why = "has file capabilities";
  if (why)
    say("warning: %s %s, so the dynamic loader ignores LD_PRELOAD; it runs without ringlet",
        path.c_str(), why);
}

}  // namespace

int find_program(const char* name, std::string* path) { return find(name, name, true, path); }

int check_program(const std::string& path, const ElfInfo& lib, FileKind* kind) {
  FileInfo info = inspect_file(path.c_str());
  *kind = info.kind;
  switch (info.kind) {
    case FileKind::kElf:
      if (int rc = check_elf(path, info.elf, lib)) return rc;
      warn_if_secure(path);
      return 0;
    case FileKind::kScript:
      if (info.script_interp.empty()) return 0;
      return check_interpreter(path, info.script_interp, info.script_arg, lib);
    case FileKind::kText: return check_interpreter(path, "/bin/sh", "", lib);
    default: return 0;  // exec decides, and main reports its errno
  }
}

}  // namespace launcher
