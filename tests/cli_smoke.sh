#!/usr/bin/env bash
# Runs the binary as a user would: --help, --version, sse-parse on every chunking, and the
# precise one-line errors for missing configuration.
set -euo pipefail
bin="$1"; data="$2"
fail() { echo "cli_smoke: $*" >&2; exit 1; }

"$bin" --help | grep -q "monitor" || fail "--help does not list monitor"
"$bin" --version | grep -Eq '^genesys-relay [0-9]+\.[0-9]+\.[0-9]+$' || fail "--version"

for chunks in "" 1 2 3 5 7 1,2,3 64; do
  args=(); [ -n "$chunks" ] && args=(--chunks "$chunks")
  out="$("$bin" sse-parse "${args[@]}" < "$data/stream.sse")"
  [ "$out" == "$(cat "$data/stream.expected")" ] || fail "sse-parse --chunks '$chunks' gave: $out"
done

set +e
msg="$(env -u GENESYSCLOUD_OAUTHCLIENT_ID GENESYSCLOUD_REGION=mypurecloud.com "$bin" monitor 2>&1 >/dev/null)"; code=$?
set -e
[ $code -eq 2 ] || fail "missing config should exit 2, got $code"
[ "$msg" == "genesys-relay: <defaults>: monitor: no topics to subscribe to: set monitor.queues, monitor.users or monitor.topics (or use the sse source)" ] \
  || [ "$msg" == "genesys-relay: missing OAuth client id: set GENESYSCLOUD_OAUTHCLIENT_ID (or genesys.client_id in the config file)" ] \
  || fail "unexpected message: $msg"

set +e
msg="$(GENESYSCLOUD_OAUTHCLIENT_ID=x GENESYSCLOUD_OAUTHCLIENT_SECRET=topsecret GENESYSCLOUD_REGION=nowhere "$bin" monitor 2>&1)"; code=$?
set -e
[ $code -eq 2 ] || fail "bad region should exit 2, got $code"
echo "$msg" | grep -q "'nowhere' is not a Genesys Cloud region" || fail "bad region message: $msg"
echo "$msg" | grep -q topsecret && fail "secret leaked: $msg"
echo "cli_smoke: 1 passed, 0 failed"

# eventbridge put against the AWS emulator: the EventId on stdout, precise errors, no secret shown.
tmp=$(mktemp -d); trap 'kill $aws 2>/dev/null || true; rm -rf "$tmp"' EXIT
"$bin" aws-sim --port 0 --cert-out "$tmp/aws.pem" --events-file "$tmp/events.jsonl" --duration 60 >"$tmp/aws.out" 2>&1 &
aws=$!
for _ in $(seq 100); do grep -q "listening on" "$tmp/aws.out" && break; sleep 0.1; done
url=$(grep -o 'https://127.0.0.1:[0-9]*' "$tmp/aws.out" | head -1)
put() { env -i PATH="$PATH" HOME="$tmp" AWS_REGION=us-east-1 AWS_ENDPOINT_URL_EVENTBRIDGE="$url" AWS_CA_BUNDLE="$tmp/aws.pem" \
          AWS_EC2_METADATA_DISABLED=true "$@"; }
id=$(put AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY \
       "$bin" eventbridge put --source smoke.test --detail-type Ping --detail '{"ok":true}' 2>/dev/null)
echo "$id" | grep -Eq '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' || fail "eventbridge put printed '$id'"
grep -q "\"EventId\":\"$id\"" "$tmp/events.jsonl" || fail "event $id not in the emulator's file"
set +e
msg=$(put AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=wrong-secret-value "$bin" eventbridge put --source s --detail-type t --detail '{}' 2>&1); code=$?
set -e
[ $code -eq 1 ] || fail "a wrong secret should exit 1, got $code"
echo "$msg" | grep -q "^genesys-relay eventbridge put: InvalidSignatureException: " || fail "wrong secret message: $msg"
echo "$msg" | grep -q "wrong-secret-value" && fail "secret leaked: $msg"
set +e
msg=$(put "$bin" eventbridge put --source s --detail-type t --detail '{}' 2>&1); code=$?
set -e
[ $code -eq 1 ] || fail "no credentials should exit 1, got $code"
echo "$msg" | grep -q "no AWS credentials found; looked in: environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY); profile 'default' in $tmp/.aws/credentials" \
  || fail "no-credentials message: $msg"
set +e
msg=$(put AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY AWS_SESSION_TOKEN=tok-canary \
      AWS_CREDENTIAL_EXPIRATION=2000-01-01T00:00:00Z "$bin" eventbridge put --source s --detail-type t --detail '{}' 2>&1); code=$?
set -e
[ $code -eq 1 ] || fail "expired credentials should exit 1 (was a crash), got $code: $msg"
[ "$msg" == "genesys-relay eventbridge put: auth: the AWS credentials from environment variables (access key AKIDEXAMPLE) expired at 2000-01-01T00:00:00.000Z; renew them at their source (they are asked for again at most every 10 s)" ] \
  || fail "expired credentials message: $msg"
set +e
msg=$(put AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=x "$bin" eventbridge put --source s --detail-type t --detail '[1]' 2>&1); code=$?
set -e
[ $code -eq 2 ] || fail "a non-object detail should exit 2, got $code"
[ "$msg" == "genesys-relay eventbridge put: --detail must be a JSON object (EventBridge refuses anything else with MalformedDetail)" ] || fail "detail message: $msg"
echo "cli_smoke: eventbridge ok"

# forward (one-shot) and monitor (continuous, with /metrics) against `sim --with-sinks`.
"$bin" sim --port 0 --with-sinks --aws-port 0 --crm-port 0 --cert-out "$tmp/sim.pem" --rate 4 --duration 90 >"$tmp/sim.out" 2>&1 &
sim=$!
trap 'kill $aws $sim 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do grep -q "CRM webhook receiver" "$tmp/sim.out" && break; sleep 0.1; done
api=$(grep -o 'API: *https://127.0.0.1:[0-9]*' "$tmp/sim.out" | grep -o 'https.*')
eb=$(grep -o 'AWS emulator listening on https://127.0.0.1:[0-9]*' "$tmp/sim.out" | grep -o 'https.*')
crm=$(grep -o 'CRM webhook receiver: *https://127.0.0.1:[0-9]*/crm/sentiment' "$tmp/sim.out" | grep -o 'https.*')
[ -n "$api" ] && [ -n "$eb" ] && [ -n "$crm" ] || fail "sim --with-sinks did not print its URLs: $(cat "$tmp/sim.out")"
cat >"$tmp/relay.toml" <<EOF
[genesys]
api_url = "$api"
login_url = "$api"
client_id = "sim-client"
ca_file = "$tmp/sim.pem"
[monitor]
queues = ["6a0f0e9c-0d3e-4c7b-9a57-0a4a6f3a1b22", "0c7d5a12-77e1-4f0a-8a0e-3b8f1f2d9e44"]
[forwarder]
enabled = true
not_analysed_horizon_s = 0
state_path = "$tmp/state.db"
[eventbridge]
region = "us-east-1"
endpoint = "$eb"
ca_file = "$tmp/sim.pem"
[crm]
url = "$crm"
ca_file = "$tmp/sim.pem"
[audit]
path = "$tmp/audit.jsonl"
[metrics]
listen = "127.0.0.1:0"
EOF
# exec: run in the background, $! must be the relay itself (so SIGINT reaches it), not a subshell.
relay() { exec env -i PATH="$PATH" HOME="$tmp" GENESYSCLOUD_OAUTHCLIENT_SECRET=sim-secret AWS_ACCESS_KEY_ID=AKIDEXAMPLE \
            AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY AWS_EC2_METADATA_DISABLED=true "$bin" "$@"; }
relay_timeout() { local t=$1; shift; timeout "$t" env -i PATH="$PATH" HOME="$tmp" GENESYSCLOUD_OAUTHCLIENT_SECRET=sim-secret \
            AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY AWS_EC2_METADATA_DISABLED=true "$bin" "$@"; }
sample=5a3f2c1e-0000-4000-8000-00000000000
set +e
out=$(relay forward -c "$tmp/relay.toml" ${sample}1 ${sample}3 ${sample}4 ${sample}5 3f2504e0-4f89-41d3-9a0c-0305e82c3301 2>"$tmp/forward.err"); code=$?
set -e
[ $code -eq 1 ] || fail "forward with a missing conversation should exit 1, got $code: $out $(cat "$tmp/forward.err")"
echo "$out" | grep -Eq "^${sample}1  forwarded  negative \(confidence 0.9000\)  eventId [0-9a-f-]{36}  forwardingId [0-9a-f-]{36}  crm HTTP 200  marker written on the participant  ALERT" \
  || fail "forward (negative) printed: $out"
echo "$out" | grep -q "^${sample}3  below-threshold  neutral (confidence 0.4000).*— confidence 0.4 is below the threshold 0.75" || fail "forward (low confidence) printed: $out"
echo "$out" | grep -q "^${sample}4  forwarded .*marker written on the participant" || fail "forward (409 twice) printed: $out"
echo "$out" | grep -q "^${sample}5  not-analysed .*— no speech-analytics sentiment for conversation ${sample}5 yet" || fail "forward (not analysed) printed: $out"
echo "$out" | grep -q "^3f2504e0-4f89-41d3-9a0c-0305e82c3301  not-found .*— conversation 3f2504e0-4f89-41d3-9a0c-0305e82c3301 not found" || fail "forward (404) printed: $out"
[ "$(wc -l <"$tmp/audit.jsonl")" -eq 5 ] || fail "audit lines: $(cat "$tmp/audit.jsonl")"
out=$(relay forward -c "$tmp/relay.toml" --json ${sample}1 2>/dev/null)
echo "$out" | grep -q '"outcome":"duplicate"' || fail "a second forward should be a duplicate: $out"
grep -q "sim-secret\|wJalrXUtnFEMI" "$tmp/forward.err" "$tmp/audit.jsonl" && fail "a secret reached a log"
# An audit log that cannot be written (a full disk): forward ends at once, exit 1, the file and the
# OS error named; the record is kept in the state database and written by the next run, first.
sed 's|^path = ".*audit.jsonl"|path = "/dev/full"|' "$tmp/relay.toml" >"$tmp/full.toml"
grep -q '^path = "/dev/full"' "$tmp/full.toml" || fail "could not point the audit log at /dev/full"
set +e
out=$(relay_timeout 30 forward -c "$tmp/full.toml" ${sample}2 2>"$tmp/full.err"); code=$?
set -e
[ $code -eq 1 ] || fail "forward with an unwritable audit log should exit 1 (it hung before), got $code: $(cat "$tmp/full.err")"
echo "$out" | grep -q "^${sample}2  forwarded .*AUDIT RECORD KEPT FOR A RETRY" || fail "full-disk forward printed: $out"
tail -1 "$tmp/full.err" | grep -qx "genesys-relay forward: cannot write to the audit log /dev/full: No space left on device; 1 audit record(s) kept in $tmp/state.db and written by the next run once the log is writable" \
  || fail "full-disk message: $(cat "$tmp/full.err")"
before=$(wc -l <"$tmp/audit.jsonl")
# In a subshell: relay() execs, and would otherwise replace this script.
(relay forward -c "$tmp/relay.toml" --trigger after-full ${sample}2 >/dev/null 2>&1) || fail "forward after the disk was freed failed"
[ "$(wc -l <"$tmp/audit.jsonl")" -eq $((before + 2)) ] || fail "the kept audit record was not written: $(tail -2 "$tmp/audit.jsonl")"
tail -2 "$tmp/audit.jsonl" | head -1 | grep -q '"trigger":"manual"' || fail "the kept record is not written first: $(tail -2 "$tmp/audit.jsonl")"
# Dead letters: a wrong AWS secret is refused (not retryable), the CRM and the marker still get
# theirs; dlq list shows it, dlq replay with the right key delivers it, same forwardingId.
set +e
out=$(env -i PATH="$PATH" HOME="$tmp" GENESYSCLOUD_OAUTHCLIENT_SECRET=sim-secret AWS_ACCESS_KEY_ID=AKIDEXAMPLE \
      AWS_SECRET_ACCESS_KEY=not-the-key AWS_EC2_METADATA_DISABLED=true "$bin" forward -c "$tmp/relay.toml" --trigger dlq ${sample}2 \
      2>/dev/null); code=$?
set -e
[ $code -eq 1 ] || fail "a dead-lettered forward should exit 1, got $code: $out"
echo "$out" | grep -q "^${sample}2  dead-lettered .*crm HTTP 200  marker written on the participant .*— eventbridge: InvalidSignatureException" \
  || fail "dead-lettered forward printed: $out"
fwd_id=$(echo "$out" | grep -o 'forwardingId [0-9a-f-]*' | cut -d' ' -f2)
list=$(env -i PATH="$PATH" HOME="$tmp" "$bin" dlq list -c "$tmp/relay.toml" 2>/dev/null)
echo "$list" | grep -Eq "^[0-9]+  eventbridge  ${sample}2  sentiment  InvalidSignatureException \(HTTP 400\)  attempts 1  dead " \
  || fail "dlq list printed: $list"
echo "$list" | grep -q "not-the-key" && fail "a secret reached dlq list"
dl_id=$(echo "$list" | head -1 | cut -d' ' -f1)
env -i PATH="$PATH" HOME="$tmp" "$bin" dlq show -c "$tmp/relay.toml" "$dl_id" | grep -q "\"idempotencyKey\":\"$fwd_id\"" \
  || fail "dlq show lacks the forwardingId $fwd_id"
replayed=$(relay_timeout 30 dlq replay -c "$tmp/relay.toml" "$dl_id" 2>/dev/null) || fail "dlq replay failed: $replayed"
echo "$replayed" | grep -Eq "^$dl_id  eventbridge  delivered  — [0-9a-f-]{36}$" || fail "dlq replay printed: $replayed"
[ -z "$(env -i PATH="$PATH" HOME="$tmp" "$bin" dlq list -c "$tmp/relay.toml" 2>/dev/null)" ] || fail "a replayed dead letter is still listed"
env -i PATH="$PATH" HOME="$tmp" "$bin" dlq list -c "$tmp/relay.toml" --include-replayed 2>/dev/null | grep -q "  replayed " \
  || fail "--include-replayed does not show the replay"
[ "$(env -i PATH="$PATH" HOME="$tmp" "$bin" dlq purge -c "$tmp/relay.toml" --all 2>/dev/null)" == "1 dead letter(s) purged" ] \
  || fail "dlq purge --all"
set +e
msg=$(env -i PATH="$PATH" HOME="$tmp" GENESYSCLOUD_OAUTHCLIENT_ID=x GENESYSCLOUD_OAUTHCLIENT_SECRET=topsecret GENESYSCLOUD_REGION=mypurecloud.com \
      "$bin" forward 3f2504e0-4f89-41d3-9a0c-0305e82c3301 2>&1); code=$?
set -e
[ $code -eq 2 ] || fail "forward without an AWS Region should exit 2, got $code: $msg"
echo "$msg" | grep -q "^genesys-relay forward: no AWS region for EventBridge: .*eventbridge.enabled = false forwards to the CRM webhook only)$" \
  || fail "no-region message: $msg"
echo "$msg" | grep -q topsecret && fail "secret leaked: $msg"
echo "cli_smoke: forward ok"

(relay monitor -c "$tmp/relay.toml" >"$tmp/monitor.out" 2>"$tmp/monitor.err") &
mon=$!
trap 'kill $aws $sim $mon 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 150); do grep -q "conversation-end" "$tmp/audit.jsonl" && break; sleep 0.1; done
grep -q '"trigger":"conversation-end"' "$tmp/audit.jsonl" || fail "the monitor forwarded no chat that ended: $(tail -5 "$tmp/monitor.err")"
port=$(grep -o 'metrics: http://127.0.0.1:[0-9]*' "$tmp/monitor.err" | grep -o '[0-9]*$')
metrics=$(curl -sf "http://127.0.0.1:$port/metrics") || fail "GET /metrics on port '$port' failed"
echo "$metrics" | grep -q '^relay_events_routed_total{kind="end"} [1-9]' || fail "/metrics lacks routed end events: $metrics"
echo "$metrics" | grep -q '^relay_forward_stage_seconds_count{stage="total"} [1-9]' || fail "/metrics lacks forward latency: $metrics"
kill -INT $mon
code=0; wait $mon || code=$?
[ $code -eq 0 ] || fail "monitor exited $code after SIGINT: $(tail -5 "$tmp/monitor.err")"
grep -q "shutting down: closing sockets, finishing forwards in flight" "$tmp/monitor.err" || fail "no shutdown line: $(tail -5 "$tmp/monitor.err")"
echo "cli_smoke: monitor + forwarder + metrics ok"

# stdout carries only events and results: logs go to stderr.
out="$("$bin" demo --duration 2 2>/dev/null)"
echo "$out" | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' && fail "log lines on stdout: $(echo "$out" | head -3)"
echo "$out" | grep -q "genesys-relay demo summary" || fail "demo summary missing from stdout"
# The demo as the front door: the live view's frame, the files to look at (they exist), the way to a real org.
echo "$out" | grep -q "^genesys-relay top — demo: .*(averages over [0-9]* s)$" || fail "the demo showed no live view: $(echo "$out" | head -5)"
echo "$out" | grep -Eq "^eventbridge +[0-9]+ " || fail "the demo's view has no EventBridge row: $(echo "$out" | head -20)"
log=$(echo "$out" | grep -o "the relay's log: *[^ ]*" | awk '{print $NF}')
[ -s "$log" ] || fail "the demo's log '$log' is missing or empty"
dlq_cmd=$(echo "$out" | grep -o "genesys-relay dlq list -c [^ ]*" | head -1)
"$bin" ${dlq_cmd#genesys-relay } 2>&1 | grep -q "dead letter(s) in $(dirname "$log")/state.db" || fail "the demo's dlq command: $dlq_cmd"
echo "$out" | grep -q "genesys-relay generate-config --for real-org -o relay.toml" || fail "the demo does not say how to reach a real org"
rm -rf "$(dirname "$log")"
# config: the service a file builds, component by component; a wiring mistake is exit 2 with file:line.
examples="$(dirname "$0")/../config/examples"
out=$(GENESYSCLOUD_OAUTHCLIENT_SECRET=sim-secret "$bin" config -c "$examples/lifecycle-to-sinks.toml" 2>"$tmp/config.err")
echo "$out" | grep -q "^sink ends_hook type=webhook inputs=\[chat_ends\] " || fail "config printed: $out"
echo "$out" | grep -q "^transform chat_ends type=filter inputs=\[genesys\] event_types=\[end\]" || fail "config printed: $out"
grep -q "lifecycle-to-sinks.toml is valid$" "$tmp/config.err" || fail "config said: $(cat "$tmp/config.err")"
printf '[genesys]\napi_url = "https://127.0.0.1:9443"\nclient_id = "sim-client"\n[sources.ws]\ntype = "notifications"\nqueues = ["q"]\n[sinks.crm]\ntype = "webhook"\ninputs = ["sentimnt"]\nurl = "https://crm.example.com"\n' >"$tmp/bad.toml"
set +e
msg=$(GENESYSCLOUD_OAUTHCLIENT_SECRET=sim-secret "$bin" config -c "$tmp/bad.toml" 2>&1); code=$?
set -e
[ $code -eq 2 ] || fail "a wiring mistake should exit 2, got $code: $msg"
[ "$msg" == "genesys-relay config: $tmp/bad.toml:9: sinks.crm.inputs: 'sentimnt' is not a source, a transform or one of its outputs (ws)" ] \
  || fail "wiring mistake message: $msg"
# A secret by reference: "${NAME}" in the file, the value in the environment only.
printf '[genesys]\napi_url = "https://127.0.0.1:9443"\nclient_id = "sim-client"\nclient_secret = "${RELAY_TEST_SECRET}"\n[monitor]\nqueues = ["q"]\n' >"$tmp/ref.toml"
env -u GENESYSCLOUD_OAUTHCLIENT_SECRET RELAY_TEST_SECRET=ref-canary "$bin" config -c "$tmp/ref.toml" >/dev/null 2>"$tmp/ref.err" \
  || fail "a \${VAR} client_secret was refused: $(cat "$tmp/ref.err")"
set +e
msg=$(env -u GENESYSCLOUD_OAUTHCLIENT_SECRET "$bin" config -c "$tmp/ref.toml" 2>&1); code=$?
set -e
[ $code -eq 2 ] || fail "an unset \${VAR} should exit 2, got $code: $msg"
[ "$msg" == "genesys-relay config: $tmp/ref.toml:4: genesys.client_secret = \"\${RELAY_TEST_SECRET}\", but RELAY_TEST_SECRET is not set in the environment" ] \
  || fail "unset \${VAR} message: $msg"
echo "cli_smoke: config ok"

# Logs: JSON lines when stderr is not a terminal (a collector reads them), text when asked.
printf '[genesys]\napi_url = "https://127.0.0.1:9"\n[monitor]\nqueues = ["q1"]\n' >"$tmp/unreachable.toml"
GENESYSCLOUD_OAUTHCLIENT_ID=x GENESYSCLOUD_OAUTHCLIENT_SECRET=log-canary-secret timeout -s INT 2 \
  "$bin" monitor -c "$tmp/unreachable.toml" >/dev/null 2>"$tmp/json.err" || true
# Each line one object: time, level, logger, message in that order (no python or jq on a fresh machine).
[ -s "$tmp/json.err" ] || fail "no log lines"
bad=$(grep -vE '^\{"time":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z","level":"[a-z]+","logger":"genesys-relay(\.[a-z]+)?","message":".*"\}$' "$tmp/json.err" || true)
[ -z "$bad" ] || fail "log lines that are not JSON objects of time, level, logger, message: $(echo "$bad" | head -3)"
grep -q '"level":"warning","logger":"genesys-relay.sources","message":"authentication: cannot connect to 127.0.0.1:9' "$tmp/json.err" \
  || fail "no JSON warning for the unreachable login host: $(head -3 "$tmp/json.err")"
grep -q log-canary-secret "$tmp/json.err" && fail "the secret reached the log"
GENESYSCLOUD_OAUTHCLIENT_ID=x GENESYSCLOUD_OAUTHCLIENT_SECRET=log-canary-secret timeout -s INT 2 \
  "$bin" --log-format text monitor -c "$tmp/unreachable.toml" >/dev/null 2>"$tmp/text.err" || true
grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+ warning authentication: cannot connect to 127.0.0.1:9' "$tmp/text.err" \
  || fail "--log-format text: $(head -3 "$tmp/text.err")"
msg=$("$bin" --log-format yaml monitor 2>&1) && fail "--log-format yaml was accepted"
echo "$msg" | grep -q -- "--log-format: yaml not in {auto,text,json}" || fail "--log-format yaml: $msg"
echo "cli_smoke: logs ok"
echo "cli_smoke: ok"
