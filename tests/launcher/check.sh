#!/usr/bin/env bash
# Tests of the launcher, one case per meson test: check.sh CASE.
#
# From meson (tests/launcher/meson.build) through the environment:
#   LAUNCHER          the ringlet launcher under test
#   LIB               the libringlet.so it must find in its build tree
#   SHOW_ENV          prints LD_PRELOAD, RINGLET_*, argv, mapped preloads
#   HELLO_STATIC      a -static program; HELLO_STATIC_PIE a -static-pie one ('' if none)
#   DUMMY_LIB         an empty shared library
#   MAKE_ELF          writes crafted ELF files (make_elf.c)
#   VERSION           the project version
#   INSTALLED_LIB     the library path compiled in for `meson install`
#   SOURCE_ROOT       the source tree (for tools/ringlet)
# Exit: 0 pass, 1 fail, 77 skipped.
set -u
case_name=${1:?usage: check.sh CASE}
unset RINGLET_LIB LD_PRELOAD RINGLET_CARRIERS RINGLET_STACK_SIZE RINGLET_LOG RINGLET_IO RINGLET_PATCH

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bin="$tmp/bin"
mkdir -p "$bin"
cp "$SHOW_ENV" "$bin/show-env"
cp "$HELLO_STATIC" "$bin/hello-static"

# On a machine without io_uring the library says so on stderr in every run,
# and the cases that expect a quiet stderr cannot tell the launcher apart.
if "$LAUNCHER" "$bin/show-env" 2>&1 >/dev/null | grep -q '^ringlet: io_uring unavailable'; then
  echo "SKIP: io_uring unavailable here; the library reports it in every run"
  exit 77
fi

# The library as it must appear in LD_PRELOAD: absolute, directory canonical.
lib_abs="$(cd "$(dirname "$LIB")" && pwd -P)/$(basename "$LIB")"
dummy_abs="$(cd "$(dirname "$DUMMY_LIB")" && pwd -P)/$(basename "$DUMMY_LIB")"

fail() {
  echo "FAIL: $*"
  echo "--- command: ${last_cmd:-}"
  echo "--- exit status: ${rc:-}"
  echo "--- stdout:"; cat "$tmp/out" 2>/dev/null
  echo "--- stderr:"; cat "$tmp/err" 2>/dev/null
  exit 1
}

# run CMD...: runs it with stdin closed; sets rc, out, err.
run() {
  last_cmd="$*"
  "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
  rc=$?
  out=$(cat "$tmp/out")
  err=$(cat "$tmp/err")
}

expect_rc() { [ "$rc" = "$1" ] || fail "exit status $rc, expected $1"; }
expect_out() { grep -qxF -- "$1" "$tmp/out" || fail "stdout lacks the line '$1'"; }
expect_no_out() { grep -qxF -- "$1" "$tmp/out" && fail "stdout has the line '$1'"; return 0; }
expect_err_empty() { [ -z "$err" ] || fail "stderr is not empty"; }

# expect_error RC TEXT CMD...: fails before exec (nothing on stdout) with
# exactly one line on stderr, "ringlet: ..." containing TEXT.
expect_error() {
  local want_rc=$1 text=$2
  shift 2
  run "$@"
  expect_rc "$want_rc"
  [ -z "$out" ] || fail "something ran: stdout is not empty"
  [ "$(wc -l <"$tmp/err")" = 1 ] || fail "stderr is not exactly one line"
  case "$err" in ringlet:\ *) ;; *) fail "stderr does not start with 'ringlet: '" ;; esac
  case "$err" in *"$text"*) ;; *) fail "stderr lacks '$text'" ;; esac
}

# expect_runs CMD...: the program ran (show-env output) under the library.
expect_runs() {
  run "$@"
  expect_rc 0
  expect_err_empty
  grep -q '^argv\[0\]=' "$tmp/out" || fail "the program did not run"
  expect_out "mapped $lib_abs=yes"
}

script() {  # script PATH LINE...: an executable script
  local path=$1
  shift
  printf '%s\n' "$@" >"$path"
  chmod 755 "$path"
}

R=$LAUNCHER

case "$case_name" in
version)
  run "$R" --version
  expect_rc 0
  expect_err_empty
  [ "$out" = "ringlet $VERSION" ] || fail "--version printed '$out'"
  expect_error 2 "--version takes no value" "$R" --version=1
  ;;

help)
  for h in --help -h; do
    run "$R" $h
    expect_rc 0
    expect_err_empty
    case "$out" in "usage: ringlet [OPTIONS] [--] PROGRAM [ARGS...]"*) ;; *) fail "$h: no usage line first" ;; esac
    expect_out "Library: $lib_abs"
  done
  # Help comes before looking at PROGRAM: nothing runs.
  run "$R" --help "$bin/show-env"
  expect_rc 0
  expect_no_out "argv[0]=$bin/show-env"
  expect_error 2 "--help takes no value" "$R" --help=yes
  ;;

no-program)
  expect_error 2 "usage: ringlet [OPTIONS] [--] PROGRAM [ARGS...]" "$R"
  expect_error 2 "no program" "$R" --carriers 2
  expect_error 2 "no program" "$R" --
  expect_error 2 "no program" "$R" --io=try --
  ;;

unknown-option)
  expect_error 2 "unknown option --frobnicate" "$R" --frobnicate "$bin/show-env"
  expect_error 2 "unknown option --frobnicate" "$R" --frobnicate=1 "$bin/show-env"
  expect_error 2 "unknown option -x" "$R" -x "$bin/show-env"
  expect_error 2 "unknown option --carrier" "$R" --carrier 2 "$bin/show-env"
  expect_error 2 "--carriers needs a value" "$R" --carriers
  # A value that looks like an option is still the value, and checked.
  expect_error 2 "--carriers -1: is not a whole number" "$R" --carriers -1 "$bin/show-env"
  ;;

missing-program)
  expect_error 127 "no-such-program-ringlet: no such program in PATH" "$R" no-such-program-ringlet
  expect_error 127 "$tmp/nope/prog: no such program" "$R" "$tmp/nope/prog"
  expect_error 127 "./prog-not-here: no such program" "$R" ./prog-not-here
  expect_error 127 "'': no such program" "$R" ''
  # A path through a regular file is ENOTDIR: not there either.
  expect_error 127 "no such program" "$R" "$bin/show-env/x"
  ;;

directory)
  expect_error 126 "$tmp is a directory" "$R" "$tmp"
  expect_error 126 "$tmp/ is a directory" "$R" "$tmp/"
  # PATH search skips directories, as execvp does.
  mkdir -p "$tmp/p/subdir"
  PATH="$tmp/p:$PATH" expect_error 127 "subdir: no such program in PATH" "$R" subdir
  expect_error 126 "is not a regular file" "$R" /dev/null
  ;;

not-executable)
  cp "$SHOW_ENV" "$tmp/noexec"
  chmod 644 "$tmp/noexec"
  expect_error 126 "$tmp/noexec is not executable" "$R" "$tmp/noexec"
  # Along PATH: a non-executable file alone is reported...
  mkdir -p "$tmp/p1" "$tmp/p2"
  cp "$tmp/noexec" "$tmp/p1/tool"
  PATH="$tmp/p1:/usr/bin:/bin" expect_error 126 "tool: $tmp/p1/tool is not executable" "$R" tool
  # ...and skipped for an executable one further on (execvp semantics).
  cp "$SHOW_ENV" "$tmp/p2/tool"
  PATH="$tmp/p1:$tmp/p2:/usr/bin:/bin" expect_runs "$R" tool
  expect_out "argv[0]=tool"
  ;;

static)
  expect_error 126 "$bin/hello-static is statically linked; LD_PRELOAD cannot reach it, so ringlet cannot run it" \
    "$R" "$bin/hello-static"
  PATH="$bin:$PATH" expect_error 126 "$bin/hello-static is statically linked" "$R" hello-static
  expect_error 126 "statically linked" "$R" --carriers 2 -- "$bin/hello-static" arg
  ;;

static-pie)
  if [ -z "${HELLO_STATIC_PIE:-}" ]; then
    echo "SKIP: the toolchain cannot link -static-pie"
    exit 77
  fi
  cp "$HELLO_STATIC_PIE" "$bin/hello-static-pie"
  expect_error 126 "$bin/hello-static-pie is statically linked; LD_PRELOAD cannot reach it" \
    "$R" "$bin/hello-static-pie"
  ;;

script-static-interpreter)
  script "$tmp/s1" "#!$bin/hello-static"
  expect_error 126 "$tmp/s1: interpreter $bin/hello-static is statically linked; LD_PRELOAD cannot reach it" "$R" "$tmp/s1"
  script "$tmp/s2" "#! $bin/hello-static  -x  " "echo hi"
  expect_error 126 "$tmp/s2: interpreter $bin/hello-static is statically linked" "$R" "$tmp/s2"
  script "$tmp/s3" "#!/usr/bin/env hello-static"
  PATH="$bin:$PATH" expect_error 126 "$tmp/s3: interpreter $bin/hello-static is statically linked" "$R" "$tmp/s3"
  script "$tmp/s4" "#!/usr/bin/env -S hello-static -v"
  PATH="$bin:$PATH" expect_error 126 "interpreter $bin/hello-static is statically linked" "$R" "$tmp/s4"
  # Through PATH too.
  cp "$tmp/s1" "$bin/static-script"
  PATH="$bin:$PATH" expect_error 126 "$bin/static-script: interpreter $bin/hello-static is statically linked" \
    "$R" static-script
  ;;

script)
  script "$tmp/ok.sh" "#!/bin/sh" "exec \"$bin/show-env\" \"\$@\""
  expect_runs "$R" "$tmp/ok.sh" a b
  expect_out "argv[1]=a"
  script "$tmp/env.sh" "#!/usr/bin/env sh" "exec \"$bin/show-env\" from-env"
  expect_runs "$R" "$tmp/env.sh"
  expect_out "argv[1]=from-env"
  # No "#!": execvp hands a text file to /bin/sh.
  script "$tmp/plain" "exec \"$bin/show-env\" plain"
  expect_runs "$R" "$tmp/plain"
  expect_out "argv[1]=plain"
  # A missing or unusable interpreter is named.
  script "$tmp/missing" "#!$tmp/no-such-shell"
  expect_error 127 "$tmp/missing: interpreter $tmp/no-such-shell: no such program" "$R" "$tmp/missing"
  script "$tmp/missing-env" "#!/usr/bin/env no-such-interpreter-ringlet"
  expect_error 127 "interpreter no-such-interpreter-ringlet: no such program in PATH" "$R" "$tmp/missing-env"
  script "$tmp/dir-interp" "#!$tmp"
  expect_error 126 "$tmp/dir-interp: interpreter $tmp is a directory" "$R" "$tmp/dir-interp"
  ;;

foreign-elf)
  "$MAKE_ELF" i386 "$tmp/i386" || fail "make-elf"
  expect_error 126 "$tmp/i386 is a 32-bit i386 program and libringlet.so is 64-bit x86-64, so ringlet cannot run it" \
    "$R" "$tmp/i386"
  "$MAKE_ELF" aarch64 "$tmp/arm" || fail "make-elf"
  expect_error 126 "$tmp/arm is a 64-bit aarch64 program" "$R" "$tmp/arm"
  "$MAKE_ELF" ppc64be "$tmp/ppc" || fail "make-elf"
  expect_error 126 "$tmp/ppc is a 64-bit big-endian ppc64 program" "$R" "$tmp/ppc"
  script "$tmp/i386-script" "#!$tmp/i386"
  expect_error 126 "$tmp/i386-script: interpreter $tmp/i386 is a 32-bit i386 program" "$R" "$tmp/i386-script"
  ;;

bad-files)
  # Neither ELF nor a script: exec decides, and its errno is one line.
  for kind in short truncated rel; do
    "$MAKE_ELF" $kind "$tmp/$kind" || fail "make-elf"
    expect_error 126 "$tmp/$kind: cannot execute: " "$R" "$tmp/$kind"
  done
  printf 'MZ\0\0\0binary' >"$tmp/binary"
  chmod 755 "$tmp/binary"
  expect_error 126 "$tmp/binary: cannot execute: Exec format error" "$R" "$tmp/binary"
  "$MAKE_ELF" badloader "$tmp/badloader" || fail "make-elf"
  expect_error 127 "$tmp/badloader needs the dynamic loader /nonexistent/ld-ringlet-test.so.1, which is missing" \
    "$R" "$tmp/badloader"
  cp "$DUMMY_LIB" "$tmp/lib.so"
  chmod 755 "$tmp/lib.so"
  expect_error 126 "$tmp/lib.so is a shared library, not a program" "$R" "$tmp/lib.so"
  # An empty executable file is an empty shell script (execvp): exit 0.
  : >"$tmp/empty"
  chmod 755 "$tmp/empty"
  run "$R" "$tmp/empty"
  expect_rc 0
  expect_err_empty
  ;;

preload)
  expect_runs "$R" "$bin/show-env"
  expect_out "LD_PRELOAD=$lib_abs"
  # Appended to the user's entries, which stay and stay first.
  LD_PRELOAD="$DUMMY_LIB" expect_runs "$R" "$bin/show-env"
  expect_out "LD_PRELOAD=$DUMMY_LIB:$lib_abs"
  expect_out "mapped $DUMMY_LIB=yes"
  LD_PRELOAD="$DUMMY_LIB $DUMMY_LIB: " expect_runs "$R" "$bin/show-env"
  expect_out "LD_PRELOAD=$DUMMY_LIB $DUMMY_LIB:$lib_abs"
  LD_PRELOAD="" expect_runs "$R" "$bin/show-env"
  expect_out "LD_PRELOAD=$lib_abs"
  # Already there (ringlet under ringlet): not added twice.
  LD_PRELOAD="$lib_abs:$DUMMY_LIB" expect_runs "$R" "$bin/show-env"
  expect_out "LD_PRELOAD=$lib_abs:$DUMMY_LIB"
  expect_runs "$R" "$R" "$bin/show-env"
  expect_out "LD_PRELOAD=$lib_abs"
  ;;

explain)
  # The library's policy table, on stdout; options before --explain apply.
  run "$R" --explain
  expect_rc 0
  expect_err_empty
  grep -qE '^read +ring +io ' "$tmp/out" || fail "no ring policy for read"
  grep -qE '^close +track ' "$tmp/out" || fail "no track policy for close"
  run "$R" --patch all,-net --explain
  expect_rc 0
  grep -qE '^recvfrom +pass +net ' "$tmp/out" || fail "--patch -net did not switch recvfrom to pass"
  grep -qE '^read +ring ' "$tmp/out" || fail "--patch -net changed read"
  ;;

variables)
  log="$tmp/ringlet.log"
  expect_runs "$R" --carriers 3 --stack-size=256K --log "$log" --io try --patch=io,net "$bin/show-env"
  for line in RINGLET_CARRIERS=3 RINGLET_STACK_SIZE=256K "RINGLET_LOG=$log" RINGLET_IO=try RINGLET_PATCH=io,net; do
    expect_out "$line"
  done
  # The last one wins; variables already set stay unless a flag sets them.
  RINGLET_IO=ring RINGLET_PATCH=none expect_runs "$R" --stack-size 64K --stack-size=128K --patch all "$bin/show-env"
  expect_out "RINGLET_STACK_SIZE=128K"
  expect_out "RINGLET_IO=ring"
  expect_out "RINGLET_PATCH=all"
  expect_no_out "RINGLET_STACK_SIZE=64K"
  # No flag, no variable.
  expect_runs "$R" "$bin/show-env"
  grep -q '^RINGLET_' "$tmp/out" && fail "a RINGLET_ variable was set without a flag"
  ;;

dashdash)
  expect_runs "$R" -- "$bin/show-env" --carriers 5 --
  expect_out "argv[1]=--carriers"
  expect_out "argv[2]=5"
  expect_out "argv[3]=--"
  expect_no_out "RINGLET_CARRIERS=5"
  # Options end at PROGRAM, with or without "--".
  expect_runs "$R" --carriers 1 "$bin/show-env" --carriers 5 --help
  expect_out "RINGLET_CARRIERS=1"
  expect_out "argv[1]=--carriers"
  expect_out "argv[3]=--help"
  expect_runs "$R" --io=try -- "$bin/show-env"
  expect_out "RINGLET_IO=try"
  # After "--" a word that looks like an option is PROGRAM.
  expect_error 127 "--carriers: no such program in PATH" "$R" -- --carriers 2
  ;;

path-search)
  PATH="$bin:$PATH" expect_runs "$R" show-env x
  expect_out "argv[0]=show-env"
  expect_out "argv[1]=x"
  # An empty PATH entry is the current directory.
  (cd "$bin" && PATH=":/usr/bin:/bin" expect_runs "$R" show-env) || exit 1
  # A name with a slash is not searched for.
  mkdir -p "$tmp/sub"
  cp "$SHOW_ENV" "$tmp/sub/show-env"
  (cd "$tmp" && PATH="$bin:$PATH" expect_runs "$R" sub/show-env && expect_out "argv[0]=sub/show-env") || exit 1
  (cd "$tmp" && PATH="$bin:$PATH" expect_error 127 "./show-env: no such program" "$R" ./show-env) || exit 1
  # No PATH at all: the system default, as execvp.
  run env -u PATH "$R" sh -c 'echo default-path'
  expect_rc 0
  expect_out default-path
  ;;

exit-status)
  run "$R" /bin/sh -c 'exit 7'
  expect_rc 7
  run "$R" /bin/sh -c 'echo to-stderr >&2; exit 0'
  expect_rc 0
  [ "$err" = to-stderr ] || fail "the program's stderr was changed"
  ;;

library)
  # RINGLET_LIB first; relative paths made absolute.
  RINGLET_LIB="$DUMMY_LIB" run "$R" "$bin/show-env"
  expect_rc 0
  expect_out "LD_PRELOAD=$dummy_abs"
  (cd "$(dirname "$DUMMY_LIB")" && RINGLET_LIB="./$(basename "$DUMMY_LIB")" run "$R" "$bin/show-env" &&
    expect_out "LD_PRELOAD=$dummy_abs") || exit 1
  RINGLET_LIB="$tmp/missing.so" expect_error 127 "RINGLET_LIB=$tmp/missing.so: No such file or directory" \
    "$R" "$bin/show-env"
  RINGLET_LIB="$bin/show-env" expect_error 127 "$bin/show-env: not a shared library" "$R" "$bin/show-env"
  # The build tree: <build>/tools/launcher/ringlet finds <build>/interpose.
  mkdir -p "$tmp/b/tools/launcher" "$tmp/b/interpose"
  cp "$R" "$tmp/b/tools/launcher/ringlet"
  cp "$DUMMY_LIB" "$tmp/b/interpose/libringlet.so"
  run "$tmp/b/tools/launcher/ringlet" "$bin/show-env"
  expect_rc 0
  expect_out "LD_PRELOAD=$(cd "$tmp" && pwd -P)/b/interpose/libringlet.so"
  # A path LD_PRELOAD cannot hold.
  mkdir -p "$tmp/with space/tools/launcher" "$tmp/with space/interpose"
  cp "$R" "$tmp/with space/tools/launcher/ringlet"
  cp "$DUMMY_LIB" "$tmp/with space/interpose/libringlet.so"
  expect_error 127 "LD_PRELOAD cannot hold a path with a space or colon" \
    "$tmp/with space/tools/launcher/ringlet" "$bin/show-env"
  # Elsewhere: the installed path compiled in.
  mkdir -p "$tmp/x/y/z"
  cp "$R" "$tmp/x/y/z/ringlet"
  if [ -e "$INSTALLED_LIB" ]; then
    run "$tmp/x/y/z/ringlet" "$bin/show-env"
    expect_rc 0
    expect_out "LD_PRELOAD=$INSTALLED_LIB"
  else
    expect_error 127 "cannot find libringlet.so (looked at $tmp/x/y/z/../../interpose/libringlet.so and $INSTALLED_LIB)" \
      "$tmp/x/y/z/ringlet" "$bin/show-env"
    run "$tmp/x/y/z/ringlet" --help
    expect_rc 0
    grep -q "^Library: not found: cannot find libringlet.so" "$tmp/out" || fail "--help does not say the library is missing"
  fi
  ;;

setuid)
  [ "$(id -u)" = 0 ] || { echo "SKIP: needs root to make a set-user-ID file of another user"; exit 77; }
  cp "$SHOW_ENV" "$tmp/suid"
  chmod 755 "$tmp" "$tmp/bin"
  if ! chown nobody "$tmp/suid" || ! chmod 4755 "$tmp/suid"; then echo "SKIP: cannot chown"; exit 77; fi
  run "$R" "$tmp/suid"
  expect_rc 0
  [ "$(wc -l <"$tmp/err")" = 1 ] || fail "expected one warning line"
  case "$err" in "ringlet: warning: $tmp/suid is set-user-ID"*) ;; *) fail "no set-user-ID warning" ;; esac
  ;;

source-script)
  # tools/ringlet in a copy of the source tree, with fake launchers.
  repo="$tmp/repo"
  mkdir -p "$repo/tools"
  cp "$SOURCE_ROOT/tools/ringlet" "$repo/tools/ringlet"
  [ -x "$SOURCE_ROOT/tools/ringlet" ] || fail "tools/ringlet is not executable"
  expect_error 127 "ringlet: not built yet; run: meson setup build && ninja -C build" "$repo/tools/ringlet" --version
  [ "$err" = "ringlet: not built yet; run: meson setup build && ninja -C build" ] || fail "wrong message"
  fake() {  # fake BUILDDIR: a launcher that says where it is and its args
    mkdir -p "$repo/$1/tools/launcher"
    script "$repo/$1/tools/launcher/ringlet" "#!/bin/sh" "echo \"$1:\" \"\$@\""
  }
  fake build-b
  fake build-a
  run "$repo/tools/ringlet" --carriers 2 -- 'a b' c
  expect_rc 0
  [ "$out" = "build-a: --carriers 2 -- a b c" ] || fail "did not run build-a's launcher with the arguments"
  fake build
  (cd / && run "$repo/tools/ringlet" x && { [ "$out" = "build: x" ] || fail "build/ is not preferred"; }) || exit 1
  # Through a symbolic link to the script.
  ln -s "$repo/tools/ringlet" "$tmp/bin/ringlet-link"
  run "$tmp/bin/ringlet-link" y
  [ "$out" = "build: y" ] || fail "a link to tools/ringlet does not find the repository"
  # build/ configured but not built.
  rm "$repo/build/tools/launcher/ringlet"
  expect_error 127 "not built yet" "$repo/tools/ringlet" x
  ;;

*)
  echo "check.sh: unknown case $case_name" >&2
  exit 2
  ;;
esac
echo "PASS: $case_name"
exit 0
