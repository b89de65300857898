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

# stdout carries only events and results: logs go to stderr.
out="$("$bin" demo --duration 2 2>/dev/null)"
echo "$out" | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' && fail "log lines on stdout: $(echo "$out" | head -3)"
echo "$out" | grep -q "genesys-relay demo summary" || fail "demo summary missing from stdout"
echo "cli_smoke: ok"
