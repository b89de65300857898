#!/usr/bin/env bash
# ./scripts/bench --quick: every benchmark runs one short iteration and the table has a figure in
# every row. No timing is asserted — "met" and "MISSED" are the table's business, not the test's.
#   bench_smoke.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1 build=$2
work=$(mktemp -d)
out=$work/run
trap 'rm -rf "$work"' EXIT
fail() { echo "bench_smoke: $*" >&2; [ -f "$out/errors.log" ] && tail -20 "$out/errors.log" >&2; exit 1; }

"$src/scripts/bench" --quick --no-build --build-dir "$build" --out "$out" >"$work/stdout" 2>"$work/stderr" ||
  { cat "$work/stderr" >&2; fail "scripts/bench --quick exited $?"; }
if grep -q "FAILED" "$work/stderr"; then fail "a tool failed: $(grep FAILED "$work/stderr")"; fi
table=$out/table.txt
[ -s "$table" ] || fail "no table"
for row in "SSE ingest, one file" "WebSocket notification frames" "lifecycle events, durable" "added latency at 10,000 events/s" \
           "the seed's flow, 16 in flight" "the seed's flow, one at a time" "Genesys calls per conversation" \
           "idle RSS" "memory per tracked conversation"; do
  line=$(grep -F "$row" "$table") || fail "no row '$row'"
  # The second column (our figure) starts with a digit: the tool ran and its JSON was read.
  echo "$line" | sed 's/  \+/\t/g' | cut -f2 | grep -q '^[0-9]' || fail "no figure in row '$row': $line"
done
grep -q "(we: [0-9]* %)" "$table" || fail "the SSE row does not compare with the measured limit"
steps=$(grep -c '^BM_' "$table")
[ "$steps" -eq 13 ] || fail "$steps steps in the table, expected 13"
grep -q '^BM_OutboxAppendAck *[0-9]' "$table" || fail "the outbox step has no figure"
# Offered-load series for the plot: two series, each with points.
[ "$(grep -c '^[0-9]' "$out/load.dat")" -ge 4 ] || fail "the offered-load series are empty: $(cat "$out/load.dat")"
echo "bench_smoke: ok"
