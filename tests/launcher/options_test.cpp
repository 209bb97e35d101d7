// The launcher against the RINGLET_* table it is built from (the same object
// as in libringlet.so), so that a change to the table cannot leave the
// launcher behind:
//   - --help names every option: flag and metavar, variable, help text;
//   - each flag rejects exactly the values its parse function rejects, with
//     one line "ringlet: --flag VALUE: <the table's reason>", exit 2, and
//     nothing run, both as "--flag VALUE" and as "--flag=VALUE";
//   - each value it accepts reaches the program as the variable.
//
// usage: options-test LAUNCHER SHOW_ENV
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "runtime/config.h"

namespace {

using rt::config::kOptionCount;
using rt::config::kOptions;

int failures = 0;

#define CHECK(cond, ...)                             \
  do {                                               \
    if (!(cond)) {                                   \
      ++failures;                                    \
      fprintf(stdout, "FAIL %s:%d: ", __FILE__, __LINE__); \
      fprintf(stdout, __VA_ARGS__);                  \
      fputc('\n', stdout);                           \
    }                                                \
  } while (0)

struct Result {
  int status = -1;
  std::string out, err;
};

std::string slurp(int fd) {
  std::string s;
  char buf[4096];
  lseek(fd, 0, SEEK_SET);
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) s.append(buf, (size_t)n);
  close(fd);
  return s;
}

Result run(const std::vector<std::string>& args) {
  FILE* out = tmpfile();
  FILE* err = tmpfile();
  Result r;
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    int null = open("/dev/null", O_RDONLY);
    dup2(null, 0);
    dup2(fileno(out), 1);
    dup2(fileno(err), 2);
    execv(argv[0], argv.data());
    _exit(99);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  r.out = slurp(dup(fileno(out)));
  r.err = slurp(dup(fileno(err)));
  fclose(out);
  fclose(err);
  return r;
}

// Runs of spaces and newlines as one space: --help wraps at spaces only.
std::string squeeze(const std::string& s) {
  std::string r;
  for (char c : s) {
    bool space = c == ' ' || c == '\n';
    if (space && (r.empty() || r.back() == ' ')) continue;
    r += space ? ' ' : c;
  }
  return r;
}

bool has_line(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

// Values to try on every flag; each flag must reject some and accept some.
const char* const kCandidates[] = {
    "",     "abc",  "0",      "1",         "-1",     "4",         "257",  "1.5",
    "10K",  "16K",  "256K",   "8M",        "1G",     "2G",        "8Q",   "try",
    "ring", "fast", "all",    "none",      "io,net", "all,-poll", "dns",  "io,,net",
    "io,x", "/tmp/ringlet-options-test.log",
};

void check_help(const std::string& launcher) {
  Result r = run({launcher, "--help"});
  CHECK(r.status == 0, "--help: exit status %d", r.status);
  CHECK(r.err.empty(), "--help wrote to stderr: %s", r.err.c_str());
  std::string help = squeeze(r.out);
  for (size_t i = 0; i < kOptionCount; ++i) {
    const auto& o = kOptions[i];
    std::string named = o.flag ? std::string(o.flag) + " " + o.metavar : std::string(o.env) + "=" + o.metavar;
    CHECK(help.find(named) != std::string::npos, "--help does not list %s", named.c_str());
    CHECK(help.find(o.env) != std::string::npos, "--help does not name %s", o.env);
    CHECK(help.find(squeeze(o.help)) != std::string::npos, "--help lacks the help of %s", o.env);
  }
}

void check_flag(const std::string& launcher, const std::string& show_env, const rt::config::Option& o) {
  int rejected = 0, accepted = 0;
  for (const char* value : kCandidates) {
    rt::config::Config scratch;
    char reason[160] = "";
    if (!o.parse(value, scratch, reason, sizeof reason)) {
      ++rejected;
      std::string want = std::string("ringlet: ") + o.flag + " " + (*value ? value : "''") + ": " + reason + "\n";
      for (int eq = 0; eq < 2; ++eq) {
        Result r = eq ? run({launcher, std::string(o.flag) + "=" + value, show_env})
                      : run({launcher, o.flag, value, show_env});
        CHECK(r.status == 2, "%s '%s': exit status %d, not 2", o.flag, value, r.status);
        CHECK(r.err == want, "%s '%s': stderr is '%s', expected '%s'", o.flag, value, r.err.c_str(),
              want.c_str());
        CHECK(r.out.empty(), "%s '%s': the program ran", o.flag, value);
      }
    } else {
      ++accepted;
      Result r = run({launcher, std::string(o.flag) + "=" + value, show_env});
      CHECK(r.status == 0, "%s '%s': exit status %d (%s)", o.flag, value, r.status, r.err.c_str());
      CHECK(has_line(r.out, std::string(o.env) + "=" + value), "%s '%s' did not set %s", o.flag, value,
            o.env);
    }
  }
  CHECK(rejected > 0, "no candidate value is rejected by %s: add one to kCandidates", o.flag);
  CHECK(accepted > 0, "no candidate value is accepted by %s: add one to kCandidates", o.flag);
  printf("%s: %d values rejected, %d accepted\n", o.flag, rejected, accepted);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: options-test LAUNCHER SHOW_ENV\n");
    return 2;
  }
  unsetenv("RINGLET_LIB");
  unsetenv("LD_PRELOAD");
  check_help(argv[1]);
  for (size_t i = 0; i < kOptionCount; ++i)
    if (kOptions[i].flag) check_flag(argv[1], argv[2], kOptions[i]);
  printf("%s\n", failures ? "FAIL" : "PASS");
  return failures ? 1 : 0;
}
