#!/usr/bin/env bash
# validate and generate-config as an operator uses them: every problem of a file in one run (exact
# lines, exit 2), the generated configs accepted and identical to the shipped examples, and
# --check-connectivity against the simulators (exit 0), then with wrong credentials (exit 3,
# each failure named, no secret printed). No state database is made by any of it.
set -euo pipefail
name=validate; bin="$1"; examples="$2"
source "$(dirname "$0")/process_lib.sh"
cd "$tmp"
run() { env -i PATH="$PATH" HOME="$tmp" "$@"; }

# generate-config: the shipped examples are what it prints.
run "$bin" generate-config >sim.toml
diff -u "$examples/simulator.toml" sim.toml >/dev/null || fail "config/examples/simulator.toml differs from generate-config"
run "$bin" generate-config --for real-org -o real.toml 2>gen.err
diff -u "$examples/real-org.toml" real.toml >/dev/null || fail "config/examples/real-org.toml differs from generate-config --for real-org"
grep -qx "genesys-relay generate-config: wrote real.toml; check it with: genesys-relay validate -c real.toml" gen.err \
  || fail "generate-config -o said: $(cat gen.err)"
run "$bin" generate-config --for systemd >unit.toml
diff -u "$examples/systemd.toml" unit.toml >/dev/null || fail "config/examples/systemd.toml differs from generate-config --for systemd"
set +e
msg=$(run "$bin" generate-config -o /nonexistent/dir/relay.toml 2>&1); code=$?
set -e
[ $code -eq 1 ] && [ "$msg" == "genesys-relay generate-config: cannot write '/nonexistent/dir/relay.toml'" ] \
  || fail "an unwritable -o: exit $code, $msg"

# Both are accepted: the simulator's as it is, the real org's with its references set.
run "$bin" validate -c sim.toml >sim.out 2>sim.err || fail "validate refused the generated simulator config: $(cat sim.out)"
grep -qx "genesys-relay validate: sim.toml is valid: 1 source(s), 1 transform(s), 3 sink(s)" sim.err || fail "validate said: $(cat sim.err)"
run GENESYSCLOUD_OAUTHCLIENT_ID=id GENESYSCLOUD_OAUTHCLIENT_SECRET=s CRM_WEBHOOK_TOKEN=t "$bin" validate -c real.toml >/dev/null 2>real.err \
  || fail "validate refused the generated real-org config: $(cat real.err)"
set +e
out=$(run "$bin" validate -c real.toml 2>real.err); code=$?
set -e
[ $code -eq 2 ] || fail "real-org without its variables should exit 2, got $code"
expected="real.toml:14: genesys.client_id = \"\${GENESYSCLOUD_OAUTHCLIENT_ID}\", but GENESYSCLOUD_OAUTHCLIENT_ID is not set in the environment
real.toml:15: genesys.client_secret = \"\${GENESYSCLOUD_OAUTHCLIENT_SECRET}\", but GENESYSCLOUD_OAUTHCLIENT_SECRET is not set in the environment
real.toml:50: sinks.crm.token = \"\${CRM_WEBHOOK_TOKEN}\", but CRM_WEBHOOK_TOKEN is not set in the environment"
[ "$out" == "$expected" ] || fail "real-org without its variables printed: $out"
grep -qx "genesys-relay validate: real.toml: 3 problems" real.err || fail "summary: $(cat real.err)"

# The systemd unit's: its secrets are credentials, read from $CREDENTIALS_DIRECTORY.
mkdir -p creds && printf 's\n' >creds/genesys-client-secret && printf 't\n' >creds/crm-webhook-token
run CREDENTIALS_DIRECTORY="$tmp/creds" "$bin" validate -c unit.toml >/dev/null 2>unit.err || fail "validate refused the systemd config: $(cat unit.err)"
set +e
out=$(run "$bin" validate -c unit.toml 2>/dev/null); code=$?
set -e
[ $code -eq 2 ] && echo "$out" | grep -q "^unit.toml:18: genesys.client_secret = \"credential:genesys-client-secret\" reads \$CREDENTIALS_DIRECTORY/genesys-client-secret, but CREDENTIALS_DIRECTORY is not set" \
  || fail "the systemd config without its credentials: exit $code, $out"

# A file with many mistakes: all of them, by line, in one run.
cat >bad.toml <<'TOML'
[genesys]
api_url = "https://127.0.0.1:9443"
client_id = "sim-client"
colour = "blue"
[outbox]
max_age_h = 99999999999
breaker_failures = "five"
[sources.ws]
type = "notifications"
queues = ["q"]
[transforms.sentiment]
type = "sentiment"
inputs = ["ws"]
min_confidence = 3
[sinks.crm]
type = "webhook"
inputs = ["sentiment", "nosuch"]
url = "https://crm.example.com/hook"
token = "inline-canary-token"
[sinks.archive]
type = "file"
path = "archive.jsonl"
TOML
set +e
out=$(run GENESYSCLOUD_OAUTHCLIENT_SECRET=sim-secret "$bin" validate -c bad.toml 2>bad.err); code=$?
set -e
[ $code -eq 2 ] || fail "a bad file should exit 2, got $code"
expected="bad.toml:4: unknown key 'genesys.colour'
bad.toml:6: 'outbox.max_age_h' must be between 1 and 8784 (it is 99999999999)
bad.toml:7: 'outbox.breaker_failures' must be a number
bad.toml:14: 'transforms.sentiment.min_confidence' must be between 0 and 1
bad.toml:17: sinks.crm.inputs: 'nosuch' is not a source, a transform or one of its outputs (sentiment, sentiment.alerts, ws)
bad.toml:19: sinks.crm.token must be a reference, \"\${NAME}\" (an environment variable), \"file:/path\" or \"credential:NAME\" (systemd), so that no secret sits in the config file
bad.toml:20: 'sinks.archive' has no inputs"
[ "$out" == "$expected" ] || fail "the bad file printed: $out"
grep -qx "genesys-relay validate: bad.toml: 7 problems" bad.err || fail "summary: $(cat bad.err)"
echo "$out" | grep -q inline-canary-token && fail "a token reached validate's output"
printf '[genesys\napi_url = 1\n' >syntax.toml
set +e
out=$(run "$bin" validate -c syntax.toml 2>/dev/null); code=$?
set -e
[ $code -eq 2 ] && echo "$out" | grep -q "^syntax.toml:1: " || fail "a TOML syntax error: exit $code, $out"
[ ! -e genesys-relay-state.db ] || fail "validate made a state database"
echo "validate: files ok"

# --check-connectivity against the simulated org, the AWS emulator and the CRM receiver.
start_simulators --rate 1 --duration 60
simulator_config >live.toml
aws_ok=(AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY AWS_EC2_METADATA_DISABLED=true)
out=$(run "${aws_ok[@]}" "$bin" validate -c live.toml --check-connectivity 2>live.err) || fail "connectivity failed: $out $(cat live.err)"
expected="ok   genesys: GET https://127.0.0.1:$api/api/v2/tokens/me with a client-credentials token: HTTP 200
ok   sink crm: OPTIONS https://127.0.0.1:$crm/crm/sentiment answered HTTP 405
ok   sink eventbridge: PutEvents with no entries to https://127.0.0.1:$eb/ (us-east-1): signature and credentials accepted (ValidationException for the empty list)
--   sink marker: writes with the Genesys token checked above; no attribute write is harmless, so none is made"
[ "$out" == "$expected" ] || fail "connectivity printed: $out"
tail -1 live.err | grep -qx "genesys-relay validate: connectivity checked" || fail "connectivity said: $(cat live.err)"
# Wrong credentials everywhere: each failure named, exit 3, no secret shown.
sed -e 's/^client_secret = "sim-secret"/client_secret = "${GENESYS_CANARY}"/; s/^# token = "\${CRM_WEBHOOK_TOKEN}"/token = "${CRM_CANARY}"/' \
  live.toml >wrong.toml
set +e
out=$(run GENESYS_CANARY=genesys-canary-secret CRM_CANARY=crm-canary-token AWS_ACCESS_KEY_ID=AKIDCANARY \
      AWS_SECRET_ACCESS_KEY=aws-canary-secret AWS_EC2_METADATA_DISABLED=true "$bin" validate -c wrong.toml --check-connectivity 2>&1); code=$?
set -e
[ $code -eq 3 ] || fail "wrong credentials should exit 3, got $code: $out"
echo "$out" | grep -q "^FAIL genesys: .*OAuth client 'sim-client' was refused by https://127.0.0.1:$api/oauth/token: invalid_client" \
  || fail "the Genesys failure: $out"
echo "$out" | grep -q "^FAIL sink eventbridge: .*InvalidSignatureException\|^FAIL sink eventbridge: .*UnrecognizedClientException" \
  || fail "the EventBridge failure: $out"
echo "$out" | grep -q "genesys-canary-secret\|crm-canary-token\|aws-canary-secret" && fail "a secret reached validate's output: $out"
[ ! -e genesys-relay-state.db ] && [ ! -e genesys-relay-audit.jsonl ] || fail "--check-connectivity made the state database or the audit log"
# A sink that is down: named, exit 3.
sed -e "s/:$crm\//:1\//" live.toml >down.toml
set +e
out=$(run "${aws_ok[@]}" "$bin" validate -c down.toml --check-connectivity 2>&1); code=$?
set -e
[ $code -eq 3 ] && echo "$out" | grep -q "^FAIL sink crm: .*127.0.0.1:1" || fail "a CRM that is down: exit $code, $out"
echo "validate: ok"
