#!/usr/bin/env bash
# Edge cases of running under ringlet, each against the native run:
#   fallback ERRNO PROG...  io_uring_setup fails with ERRNO: same result, and
#                           one line saying ringlet passes calls through
#   badenv PROG...          bad RINGLET_* values: same result, one warning
#                           line per bad value, naming it
#   overflow PROG           a thread overflows its stack: killed by SIGSEGV
#                           as natively, after one line naming the fiber
#   tlsfallback PROG...     the TLS self-test fails (a preloaded shim breaks
#                           one of glibc's layout descriptions): same result
#                           with shared TLS, and one line saying so
#   tlsshared PROG...       RINGLET_TLS=shared: same result, no message
#   noinherit PROG...       ringlet --no-inherit, and RINGLET_INHERIT=0: same
#                           result; PROG (process/exec_children) still runs
#                           under ringlet, the programs it starts do not
#                           (their os_threads reports show kernel threads)
# Environment: LAUNCHER, NO_URING, LIB, TLS_SHIM (paths). Exit 0 pass, 1 fail.
set -u
case_=$1; shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; for f in "$tmp"/*; do echo "--- ${f##*/}"; head -n 20 "$f"; done; exit 1; }
# Cases other than the fallback need ringlet running, not falling back.
skip_without_uring() {
  if grep -q '^ringlet: io_uring unavailable' "$1"; then
    echo "SKIP: $(grep -m1 '^ringlet: io_uring unavailable' "$1")"
    exit 77
  fi
}

case $case_ in
fallback)
  err=$1; shift
  "$@" >"$tmp/native.out" 2>/dev/null </dev/null || fail "native run failed"
  "$NO_URING" "$err" "$LAUNCHER" "$@" >"$tmp/ringlet.out" 2>"$tmp/ringlet.err" </dev/null
  rc=$?
  [ "$rc" = 77 ] && { echo "SKIP: seccomp unavailable"; exit 77; }
  [ "$rc" = 0 ] || fail "exit status $rc without io_uring"
  cmp -s "$tmp/native.out" "$tmp/ringlet.out" || fail "stdout differs from the native run"
  want="ringlet: io_uring unavailable ($err); calls pass straight through, threads stay threads"
  [ "$(grep -c '^ringlet:' "$tmp/ringlet.err")" = 1 ] || fail "expected exactly one ringlet line"
  grep -qxF "$want" "$tmp/ringlet.err" || fail "expected the line: $want"
  ;;
badenv)
  "$@" >"$tmp/native.out" 2>/dev/null </dev/null || fail "native run failed"
  RINGLET_STACK_SIZE=huge RINGLET_CARRIERS=many RINGLET_IO=fast RINGLET_PATCH=io,, RINGLET_TLS=fs \
    "$LAUNCHER" "$@" >"$tmp/ringlet.out" 2>"$tmp/ringlet.err" </dev/null || fail "exit status $? with bad values"
  skip_without_uring "$tmp/ringlet.err"
  cmp -s "$tmp/native.out" "$tmp/ringlet.out" || fail "stdout differs from the native run"
  for v in RINGLET_STACK_SIZE=huge RINGLET_CARRIERS=many RINGLET_IO=fast RINGLET_PATCH=io,, RINGLET_TLS=fs; do
    [ "$(grep -cF "ringlet: $v " "$tmp/ringlet.err")" = 1 ] || fail "no single warning line for $v"
  done
  n=$(grep -c 'using the default$' "$tmp/ringlet.err")
  [ "$n" = 5 ] || fail "expected 5 'using the default' lines, got $n"
  ;;
overflow)
  ulimit -c 0
  (exec "$@") >"$tmp/native.out" 2>"$tmp/native.err" </dev/null
  nrc=$?
  ("$LAUNCHER" "$@") >"$tmp/ringlet.out" 2>"$tmp/ringlet.err" </dev/null
  rrc=$?
  skip_without_uring "$tmp/ringlet.err"
  [ "$nrc" = 139 ] || fail "native run: expected death by SIGSEGV (139), got $nrc"
  [ "$rrc" = 139 ] || fail "under ringlet: expected death by SIGSEGV (139), got $rrc"
  cmp -s "$tmp/native.out" "$tmp/ringlet.out" || fail "stdout differs from the native run"
  grep -qE '^ringlet: fiber [0-9]+ overflowed its stack of [0-9]+ KiB' "$tmp/ringlet.err" ||
    fail "no line naming the fiber that overflowed"
  ;;
tlsfallback)
  "$@" >"$tmp/native.out" 2>/dev/null </dev/null || fail "native run failed"
  LD_PRELOAD="$TLS_SHIM $LIB" "$@" >"$tmp/ringlet.out" 2>"$tmp/ringlet.err" </dev/null ||
    fail "exit status $? with the TLS fallback"
  skip_without_uring "$tmp/ringlet.err"
  cmp -s "$tmp/native.out" "$tmp/ringlet.out" || fail "stdout differs from the native run"
  want="ringlet: per-fiber thread-local storage unavailable (struct pthread's size is not described); "
  want+="__thread variables are shared by the fibers of a carrier, errno stays per fiber"
  [ "$(grep -c '^ringlet:' "$tmp/ringlet.err")" = 1 ] || fail "expected exactly one ringlet line"
  grep -qxF "$want" "$tmp/ringlet.err" || fail "expected the line: $want"
  ;;
tlsshared)
  "$@" >"$tmp/native.out" 2>/dev/null </dev/null || fail "native run failed"
  RINGLET_TLS=shared "$LAUNCHER" "$@" >"$tmp/ringlet.out" 2>"$tmp/ringlet.err" </dev/null ||
    fail "exit status $? with RINGLET_TLS=shared"
  skip_without_uring "$tmp/ringlet.err"
  cmp -s "$tmp/native.out" "$tmp/ringlet.out" || fail "stdout differs from the native run"
  ! grep -q '^ringlet:' "$tmp/ringlet.err" || fail "unexpected message: $(grep '^ringlet:' "$tmp/ringlet.err")"
  ;;
noinherit)
  "$@" >"$tmp/native.out" 2>"$tmp/native.err" </dev/null || fail "native run failed"
  native_children=$(grep -c '^os_threads=9$' "$tmp/native.err")
  [ "$native_children" -ge 4 ] || fail "the program's children did not report 9 threads natively"
  for how in flag env; do
    if [ $how = flag ]; then
      "$LAUNCHER" --no-inherit "$@" >"$tmp/$how.out" 2>"$tmp/$how.err" </dev/null || fail "exit status $?"
    else
      RINGLET_INHERIT=0 "$LAUNCHER" "$@" >"$tmp/$how.out" 2>"$tmp/$how.err" </dev/null || fail "exit status $?"
    fi
    skip_without_uring "$tmp/$how.err"
    cmp -s "$tmp/native.out" "$tmp/$how.out" || fail "$how: stdout differs from the native run"
    n=$(grep -c '^os_threads=9$' "$tmp/$how.err")
    # The forked and the cloned child are still ringlet's (no new program);
    # the four programs it starts are not.
    [ "$n" = $((native_children - 2)) ] || fail "$how: $n children with kernel threads, want $((native_children - 2))"
    last=$(grep '^os_threads=' "$tmp/$how.err" | tail -n 1 | cut -d= -f2)
    [ "$last" -le 2 ] || fail "$how: the program itself has $last OS threads: not under ringlet"
  done
  ;;
*) echo "edge.sh: unknown case $case_"; exit 2 ;;
esac
echo "ok: $case_"
