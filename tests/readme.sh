#!/usr/bin/env bash
# Every command of the README's ```sh blocks, run as written, in order, in a scratch directory
# (with build/ of this tree), against the simulators they start themselves on 9443-9445 and 9464.
# Not run here: ./scripts/demo and ./scripts/test (the README's two commands: CI runs the second,
# and the first is `genesys-relay demo`, run below, after a build), and the ```console block of
# the deploy section (root on a host with systemd). A command that fails fails the test.
set -euo pipefail
name=readme; readme="$1"; build="$2"
source "$(dirname "$0")/process_lib.sh"
cd "$tmp"
ln -s "$build/.." build
# The ```sh blocks, continuation lines joined, the two top-level scripts left out.
awk '/^```sh$/{on=1; next} /^```/{on=0} on' "$readme" | sed -e :a -e '/\\$/N; s/\\\n//; ta' \
  | grep -v -E '^\./scripts/(demo|test)( |$)' >commands.sh
[ "$(grep -c . commands.sh)" -ge 15 ] || fail "too few README commands found: $(cat commands.sh)"
cp commands.sh run.sh
# In a session of its own: whatever the commands leave running is killed with the group, and
# nothing of another test (whose relay may also read a relay.toml) is touched.
setsid bash -euo pipefail run.sh >readme.out 2>readme.err &
group=$!
set +e
wait $group; code=$?
set -e
kill -TERM -- "-$group" 2>/dev/null || true
[ $code -eq 0 ] || fail "a README command failed (exit $code): $(tail -5 readme.err)"
grep -q "genesys-relay demo summary" readme.out || fail "the demo's summary is missing"
grep -q "^ok   sink eventbridge: " readme.out || fail "validate --check-connectivity: $(grep -E '^(ok|FAIL)' readme.out)"
grep -q "^genesys-relay top — http://127.0.0.1:9464 " readme.out || fail "top --once printed nothing"
grep -Eq "^5a3f2c1e-0000-4000-8000-000000000002  forwarded " readme.out || fail "forward: $(grep 5a3f2c1e readme.out)"
grep -Eq '^relay_sink_delivered_total\{sink="eventbridge"\} [0-9]+' readme.out || fail "the curl of /metrics"
grep -Eq '^[0-9a-f]{8}-[0-9a-f]{4}-' readme.out || fail "eventbridge put printed no EventId"
grep -q '"data":"a"' readme.out || fail "sse-parse printed: $(grep data readme.out)"
[ -s events.txt ] || fail "the monitor printed no events"
ls dist/genesys-relay_*_amd64.deb >/dev/null || fail "cpack made no package"
echo "readme: $(grep -c . commands.sh) commands run"
echo "readme: ok"
