// ringlet [OPTIONS] [--] PROGRAM [ARGS...]
//
// Order: options (exit 2), library (127), program (127/126), checks of what
// exec will run (127/126), environment, exec. Nothing is exec'd after a
// failed step, and each failure is one line.
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "launcher.h"
#include "launcher_config.h"

namespace launcher {

void say(const char* fmt, ...) {
  char line[1024] = "ringlet: ";
  size_t n = strlen(line);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
  va_end(ap);
  n = strlen(line);
  line[n++] = '\n';
  while (write(STDERR_FILENO, line, n) < 0 && errno == EINTR) {
  }
}

namespace {

// --help and --version: asked for, so to stdout.
int print(const std::string& s) {
  if (fwrite(s.data(), 1, s.size(), stdout) == s.size() && fflush(stdout) == 0) return 0;
  say("cannot write to stdout: %s", strerror(errno));
  return 1;
}

// execv, and execvp's fallback for a file without "#!" that exec refuses:
// /bin/sh runs it.
int run(const std::string& path, char** argv, FileKind kind) {
  execv(path.c_str(), argv);
  int err = errno;
  if (err == ENOEXEC && kind == FileKind::kText) {
    std::vector<char*> sh = {const_cast<char*>("/bin/sh"), const_cast<char*>(path.c_str())};
    for (char** a = argv + 1; *a; ++a) sh.push_back(*a);
    sh.push_back(nullptr);
    execv("/bin/sh", sh.data());
    err = errno;
  }
  say("%s: cannot execute: %s", argv[0], strerror(err));
  return err == ENOENT ? kExitNotFound : kExitCannotRun;
}

}  // namespace
}  // namespace launcher

int main(int argc, char** argv) {
  using namespace launcher;
  Args args;
  if (int rc = parse_args(argc, argv, &args)) return rc;
  std::string lib, why;
  ElfInfo lib_elf;
  int lib_rc = find_library(&lib, &lib_elf, &why);
  if (args.help) return print(help_text(lib_rc ? "not found: " + why : lib));
  if (args.version) return print("ringlet " RINGLET_VERSION "\n");
  if (lib_rc) {
    say("%s", why.c_str());
    return lib_rc;
  }
  if (args.explain) {
    // The library prints its own table (RINGLET_EXPLAIN) when it starts in
    // a program that does nothing else.
    for (const Setting& s : args.settings) setenv(s.env, s.value, 1);
    setenv("RINGLET_EXPLAIN", "1", 1);
    setenv("LD_PRELOAD", lib.c_str(), 1);
    char* true_argv[] = {const_cast<char*>("true"), nullptr};
    return run("/bin/true", true_argv, FileKind::kElf);
  }

  char** prog = argv + args.program;
  std::string path;
  FileKind kind;
  if (int rc = find_program(prog[0], &path)) return rc;
  if (int rc = check_program(path, lib_elf, &kind)) return rc;

  for (const Setting& s : args.settings) setenv(s.env, s.value, 1);
  setenv("LD_PRELOAD", append_preload(getenv("LD_PRELOAD"), lib).c_str(), 1);
  return run(path, prog, kind);
}
