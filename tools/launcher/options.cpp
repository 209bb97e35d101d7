// The command line. Flags, their values and their help all come from the
// RINGLET_* table (rt::config::kOptions), so the launcher accepts exactly
// what the library will accept.
#include <cstring>

#include "launcher.h"
#include "launcher_config.h"
#include "runtime/config.h"

namespace launcher {
namespace {

using rt::config::kOptionCount;
using rt::config::kOptions;
using rt::config::Option;

constexpr const char* kUsage = "usage: ringlet [OPTIONS] [--] PROGRAM [ARGS...]";

const Option* find_flag(const char* name, size_t len) {
  for (size_t i = 0; i < kOptionCount; ++i) {
    const char* f = kOptions[i].flag;
    if (f && strlen(f) == len && strncmp(f, name, len) == 0) return &kOptions[i];
  }
  return nullptr;
}

// Appends `text` to `out` as a column starting at `indent`, wrapped at 79.
// The first line continues whatever `out` already holds at column `col`.
void wrap(std::string* out, size_t col, size_t indent, const std::string& text) {
  if (col >= indent) *out += "\n", col = 0;
  *out += std::string(indent - col, ' ');
  col = indent;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = text.find(' ', i);
    if (j == std::string::npos) j = text.size();
    std::string word = text.substr(i, j - i);
    if (col > indent && col + 1 + word.size() > 79) *out += "\n" + std::string(indent, ' '), col = indent;
    else if (col > indent) *out += ' ', ++col;
    *out += word;
    col += word.size();
    i = j + 1;
  }
  *out += '\n';
}

void entry(std::string* out, const std::string& left, const std::string& text) {
  *out += "  " + left;
  wrap(out, 2 + left.size(), 24, text);
}

}  // namespace

int parse_args(int argc, char** argv, Args* out) {
  rt::config::Config scratch;  // parse functions need somewhere to write
  int i = 1;
  for (; i < argc; ++i) {
    const char* a = argv[i];
    if (strcmp(a, "--") == 0) {
      ++i;
      break;
    }
    if (a[0] != '-' || a[1] == '\0') break;  // PROGRAM ("-" alone is a name)
    const char* eq = strchr(a, '=');
    size_t len = eq ? (size_t)(eq - a) : strlen(a);
    bool is_help = strcmp(a, "-h") == 0 || (len == 6 && strncmp(a, "--help", 6) == 0);
    bool is_version = len == 9 && strncmp(a, "--version", 9) == 0;
    bool is_explain = len == 9 && strncmp(a, "--explain", 9) == 0;
    if (is_help || is_version || is_explain) {
      if (eq) {
        say("%.*s takes no value", (int)len, a);
        return kExitUsage;
      }
      out->help |= is_help;
      out->version |= is_version;
      out->explain |= is_explain;
      return 0;
    }
    if (len == 12 && strncmp(a, "--no-inherit", 12) == 0) {
      if (eq) {
        say("--no-inherit takes no value");
        return kExitUsage;
      }
      out->settings.push_back({"RINGLET_INHERIT", "0"});
      continue;
    }
    const Option* o = a[1] == '-' ? find_flag(a, len) : nullptr;
    if (!o) {
      say("unknown option %.*s (see ringlet --help)", (int)len, a);
      return kExitUsage;
    }
    const char* value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : nullptr);
    if (!value) {
      say("%s needs a value (%s)", o->flag, o->metavar);
      return kExitUsage;
    }
    char err[160] = "is not valid";
    if (!o->parse(value, scratch, err, sizeof err)) {
      say("%s %s: %s", o->flag, *value ? value : "''", err);
      return kExitUsage;
    }
    out->settings.push_back({o->env, value});
  }
  out->program = i;
  if (i >= argc) {
    say("no program to run (%s; see ringlet --help)", kUsage);
    return kExitUsage;
  }
  return 0;
}

std::string help_text(const std::string& library) {
  std::string s = kUsage;
  s += "\n\n";
  s += "Runs PROGRAM with libringlet.so preloaded: its threads become fibers on a\n"
       "few OS threads and its blocking calls go through io_uring. Each option sets\n"
       "the environment variable shown with it; setting the variable directly does\n"
       "the same. LD_PRELOAD is kept: the library is appended to it.\n\n"
       "Options (also as --option=VALUE):\n";
  for (size_t i = 0; i < kOptionCount; ++i) {
    const Option& o = kOptions[i];
    if (o.flag) entry(&s, std::string(o.flag) + " " + o.metavar, std::string(o.help) + " [" + o.env + "]");
  }
  entry(&s, "--no-inherit", "programs PROGRAM starts run without ringlet [RINGLET_INHERIT=0]");
  entry(&s, "-h, --help", "print this help and exit");
  entry(&s, "--version", "print the version and exit");
  entry(&s, "--explain", "print what ringlet does with each call it handles (its policy table, "
                         "after the options given before it) and exit");
  entry(&s, "--", "end of options: the next word is PROGRAM");
  s += "\nEnvironment only:\n";
  for (size_t i = 0; i < kOptionCount; ++i) {
    const Option& o = kOptions[i];
    if (!o.flag) entry(&s, std::string(o.env) + "=" + o.metavar, o.help);
  }
  entry(&s, "RINGLET_LIB=PATH",
        "the library to preload (default: the build tree's interpose/libringlet.so "
        "when run from a build tree, else " RINGLET_INSTALLED_LIB ")");
  s += "\nLibrary: " + library + "\n";
  s += "\nExit status: PROGRAM's own; 2 for a bad option; 126 if PROGRAM cannot run\n"
       "under ringlet (statically linked, another architecture, not executable);\n"
       "127 if PROGRAM, its interpreter or the library is not found.\n";
  return s;
}

}  // namespace launcher
