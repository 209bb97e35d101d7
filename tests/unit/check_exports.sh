#!/bin/sh
# libringlet.so exports exactly what interpose/ringlet.map lists (STYLE §11):
# nothing more (hidden runtime symbols stay hidden), nothing less (a name in
# the map without a definition would silently not be interposed).
set -eu
lib=$1 map=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Names in the map: the words ending in ';' between "global:" and "local:".
sed -n '/global:/,/local:/p' "$map" | sed 's,/\*.*\*/,,g' | tr ' ;' '\n\n' |
  grep -E '^[A-Za-z_][A-Za-z0-9_]*$' | grep -vx 'global' | sort -u >"$tmp/map"
nm -D --defined-only "$lib" | awk '$2 ~ /^[TWiV]$/ {print $3}' | sed 's/@.*//' | sort -u >"$tmp/lib"
if ! cmp -s "$tmp/map" "$tmp/lib"; then
  echo "exported names differ from the map (< map only, > library only):"
  diff "$tmp/map" "$tmp/lib" || true
  exit 1
fi
echo "$(wc -l <"$tmp/lib") names exported, as the map says"
