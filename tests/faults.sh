#!/usr/bin/env bash
# Faults an operator meets, against real processes: the relay (`monitor` with the forwarder and
# /metrics) and the simulated org with its sinks (`sim --with-sinks`), each its own process.
#   1. Genesys goes away for longer than the old five reconnects (kill -9 of the simulator):
#      the relay stays up, says so in /readyz and /metrics, and routes again when it is back.
#   2. SIGTERM while a forward hangs on a CRM that never answers: exit 0 once the shutdown
#      deadline passes, the trigger pending for the next start; a second signal exits at once.
#   3. Forwards abandoned by an immediate exit (a second signal; kill -9 leaves the same state):
#      the next start resumes them and they reach the CRM and the audit log.
#   4. A state database that cannot be opened: exit 2 naming it.
# No timing is asserted: waits are bounded polls on what the processes print or serve.
set -euo pipefail
bin="$1"
name=faults
source "$(dirname "$0")/process_lib.sh"
# The simulator on fixed ports (the relay reconnects to the same address after a restart).
start_sim() {
  "$bin" sim --port "$gport" --with-sinks --aws-port "$aport" --crm-port "$cport" --rate 20 --duration 300 "$@" \
    >"$tmp/sim.out" 2>&1 &
  sim=$!; track "$sim"
  wait_for 10 grep -q "CRM webhook receiver" "$tmp/sim.out" || fail "the simulator did not start"
}
read -r gport aport cport <<<"$(free_ports)"
[ -n "$gport" ] && [ -n "$aport" ] && [ -n "$cport" ] || fail "no free ports"

write_config() {  # write_config FILE STATE CRM_TIMEOUT_MS SHUTDOWN_S
  { loopback_relay_config "$2" /crm/sentiment "$3"; printf '[service]\nshutdown_timeout_s = %s\n' "$4"; } >"$1"
}

# --- 1. an upstream outage ------------------------------------------------------------------
start_sim
write_config "$tmp/relay.toml" "$tmp/state.db" 10000 5
start_relay "$tmp/relay.toml" "$tmp/relay.err"
wait_for 20 grep -q "connected to channel" "$tmp/relay.err" || fail "the relay never connected"
wait_for 10 test "$(status_of /readyz)" = 200 || fail "/readyz is not 200 while connected: $(scrape /readyz)"
kill -9 "$sim"; wait "$sim" 2>/dev/null || true
# Failures 6 to 9 are counted but not logged (the log thins out during a long outage).
wait_for 60 grep -q "(failure 10)" "$tmp/relay.err" || fail "no tenth reconnect failure logged"
grep -q "(failure 6)" "$tmp/relay.err" && fail "every failure was logged: a long outage would flood the log"
alive "$relay" || fail "the relay ended during the outage (it gave up after 5 reconnects before)"
[ "$(status_of /readyz)" = 503 ] || fail "/readyz should be 503 during the outage: $(scrape /readyz)"
scrape /readyz | grep -q '"name":"genesys streams","status":"failing","detail":"channel lane 0: reconnecting after ' \
  || fail "/readyz does not name the failing stream: $(scrape /readyz)"
[ "$(status_of /healthz)" = 200 ] || fail "/healthz must stay 200 (alive) during the outage"
scrape /metrics | grep -q '^relay_source_connected{stream="channel lane 0"} 0$' || fail "/metrics: stream not shown down"
start_sim
wait_for 30 grep -q "channel lane 0: connected again after" "$tmp/relay.err" || fail "the relay did not reconnect"
wait_for 10 test "$(status_of /readyz)" = 200 || fail "/readyz not 200 after the outage: $(scrape /readyz)"
before=$(scrape /metrics | grep '^relay_events_routed_total{kind="start"}' | awk '{print $2}')
wait_for 20 sh -c "[ \$(curl -s http://127.0.0.1:$mport/metrics | grep '^relay_events_routed_total{kind=\"start\"}' | awk '{print \$2}') -gt $before ]" \
  || fail "no events routed after the outage"
echo "faults: 1. a Genesys outage is waited out, reported and recovered from"
kill -TERM "$relay"; code=0; wait "$relay" || code=$?
[ $code -eq 0 ] || fail "SIGTERM after the outage should exit 0, got $code"
kill -9 "$sim"; wait "$sim" 2>/dev/null || true

# --- 2. shutdown with a forward hung on the CRM ----------------------------------------------
start_sim --crm-stall
write_config "$tmp/hung.toml" "$tmp/hung.db" 600000 1
start_relay "$tmp/hung.toml" "$tmp/hung.err"
wait_for 60 sh -c "curl -s http://127.0.0.1:$mport/metrics | grep -q '^relay_sink_in_flight{sink=\"crm\"} [1-9]'" \
  || fail "no delivery ever in flight against the hung CRM"
kill -TERM "$relay"; code=0; wait "$relay" || code=$?
[ $code -eq 0 ] || fail "SIGTERM with a hung forward should exit 0 after the deadline, got $code"
grep -q "shutdown: 1 s passed; abandoning [0-9]* forward(s) and [1-9][0-9]* delivery request(s) in flight: they stay pending for the next start" "$tmp/hung.err" \
  || fail "no deadline line"
grep -Eq ' error |"level":"error"' "$tmp/hung.err" && fail "the deadline's cancellation was logged as an error: $(grep -E ' error |"level":"error"' "$tmp/hung.err" | head -3)"
# A second signal during a slow shutdown exits at once.
write_config "$tmp/slow.toml" "$tmp/hung.db" 600000 600
start_relay "$tmp/slow.toml" "$tmp/slow.err"
wait_for 30 grep -q "resuming [1-9][0-9]* delivery(ies) left in the outbox by the last run" "$tmp/slow.err" \
  || fail "the abandoned deliveries were not resumed"
wait_for 60 sh -c "curl -s http://127.0.0.1:$mport/metrics | grep -q '^relay_sink_in_flight{sink=\"crm\"} [1-9]'" || fail "nothing in flight"
kill -TERM "$relay"
wait_for 10 grep -q "up to 600 s for work in flight" "$tmp/slow.err" || fail "first signal not seen"
kill -TERM "$relay"; code=0; wait "$relay" || code=$?
[ $code -eq 143 ] || fail "a second SIGTERM should exit at once with 143, got $code"
grep -q "second signal: exiting now; unfinished forwards stay pending for the next start" "$tmp/slow.err" || fail "no second-signal line"
echo "faults: 2. SIGTERM bounds the shutdown, a second signal exits at once, the outbox keeps what was in flight"

# --- 3. after the immediate exit, a start against a CRM that answers ---------------------------
kill -9 "$sim"; wait "$sim" 2>/dev/null || true
start_sim
lines_before=$( [ -f "$tmp/audit.jsonl" ] && wc -l <"$tmp/audit.jsonl" || echo 0)
start_relay "$tmp/hung.toml" "$tmp/again.err"
wait_for 30 grep -q "resuming [1-9][0-9]* delivery(ies) left in the outbox by the last run" "$tmp/again.err" \
  || fail "the deliveries an immediate exit abandoned were not resumed"
wait_for 60 sh -c "[ \$(wc -l <'$tmp/audit.jsonl') -gt $lines_before ]" || fail "resumed forwards reached no audit record"
kill -9 "$relay"; wait "$relay" 2>/dev/null || true
echo "faults: 3. deliveries abandoned by an immediate exit are resumed by the next start and reach the CRM"

# --- 3b. `forward` interrupted while it waits for an analysis that does not come -------------
sed 's/^not_analysed_horizon_s = 0$/not_analysed_horizon_s = 600/' "$tmp/hung.toml" >"$tmp/wait.toml"
env -i PATH="$PATH" HOME="$tmp" GENESYSCLOUD_OAUTHCLIENT_SECRET=sim-secret AWS_ACCESS_KEY_ID=AKIDEXAMPLE \
  AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY AWS_EC2_METADATA_DISABLED=true \
  "$bin" --log-level debug forward -c "$tmp/wait.toml" 5a3f2c1e-0000-4000-8000-000000000005 >"$tmp/wait.out" 2>"$tmp/wait.err" &
fwd=$!; track "$fwd"
wait_for 20 grep -q "not analysed yet; trying again later" "$tmp/wait.err" || fail "forward did not start waiting"
kill -TERM "$fwd"; code=0; wait "$fwd" || code=$?
[ $code -eq 1 ] || fail "an interrupted forward should exit 1, got $code"
grep -q "^5a3f2c1e-0000-4000-8000-000000000005  deferred" "$tmp/wait.out" || fail "interrupted forward printed: $(cat "$tmp/wait.out")"
grep -q "genesys-relay forward: interrupted; a conversation waiting for its analysis stays pending" "$tmp/wait.err" \
  || fail "no interrupted message"
echo "faults: 3b. SIGTERM ends a forward waiting for its analysis at once; the trigger stays pending"

# --- 4. a state database that cannot be opened -------------------------------------------------
write_config "$tmp/bad.toml" "/nonexistent-dir/state.db" 10000 1
set +e
msg=$(env -i PATH="$PATH" HOME="$tmp" GENESYSCLOUD_OAUTHCLIENT_SECRET=sim-secret AWS_ACCESS_KEY_ID=AKIDEXAMPLE \
      AWS_SECRET_ACCESS_KEY=x AWS_EC2_METADATA_DISABLED=true timeout 20 "$bin" monitor -c "$tmp/bad.toml" 2>&1 >/dev/null); code=$?
set -e
[ $code -eq 2 ] || fail "an unopenable state database should exit 2, got $code: $msg"
echo "$msg" | grep -q "^genesys-relay: cannot open the state database /nonexistent-dir/state.db: unable to open database file" \
  || fail "state database message: $msg"
echo "faults: 4. an unusable state database at start is a precise exit 2"
echo "faults: ok"
