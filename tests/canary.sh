#!/usr/bin/env bash
# No secret reaches an output. The relay runs with canary credentials — the Genesys client secret,
# AWS secret key and session token, the CRM's bearer token and HMAC secret, the scrape token, a
# proxy password — through every path: forwarding under load, dead letters, 401, 403, 407, a TLS
# failure, expired credentials and bad configuration. Then stdout, stderr, the audit log, the
# state database (outbox and dead letters), dlq's output, /metrics and every validate message are
# searched for each canary (and for the simulators' own working secrets).
set -euo pipefail
name=canary; bin="$1"
source "$(dirname "$0")/process_lib.sh"
cd "$tmp"; mkdir out state
C_GENESYS=canary-genesys-secret-7f3a C_AWS_SECRET=canary-aws-secret-key-9b2c C_AWS_SESSION=canary-aws-session-token-4d1e
C_CRM_TOKEN=canary-crm-token-2a8f C_HMAC=canary-hmac-secret-6c0d C_SCRAPE=canary-scrape-token-1e5b C_PROXY=canary-proxy-pass-8d4a
WORKING_GENESYS=sim-secret WORKING_AWS=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
printf '%s\n' "$C_HMAC" >hmac.secret
printf '%s\n' "$C_SCRAPE" >scrape.token

start_simulators --rate 10 --with-proxy --duration 120
"$bin" sim --port 0 --forbid --cert-out forbid-certs.pem --duration 120 >forbidding.txt 2>&1 &
track $!
wait_for 10 grep -q "API:" forbidding.txt || fail "the forbidding simulator did not start"
proxy=$(port_in simulators.out 'CONNECT proxy: *http://127.0.0.1:')
forbid_api=$(port_in forbidding.txt 'API: *https://127.0.0.1:')

config() {  # config API_PORT CA_FILE: every secret by reference
  cat <<TOML
[genesys]
api_url = "https://127.0.0.1:$1"
login_url = "https://127.0.0.1:$1"
client_id = "sim-client"
client_secret = "\${GENESYS_SECRET}"
ca_file = "$2"
[sources.conversations]
type = "notifications"
queues = ["6a0f0e9c-0d3e-4c7b-9a57-0a4a6f3a1b22", "0c7d5a12-77e1-4f0a-8a0e-3b8f1f2d9e44"]
[transforms.sentiment]
type = "sentiment"
inputs = ["conversations"]
not_analysed_horizon_s = 0
[sinks.eventbridge]
type = "eventbridge"
inputs = ["sentiment", "sentiment.alerts"]
region = "us-east-1"
endpoint = "https://127.0.0.1:$eb"
ca_file = "$tmp/sim-certs.pem"
[sinks.crm]
type = "webhook"
inputs = ["sentiment"]
url = "https://127.0.0.1:$crm/crm/sentiment"
ca_file = "$tmp/sim-certs.pem"
token = "\${CRM_TOKEN}"
secret = "file:$tmp/hmac.secret"
[sinks.marker]
type = "genesys_attributes"
inputs = ["sentiment"]
[state]
path = "$tmp/state/relay.db"
[audit]
path = "$tmp/state/audit.jsonl"
[metrics]
listen = "127.0.0.1:0"
bearer_token = "file:$tmp/scrape.token"
[retry]
max_attempts = 2
base_ms = 50
TOML
}
config "$api" "$tmp/sim-certs.pem" >relay.toml
config "$forbid_api" "$tmp/forbid-certs.pem" >forbidden.toml
config "$api" "" | sed '/^ca_file = ""$/d' >untrusted.toml
# A clean environment with the secrets as canaries (or working ones) in variables only.
# exec: in the background, $! is then the relay's timeout itself (so a signal reaches it), not a
# subshell. --foreground: timeout passes a signal to the relay once (without it, also to its
# process group, and the relay took the second SIGTERM as "exit at once").
relay() {  # relay NAME GENESYS_SECRET AWS_SECRET [VAR=value...] -- ARGS...
  local out=$1 gs=$2 as=$3; shift 3
  local extra=(); while [ "$1" != "--" ]; do extra+=("$1"); shift; done; shift
  exec timeout --foreground 90 env -i PATH="$PATH" HOME="$tmp" GENESYS_SECRET="$gs" AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY="$as" \
    AWS_EC2_METADATA_DISABLED=true CRM_TOKEN="$C_CRM_TOKEN" "${extra[@]}" "$bin" "$@" >"out/$out.stdout" 2>"out/$out.stderr"
}
run() { (relay "$@"); }  # in a subshell: relay execs
sample=5a3f2c1e-0000-4000-8000-000000000001

# 1. Forwarding under load, with /metrics and /readyz scraped with the token.
(relay monitor "$WORKING_GENESYS" "$WORKING_AWS" -- monitor -c relay.toml) &
mon=$!; track $mon
wait_for 10 grep -q "metrics: http://127.0.0.1:" out/monitor.stderr || fail "the monitor did not start"
mport=$(grep -o 'metrics: http://127.0.0.1:[0-9]*' out/monitor.stderr | grep -o '[0-9]*$')
forwarded() { [ "$(grep -c '"outcome":"forwarded"' state/audit.jsonl 2>/dev/null)" -ge 3 ]; }
wait_for 40 forwarded || fail "the monitor forwarded fewer than 3 chats"
curl -s -H "Authorization: Bearer $C_SCRAPE" "http://127.0.0.1:$mport/metrics" >out/scrape.metrics
curl -s -H "Authorization: Bearer $C_SCRAPE" "http://127.0.0.1:$mport/readyz" >out/scrape.readyz
curl -s "http://127.0.0.1:$mport/metrics" >out/scrape.unauthorized
grep -q '^relay_forwards_total{outcome="forwarded"} [1-9]' out/scrape.metrics || fail "the scrape with the token: $(head -3 out/scrape.metrics)"
kill -TERM $mon
code=0; wait $mon || code=$?
[ $code -eq 0 ] || fail "the monitor exited $code after SIGTERM"

# 2. Dead letters: EventBridge refuses a wrong secret with a session token; dlq shows them.
set +e
run forward-dlq "$WORKING_GENESYS" "$C_AWS_SECRET" AWS_SESSION_TOKEN="$C_AWS_SESSION" -- forward -c relay.toml --trigger canary "$sample"
set -e
grep -q "dead-lettered" out/forward-dlq.stdout || fail "the wrong AWS secret was not dead-lettered: $(cat out/forward-dlq.stdout out/forward-dlq.stderr)"
run dlq-list x x -- dlq list -c relay.toml
run dlq-show x x -- dlq show -c relay.toml $(cut -d' ' -f1 out/dlq-list.stdout | head -3)
grep -q '"code":"' out/dlq-show.stdout || fail "dlq show printed: $(cat out/dlq-show.stdout)"

# 3. 401: the wrong Genesys secret.  4. 403: a client without its role.
set +e
run genesys-401 "$C_GENESYS" "$WORKING_AWS" -- monitor -c relay.toml; code401=$?
run genesys-403 "$WORKING_GENESYS" "$WORKING_AWS" -- monitor -c forbidden.toml; code403=$?
set -e
[ $code401 -ne 0 ] && grep -q "invalid_client" out/genesys-401.stderr || fail "401: exit $code401, $(tail -2 out/genesys-401.stderr)"
[ $code403 -ne 0 ] && grep -q "missing.permissions" out/genesys-403.stderr || fail "403: exit $code403, $(tail -2 out/genesys-403.stderr)"

# 5. 407: a proxy refusing the password.  6. TLS: the simulators' certificate not trusted.
set +e
run proxy-407 "$WORKING_GENESYS" "$WORKING_AWS" HTTPS_PROXY="http://relay:$C_PROXY@127.0.0.1:$proxy" -- validate -c relay.toml --check-connectivity
run tls "$WORKING_GENESYS" "$WORKING_AWS" -- validate -c untrusted.toml --check-connectivity
set -e
grep -q "^FAIL genesys: .*407" out/proxy-407.stdout || fail "407: $(cat out/proxy-407.stdout)"
grep -qi "^FAIL genesys: .*certificate" out/tls.stdout || fail "TLS: $(cat out/tls.stdout)"

# 7. Expired AWS credentials.  8. Bad configuration: literal secrets, unset references.
set +e
run aws-expired "$WORKING_GENESYS" "$C_AWS_SECRET" AWS_SESSION_TOKEN="$C_AWS_SESSION" AWS_CREDENTIAL_EXPIRATION=2000-01-01T00:00:00Z \
  -- validate -c relay.toml --check-connectivity
set -e
grep -q "^FAIL sink eventbridge: .*expired" out/aws-expired.stdout || fail "expired: $(cat out/aws-expired.stdout)"
sed -e "s|^token = .*|token = \"$C_CRM_TOKEN\"|" -e "s|^bearer_token = .*|bearer_token = \"$C_SCRAPE\"|" relay.toml >literal.toml
set +e
run bad-validate "$C_GENESYS" "$C_AWS_SECRET" -- validate -c literal.toml
run bad-monitor "$C_GENESYS" "$C_AWS_SECRET" -- monitor -c literal.toml
run bad-config "$C_GENESYS" "$C_AWS_SECRET" -- config -c literal.toml
run unset-ref "" "$C_AWS_SECRET" -- validate -c relay.toml
set -e
grep -q "sinks.crm.token must be a reference" out/bad-validate.stdout || fail "literal token: $(cat out/bad-validate.stdout)"
grep -q "GENESYS_SECRET is not set" out/unset-ref.stdout || fail "unset reference: $(cat out/unset-ref.stdout)"
run describe "$C_GENESYS" "$C_AWS_SECRET" -- config -c relay.toml
grep -q "token=set signed=yes" out/describe.stdout || fail "config printed: $(cat out/describe.stdout)"

# Nothing anywhere.
places=(out state)
for c in "$C_GENESYS" "$C_AWS_SECRET" "$C_AWS_SESSION" "$C_CRM_TOKEN" "$C_HMAC" "$C_SCRAPE" "$C_PROXY" "$WORKING_GENESYS" "$WORKING_AWS" proxy-pass; do
  hits=$(grep -rlaF -- "$c" "${places[@]}" || true)
  [ -z "$hits" ] || fail "'$c' reached: $hits"
done
echo "canary: $(ls out | wc -l) outputs, $(ls state | wc -l) state files, 10 secrets, none found"
echo "canary: ok"
