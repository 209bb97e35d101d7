#!/usr/bin/env bash
# Runs one plain program natively and under ringlet and expects the same
# result: identical stdout and exit status. Under ringlet the program's
# largest "os_threads=N" report (stderr) must not exceed --max-threads.
#
# usage: run.sh --lib LIBRINGLET [--launcher RINGLET] [--max-threads N]
#               [--need-report] [--timeout SEC] [--only-ringlet] -- PROG [ARGS...]
# Exit: 0 same result, 1 different, 77 skipped (the program exits 77
# natively: it says why on stderr).
set -u
lib="" launcher="" max_threads=4 need_report=0 timeout_s=120 only_ringlet=0
while [ $# -gt 0 ]; do
  case "$1" in
    --lib) lib=$2; shift 2 ;;
    --launcher) launcher=$2; shift 2 ;;
    --max-threads) max_threads=$2; shift 2 ;;
    --need-report) need_report=1; shift ;;
    --timeout) timeout_s=$2; shift 2 ;;
    --only-ringlet) only_ringlet=1; shift ;;
    --) shift; break ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ $# -ge 1 ] || { echo "run.sh: no program" >&2; exit 2; }
[ -f "$lib" ] || { echo "run.sh: no library at '$lib'" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run() {  # run NAME CMD...
  local name=$1; shift
  local t0 t1
  t0=$(date +%s.%N)
  timeout -k 5 "$timeout_s" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null
  echo $? >"$tmp/$name.rc"
  t1=$(date +%s.%N)
  printf '%s: exit %s in %ss\n' "$name" "$(cat "$tmp/$name.rc")" \
    "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')"
}

max_report() {
  grep -o '^os_threads=[0-9]*' "$1" | cut -d= -f2 | sort -n | tail -n 1
}

if [ $only_ringlet -eq 0 ]; then
  run native "$@"
  if [ "$(cat "$tmp/native.rc")" = 77 ]; then
    echo "SKIP: $(tail -n 1 "$tmp/native.err")"
    exit 77
  fi
fi
if [ -n "$launcher" ] && [ -x "$launcher" ]; then
  run ringlet "$launcher" -- "$@"
else
  run ringlet env LD_PRELOAD="$lib" "$@"
fi

# A machine without io_uring: ringlet says so and runs the program as
# without it, so there is nothing of ringlet's to compare (edge.sh tests the
# fallback itself).
if grep -q '^ringlet: io_uring unavailable' "$tmp/ringlet.err"; then
  echo "SKIP: $(grep -m1 '^ringlet: io_uring unavailable' "$tmp/ringlet.err")"
  exit 77
fi

fail=0
if [ $only_ringlet -eq 0 ]; then
  if ! cmp -s "$tmp/native.out" "$tmp/ringlet.out"; then
    echo "FAIL: stdout differs (native vs ringlet):"
    diff "$tmp/native.out" "$tmp/ringlet.out" | head -n 40
    fail=1
  fi
  if [ "$(cat "$tmp/native.rc")" != "$(cat "$tmp/ringlet.rc")" ]; then
    echo "FAIL: exit status native $(cat "$tmp/native.rc"), ringlet $(cat "$tmp/ringlet.rc")"
    fail=1
  fi
  [ "$(cat "$tmp/native.rc")" = 0 ] || { echo "FAIL: the program fails natively"; fail=1; }
else
  [ "$(cat "$tmp/ringlet.rc")" = 0 ] || { echo "FAIL: exit status $(cat "$tmp/ringlet.rc") under ringlet"; fail=1; }
fi
nr=$(max_report "$tmp/native.err" 2>/dev/null)
rr=$(max_report "$tmp/ringlet.err")
echo "os threads: native ${nr:--}, ringlet ${rr:--} (limit $max_threads)"
if [ -n "$rr" ] && [ "$rr" -gt "$max_threads" ]; then
  echo "FAIL: $rr OS threads under ringlet"
  fail=1
fi
if [ $need_report -eq 1 ] && [ -z "$rr" ]; then
  echo "FAIL: the program did not report its threads under ringlet"
  fail=1
fi
if [ $fail -ne 0 ]; then
  for n in native ringlet; do
    [ -f "$tmp/$n.err" ] || continue
    echo "--- $n stderr (tail) ---"
    tail -n 15 "$tmp/$n.err"
  done
  echo "--- stdout (ringlet, head) ---"
  head -n 20 "$tmp/ringlet.out"
fi
exit $fail
