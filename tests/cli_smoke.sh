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
[ "$msg" == "genesys-relay: monitor: no topics to subscribe to: set monitor.queues, monitor.users or monitor.topics (or use transports = [\"sse\"])" ] \
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
msg=$(put AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=x "$bin" eventbridge put --source s --detail-type t --detail '[1]' 2>&1); code=$?
set -e
[ $code -eq 2 ] || fail "a non-object detail should exit 2, got $code"
[ "$msg" == "genesys-relay eventbridge put: --detail must be a JSON object (EventBridge refuses anything else with MalformedDetail)" ] || fail "detail message: $msg"
echo "cli_smoke: eventbridge ok"

# stdout carries only events and results: logs go to stderr.
out="$("$bin" demo --duration 2 2>/dev/null)"
echo "$out" | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' && fail "log lines on stdout: $(echo "$out" | head -3)"
echo "$out" | grep -q "genesys-relay demo summary" || fail "demo summary missing from stdout"
echo "cli_smoke: ok"
