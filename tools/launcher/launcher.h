// The launcher `ringlet` (DESIGN "Launcher"): a normal program, not the
// preload. It turns its flags into RINGLET_* variables using the one table in
// runtime/config, appends libringlet.so to LD_PRELOAD, checks that the
// program can be reached by LD_PRELOAD at all, then execs it.
//
// Every failure is one line on stderr, prefixed "ringlet: " (DESIGN rules
// 6-7), and an exit status in the convention of shells and env(1).
#pragma once

#include <string>
#include <vector>

#include "inspect.h"

namespace launcher {

constexpr int kExitUsage = 2;        // bad option or value, no program
constexpr int kExitCannotRun = 126;  // found, but cannot run under ringlet
constexpr int kExitNotFound = 127;   // program, interpreter or library missing

// Writes "ringlet: <message>\n" to stderr in one write.
void say(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// --- options.cpp: the command line ----------------------------------------

struct Setting {
  const char* env;    // RINGLET_CARRIERS
  const char* value;  // as given (validated by the table's parse function)
};

struct Args {
  std::vector<Setting> settings;  // in command-line order; the last one wins
  int program = 0;                // argv index of PROGRAM; argc if none
  bool help = false;
  bool version = false;
  bool explain = false;  // print the library's policy table and exit
};

// Parses options up to the first non-option word or "--". Returns 0, or an
// exit status after saying why.
int parse_args(int argc, char** argv, Args* out);

// The full help text: usage, every option of the table with its variable,
// and `library` (where libringlet.so was found, or why not).
std::string help_text(const std::string& library);

// --- library.cpp: libringlet.so and LD_PRELOAD ----------------------------

// Finds the library: $RINGLET_LIB, else relative to this executable (a build
// tree), else the installed path. On success `path` is absolute, `elf` is its
// ELF header and 0 is returned; otherwise an exit status, the reason in `why`.
int find_library(std::string* path, ElfInfo* elf, std::string* why);

// `current` (may be nullptr) with `lib` appended, the user's entries kept.
std::string append_preload(const char* current, const std::string& lib);

// --- program.cpp: what exec will run --------------------------------------

// Resolves PROGRAM like execvp: a name with a slash as is, otherwise the
// first executable regular file along PATH. Returns 0 or an exit status.
int find_program(const char* name, std::string* path);

// Checks that `path` can run with `lib` preloaded: a dynamically linked ELF
// of the library's architecture, or a script whose interpreter is one.
// Returns 0 or an exit status; `kind` says what the file is.
int check_program(const std::string& path, const ElfInfo& lib, FileKind* kind);

}  // namespace launcher
