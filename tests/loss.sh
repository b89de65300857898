#!/usr/bin/env bash
# Nothing lost, against real processes under steady load: the simulated org (its ledger is the
# ground truth of which conversations ended), EventBridge (aws-sim, its events file) and the CRM
# (webhook-sim, its log), each its own process, and the relay (monitor, forwarder on).
#   1. The CRM is down for 40 s, then EventBridge for 40 s (kill -9, restart on the same port).
#   2. The relay is killed (kill -9) 5 times at random moments and restarted.
# Then every chat the ledger ended has exactly one final outcome (duplicates only from what was
# in flight at a kill: counted and bounded), and every forwarded one reached EventBridge and the
# CRM with its forwardingId. No timing is asserted: waits are bounded polls.
set -euo pipefail
bin="$1"
name=loss
source "$(dirname "$0")/process_lib.sh"
rate=4 conversations=520
read -r gport aport cport <<<"$(free_ports)"
[ -n "$gport" ] && [ -n "$aport" ] && [ -n "$cport" ] || fail "no free ports"

# start_sink OUT COMMAND...: runs COMMAND in the background, its output appended to OUT (kept
# across restarts), and waits for this run's own "listening on"; $started is its pid.
listening() { [ "$(grep -c "listening on" "$1" 2>/dev/null)" -gt "$2" ]; }
start_sink() {
  local out=$1 before; shift
  before=$(grep -c "listening on" "$out" 2>/dev/null || true)
  "$@" >>"$out" 2>&1 &
  started=$!; track "$started"
  wait_for 10 listening "$out" "${before:-0}"
}
start_aws() {
  start_sink "$tmp/aws.out" "$bin" aws-sim --port "$aport" --events-file "$tmp/events.jsonl" --duration 900 \
    || fail "aws-sim did not start"
  aws=$started
}
start_crm() {
  start_sink "$tmp/crm.out" "$bin" webhook-sim --port "$cport" --log "$tmp/crm.jsonl" --duration 900 \
    || fail "webhook-sim did not start"
  crm=$started
}
down() { kill -9 "$1"; wait "$1" 2>/dev/null || true; }

{ loopback_relay_config "$tmp/state.db" /crm 10000; cat <<EOF; } >"$tmp/relay.toml"
[outbox]
retry_max_delay_s = 2
breaker_open_s = 1
breaker_max_open_s = 2
[service]
shutdown_timeout_s = 5
EOF

"$bin" sim --port "$gport" --rate "$rate" --conversations "$conversations" --ledger "$tmp/ledger.jsonl" --duration 900 \
  >"$tmp/sim.out" 2>&1 &
sim=$!; track "$sim"
wait_for 10 grep -q "listening on" "$tmp/sim.out" || fail "the simulator did not start"
start_aws
start_crm
start_relay "$tmp/relay.toml" "$tmp/relay.err"
wait_for 30 test -s "$tmp/audit.jsonl" || fail "nothing forwarded before the outages"

# --- 1. sink outages under load ---------------------------------------------------------------
down "$crm"
sleep 40
wait_for 10 sh -c "curl -s http://127.0.0.1:$mport/metrics | grep -q '^relay_sink_breaker_opened_total{sink=\"crm\"} [1-9]'" \
  || fail "the CRM breaker never opened during its outage"
start_crm
down "$aws"
sleep 40
start_aws
echo "$name: 1. the CRM and then EventBridge were down 40 s each under load"

# --- 2. kill -9 of the relay at random moments ------------------------------------------------
# The CRM is down meanwhile, so every kill finds deliveries accepted and not yet delivered (the
# outbox must keep them), besides whatever forwards and EventBridge requests are in flight.
down "$crm"
at_kill=()
for round in 1 2 3 4 5; do
  sleep "$((1 + RANDOM % 3)).$((RANDOM % 10))"
  wait_for 20 sh -c "[ \"\$(curl -s http://127.0.0.1:$mport/metrics | grep '^relay_outbox_pending ' | awk '{print \$2}')\" -gt 0 ]" \
    || fail "round $round: nothing pending in the outbox while the CRM is down"
  at_kill+=("$(metric relay_outbox_pending)")
  down "$relay"
  sleep "0.$((RANDOM % 10))"
  start_relay "$tmp/relay.toml" "$tmp/relay.err"
done
start_crm
echo "$name: 2. the relay was killed 5 times under load, each time with deliveries pending (${at_kill[*]}), and restarted"

# --- settle: the generator is done and every delivery final ---------------------------------------
ended_chats() { grep -E '"mediaType":"(chat|message)"' "$tmp/ledger.jsonl" | grep -o '"conversationId":"[^"]*"' | cut -d'"' -f4 | sort -u; }
audited() { grep '"trigger":"conversation-end"' "$tmp/audit.jsonl" | grep -o '"conversationId":"[^"]*"' | cut -d'"' -f4 | sort -u; }
settled() {
  [ "$(wc -l <"$tmp/ledger.jsonl")" -ge "$conversations" ] || return 1
  [ -z "$(comm -23 <(ended_chats) <(audited))" ] || return 1
  [ "$(metric relay_outbox_pending)" = "0" ]
}
wait_for 300 settled || fail "not settled: $(comm -23 <(ended_chats) <(audited) | wc -l) ended chats without a final outcome, \
outbox pending $(metric relay_outbox_pending)"
kill -TERM "$relay"; wait "$relay" || fail "the relay did not stop cleanly"

# --- what the sinks got -----------------------------------------------------------------------------
total=$(ended_chats | wc -l)
records=$(grep -c '"trigger":"conversation-end"' "$tmp/audit.jsonl")
duplicates=$((records - $(audited | wc -l)))
# At most what was in flight at each kill: max_in_flight (16) forwards and their finalisation.
[ "$duplicates" -le 80 ] || fail "$duplicates duplicate final records: more than 5 kills × 16 in flight"
bad=$(grep '"trigger":"conversation-end"' "$tmp/audit.jsonl" | grep -v '"outcome":"forwarded"\|"outcome":"below-threshold"' || true)
[ -z "$bad" ] || fail "final outcomes other than forwarded/below-threshold: $(echo "$bad" | head -3)"
forwarded_ids() { grep '"trigger":"conversation-end"' "$tmp/audit.jsonl" | grep '"outcome":"forwarded"' \
                  | grep -o '"forwardingId":"[^"]*"' | cut -d'"' -f4 | sort -u; }
crm_keys() { grep -o '"idempotencyKey":"[^"]*"' "$tmp/crm.jsonl" | cut -d'"' -f4 | sort -u; }
# The Detail is a JSON string inside the event: its quotes are escaped.
bus_ids() { grep -o 'forwardingId\\":\\"[0-9a-f-]*' "$tmp/events.jsonl" | grep -o '[0-9a-f-]\{36\}$' | sort -u; }
missing_crm=$(comm -23 <(forwarded_ids) <(crm_keys) | wc -l)
missing_bus=$(comm -23 <(forwarded_ids) <(bus_ids) | wc -l)
[ "$missing_crm" -eq 0 ] || fail "$missing_crm forwarded conversations never reached the CRM"
[ "$missing_bus" -eq 0 ] || fail "$missing_bus forwarded conversations never reached EventBridge"
crm_posts=$(grep -c '"idempotencyKey"' "$tmp/crm.jsonl")
echo "$name: $total chats ended; every one has a final outcome ($duplicates duplicate record(s)); $(forwarded_ids | wc -l) forwarded,"\
     "each at EventBridge and the CRM with its forwardingId ($crm_posts CRM posts for $(crm_keys | wc -l) keys)"
echo "$name: ok"
