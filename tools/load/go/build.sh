#!/bin/sh
# Builds the Go peers of issue 5's benchmark suite (echo_go, http_go,
# micro_go) into OUTDIR, offline and standard library only:
#
#   tools/load/go/build.sh OUTDIR
#
# Does nothing when every binary is newer than every .go file and go.mod.
# Exits 77 (skip) when go is not installed.
set -eu

if [ $# -ne 1 ] || [ -z "$1" ]; then
	echo "usage: ${0##*/} OUTDIR" >&2
	exit 2
fi
if ! command -v go >/dev/null 2>&1; then
	echo "go: not installed (apt-get install golang-go)" >&2
	exit 77
fi

src=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd) # go wants absolute GOCACHE and GOPATH

stale=
for bin in echo_go http_go micro_go; do
	if [ ! -f "$out/$bin" ] ||
		[ -n "$(find "$src" \( -name '*.go' -o -name go.mod \) -newer "$out/$bin" | head -n 1)" ]; then
		stale=1
		break
	fi
done
[ -n "$stale" ] || exit 0

export GOCACHE="$out/.gocache" GOPATH="$out/.gopath" GOFLAGS=-mod=mod \
	GOPROXY=off GOTOOLCHAIN=local CGO_ENABLED=0 GO111MODULE=on GOWORK=off
cd "$src"
for pkg in echo http micro; do
	go build -trimpath -o "$out/${pkg}_go" "./$pkg"
done
# go build leaves an up-to-date binary as it is; mark all three as fresh.
touch "$out/echo_go" "$out/http_go" "$out/micro_go"
