# shellcheck shell=bash disable=SC2034  # the scripts that source this use its variables
# Shared by tools/demo's steps (sourced, not run): building, running a
# program natively or under ringlet, the echo server's life cycle, /proc
# sampling, cleanup and number formatting.
#
# Expects REPO to be set; uses BUILD_DIR (default $REPO/build).

# Tables hold ±, × and ≥: pad them by characters (bash's printf does so in a
# UTF-8 locale); numbers stay in the C format.
if locale -a 2>/dev/null | grep -qix 'c\.utf-\?8'; then
	unset LC_ALL
	export LC_CTYPE=C.UTF-8 LC_NUMERIC=C
fi

BUILD_DIR=${BUILD_DIR:-$REPO/build}
case $BUILD_DIR in /*) ;; *) BUILD_DIR=$PWD/$BUILD_DIR ;; esac
LOAD_DIR=$BUILD_DIR/tools/load
LIBRINGLET=$BUILD_DIR/interpose/libringlet.so
LAUNCHER=$BUILD_DIR/tools/launcher/ringlet

# The targets the scripts run, as ninja names them. Without the launcher we
# fall back to LD_PRELOAD, so it is optional.
NEEDED_TARGETS=(tools/load/echo_server tools/load/echo_load interpose/libringlet.so)
OPTIONAL_TARGETS=(tools/launcher/ringlet)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ringlet-load.XXXXXX")
PIDS=()            # processes to kill on exit

say() { printf '%s\n' "$*" >&2; }
die() { say "${0##*/}: $*"; exit 1; }

# Configures BUILD_DIR if it is missing and brings the targets we run up to
# date (a no-op when they are). Only the needed targets, so an unrelated test
# that does not compile does not stop us.
ensure_build() {
	"$REPO/tools/deps" || die "the Debian packages ringlet needs are missing (see above)"
	if [[ ! -f $BUILD_DIR/build.ninja ]]; then
		say "configuring $BUILD_DIR (meson setup)…"
		meson setup "$BUILD_DIR" "$REPO" >"$WORK/setup.log" 2>&1 || {
			tail -n 20 "$WORK/setup.log" >&2
			die "meson setup $BUILD_DIR failed"
		}
	fi
	if ! ninja -C "$BUILD_DIR" -n "${NEEDED_TARGETS[@]}" "${OPTIONAL_TARGETS[@]}" \
		2>/dev/null | grep -q 'no work to do'; then
		say "building in $BUILD_DIR (ninja)…"
		local log=${TMPDIR:-/tmp}/ringlet-build.log
		ninja -C "$BUILD_DIR" "${NEEDED_TARGETS[@]}" >"$log" 2>&1 || {
			grep -E 'error|FAILED' "$log" | head -n 20 >&2
			die "ninja -C $BUILD_DIR failed (full log: $log)"
		}
		ninja -C "$BUILD_DIR" "${OPTIONAL_TARGETS[@]}" >>"$log" 2>&1 ||
			say "the launcher did not build (see $log); using LD_PRELOAD"
	fi
}

check_built() {
	local t
	for t in echo_server echo_load; do
		[[ -x $LOAD_DIR/$t ]] || die "$LOAD_DIR/$t is missing (build first, or drop --no-build)"
	done
	[[ -f $LIBRINGLET ]] || die "$LIBRINGLET is missing (build first, or drop --no-build)"
}

# RINGLET: the command prefix that runs a program under ringlet. The launcher
# once it works (ringlet --version exits 0), LD_PRELOAD until then.
setup_ringlet() {
	if [[ -x $LAUNCHER ]] && "$LAUNCHER" --version >/dev/null 2>&1; then
		RINGLET=("$LAUNCHER" --)
		RINGLET_HOW="launcher $LAUNCHER"
	else
		RINGLET=(env "LD_PRELOAD=$LIBRINGLET${LD_PRELOAD:+:$LD_PRELOAD}")
		RINGLET_HOW="LD_PRELOAD=$LIBRINGLET (launcher not ready)"
	fi
}

# peer_prefix native|ringlet: sets PREFIX, the command prefix for the peer.
peer_prefix() {
	case $1 in
	ringlet) PREFIX=("${RINGLET[@]}") ;;
	*) PREFIX=() ;;
	esac
}

# Server on CPU 0, load generator on CPU 1, when there are two CPUs to use.
setup_pinning() {
	PIN_SERVER=() PIN_LOAD=()
	PIN_NOTE="not pinned (fewer than 2 CPUs available or no taskset)"
	if command -v taskset >/dev/null && taskset -c 0 true 2>/dev/null &&
		taskset -c 1 true 2>/dev/null; then
		PIN_SERVER=(taskset -c 0) PIN_LOAD=(taskset -c 1)
		PIN_NOTE="echo server pinned to CPU 0, echo_load to CPU 1 (taskset)"
	fi
}

# Each connection costs the server and the load generator a descriptor.
raise_fd_limit() {
	local need=$1 hard
	hard=$(ulimit -Hn)
	if [[ $(ulimit -Sn) != unlimited && $(ulimit -Sn) -lt $need ]]; then
		if [[ $hard == unlimited || $hard -ge $need ]]; then
			ulimit -Sn "$need"
		else
			ulimit -Sn "$hard"
		fi
	fi
	FD_LIMIT=$(ulimit -Sn)
}

kill_pid() {
	local pid=$1 i
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 40; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		# a zombie still answers kill -0; it is dead enough
		[[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) == Z ]] && break
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do kill_pid "$pid"; done
	PIDS=()
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_server native|ringlet: sets SERVER_PID (what we started), SERVER_PROC
# (the echo_server process itself) and SERVER_PORT, or returns 1 with the
# reason on stderr. The wrappers (taskset, env, the launcher) exec, so the two
# PIDs are normally the same; should a wrapper fork, SERVER_PROC is its child.
start_server() {
	local peer=$1 i
	peer_prefix "$peer"
	: >"$WORK/server.out"
	"${PIN_SERVER[@]}" "${PREFIX[@]}" "$LOAD_DIR/echo_server" \
		>"$WORK/server.out" 2>"$WORK/server.err" &
	SERVER_PID=$!
	PIDS+=("$SERVER_PID")
	SERVER_PORT=
	for ((i = 0; i < 200; i++)); do
		read -r _ SERVER_PORT <"$WORK/server.out" 2>/dev/null
		if [[ -n $SERVER_PORT ]]; then
			SERVER_PROC=$SERVER_PID
			if [[ $(cat "/proc/$SERVER_PID/comm" 2>/dev/null) != echo_server ]]; then
				SERVER_PROC=$(pgrep -P "$SERVER_PID" -x echo_server | head -n 1)
				SERVER_PROC=${SERVER_PROC:-$SERVER_PID}
			fi
			return 0
		fi
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$SERVER_PID" 2>/dev/null; then
		say "echo_server ($peer) did not print its port within 10 s:"
	else
		wait "$SERVER_PID"
		say "echo_server ($peer) exited at start (exit $?):"
	fi
	head -n 5 "$WORK/server.err" >&2
	stop_server
	return 1
}

forget_pid() {
	local pid keep=()
	for pid in "${PIDS[@]}"; do [[ $pid != "$1" ]] && keep+=("$pid"); done
	PIDS=("${keep[@]}")
}

stop_server() {
	kill_pid "$SERVER_PID"
	forget_pid "$SERVER_PID"
}

# proc_sample PID: prints "threads vmrss_kib" (empty if the process is gone).
proc_sample() {
	awk '/^Threads:/ {t = $2} /^VmRSS:/ {r = $2} END {if (t) print t, r + 0}' \
		"/proc/$1/status" 2>/dev/null
}

# run_echo native|ringlet CONNS SIZE SECONDS WARMUP: one run of the echo
# server under echo_load. Sets ECHO_RATE, ECHO_THREADS (max OS threads) and
# ECHO_RSS (max VmRSS, KiB) sampled while the load runs, or returns 1.
run_echo() {
	local peer=$1 conns=$2 size=$3 seconds=$4 warmup=$5 lpid s t r line
	ECHO_RATE='' ECHO_THREADS=0 ECHO_RSS=0
	start_server "$peer" || return 1
	timeout -k 5 "$(awk -v s="$seconds" -v w="$warmup" 'BEGIN {print s + w + 60}')" \
		"${PIN_LOAD[@]}" "$LOAD_DIR/echo_load" --port "$SERVER_PORT" \
		--conns "$conns" --size "$size" --seconds "$seconds" \
		--warmup "$warmup" >"$WORK/load.out" 2>"$WORK/load.err" &
	lpid=$!
	PIDS+=("$lpid")
	while kill -0 "$lpid" 2>/dev/null; do
		s=$(proc_sample "$SERVER_PROC")
		if [[ -n $s ]]; then
			read -r t r <<<"$s"
			((t > ECHO_THREADS)) && ECHO_THREADS=$t
			((r > ECHO_RSS)) && ECHO_RSS=$r
		fi
		sleep 0.2
	done
	wait "$lpid"
	local rc=$?
	forget_pid "$lpid"
	if ! kill -0 "$SERVER_PID" 2>/dev/null; then
		say "echo_server ($peer) died during the run:"
		head -n 5 "$WORK/server.err" >&2
		rc=1
	fi
	stop_server
	line=$(tail -n 1 "$WORK/load.out")
	if ((rc != 0)) || [[ $line != *errors=0* ]]; then
		say "echo_load failed ($peer, $conns connections, exit $rc): ${line:-no output}"
		head -n 5 "$WORK/load.err" >&2
		return 1
	fi
	ECHO_RATE=$(field rate "$line")
	return 0
}

# field NAME "k=v k=v …": prints the value of NAME.
field() {
	local kv
	for kv in $2; do
		[[ ${kv%%=*} == "$1" ]] && { printf '%s\n' "${kv#*=}"; return 0; }
	done
	return 1
}

# Number formatting: group thousands (1,234,567), keep a few digits.
fmt_num() {
	awk -v x="$1" 'BEGIN {
		if (x == "" || x == "-") { print "-"; exit }
		if (x + 0 >= 1000 || x == int(x)) {
			s = sprintf("%.0f", x); o = ""
			while (length(s) > 3) { o = "," substr(s, length(s) - 2) o; s = substr(s, 1, length(s) - 3) }
			print s o
		} else if (x + 0 >= 100) printf "%.0f\n", x
		else if (x + 0 >= 10) printf "%.1f\n", x
		else printf "%.2f\n", x
	}'
}

# fmt_kib KIB: 1.7 MiB, 812 KiB, 2.1 GiB.
fmt_kib() {
	awk -v k="$1" 'BEGIN {
		if (k == "" || k == "-") print "-"
		else if (k >= 1048576) printf "%.1f GiB\n", k / 1048576
		else if (k >= 10240) printf "%.0f MiB\n", k / 1024
		else if (k >= 1024) printf "%.1f MiB\n", k / 1024
		else printf "%d KiB\n", k
	}'
}

# Kernel memory of one thread, simply estimated: its kernel stack (KernelStack
# in /proc/meminfo over the number of tasks) plus its task_struct (slabinfo,
# readable by root; 6 KiB otherwise). Prints KiB.
kernel_kib_per_thread() {
	local stack tasks ts
	stack=$(awk '/^KernelStack:/ {print $2}' /proc/meminfo)
	tasks=$(awk '{split($4, a, "/"); print a[2]}' /proc/loadavg)
	ts=$(awk '$1 == "task_struct" {print $4}' /proc/slabinfo 2>/dev/null)
	awk -v s="${stack:-0}" -v n="${tasks:-0}" -v t="${ts:-6144}" 'BEGIN {
		per = (n > 0 && s > 0) ? s / n : 16
		if (per < 8 || per > 64) per = 16
		per = 4 * int(per / 4 + 0.5)   # kernel stacks come in pages
		printf "%.1f\n", per + t / 1024
	}'
}
