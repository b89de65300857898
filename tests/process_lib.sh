# Shared by the process tests (faults.sh, loss.sh): source it after setting `name` and `bin`.
# Processes started with track are killed at exit; GRM_KEEP=1 keeps the temporary directory.
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; wait 2>/dev/null; [ -n "${GRM_KEEP:-}" ] || rm -rf "$tmp"; }
trap cleanup EXIT
# A top-level command that fails under set -e names itself (a silent exit says nothing in CI).
trap 'code=$?; [[ $- == *e* ]] && echo "$name: line $LINENO: \`$BASH_COMMAND\` failed (exit $code)" >&2' ERR
fail() { echo "$name: $*" >&2; for f in "$tmp"/*.err "$tmp"/*.out; do [ -f "$f" ] && { echo "--- $f" >&2; tail -15 "$f" >&2; }; done; exit 1; }
# wait_for SECONDS COMMAND...: polls every 0.1 s until COMMAND succeeds.
wait_for() { local n=$(( $1 * 10 )); shift; for _ in $(seq "$n"); do "$@" 2>/dev/null && return 0; sleep 0.1; done; return 1; }
alive() { kill -0 "$1" 2>/dev/null; }
track() { pids+=("$1"); }
free_port() { "$bin" sim --port 0 --duration 0.01 | grep -o 'https://127.0.0.1:[0-9]*' | head -1 | grep -o '[0-9]*$'; }
# `sim --with-sinks` on free ports, certificates in sim-certs.pem, its output in simulators.out
# (the cwd is $tmp); sets $api, $eb and $crm to the simulated org's, the AWS emulator's and the
# CRM receiver's ports. Extra arguments go to sim.
start_simulators() {
  "$bin" sim --port 0 --with-sinks --aws-port 0 --crm-port 0 --cert-out sim-certs.pem "$@" >simulators.out 2>&1 &
  track $!
  wait_for 10 grep -q "CRM webhook receiver" simulators.out || fail "the simulators did not start"
  api=$(port_in simulators.out 'API: *https://127.0.0.1:')
  eb=$(port_in simulators.out 'AWS emulator listening on https://127.0.0.1:')
  crm=$(port_in simulators.out 'CRM webhook receiver: *https://127.0.0.1:')
}
port_in() { grep -o "$2[0-9]*" "$1" | head -1 | grep -o '[0-9]*$'; }  # port_in FILE PREFIX
# The generated simulator config (genesys-relay generate-config) pointed at start_simulators' ports.
simulator_config() { "$bin" generate-config | sed -e "s/:9443/:$api/g; s/:9444/:$eb/g; s/:9445/:$crm/g"; }
# Three distinct free ports (the kernel may hand the same ephemeral port out twice in a row).
free_ports() {
  local a b c
  a=$(free_port); b=$(free_port); while [ "$b" = "$a" ]; do b=$(free_port); done
  c=$(free_port); while [ "$c" = "$a" ] || [ "$c" = "$b" ]; do c=$(free_port); done
  echo "$a $b $c"
}
# The relay with the simulators' credentials in a clean environment; $relay and $mport are set.
start_relay() {  # start_relay CONFIG LOG
  # Emptied here, not by the background job's redirection, which may run after the wait below
  # has read a restarted relay's old log (its dead metrics port).
  : >"$2"
  env -i PATH="$PATH" HOME="$tmp" GENESYSCLOUD_OAUTHCLIENT_SECRET=sim-secret AWS_ACCESS_KEY_ID=AKIDEXAMPLE \
    AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY AWS_EC2_METADATA_DISABLED=true \
    "$bin" monitor -c "$1" >/dev/null 2>>"$2" &
  relay=$!; track "$relay"
  wait_for 10 grep -q "metrics: http://127.0.0.1:" "$2" || fail "the relay did not start"
  mport=$(grep -o 'metrics: http://127.0.0.1:[0-9]*' "$2" | tail -1 | grep -o '[0-9]*$')
}
scrape() { curl -s "http://127.0.0.1:$mport$1"; }
status_of() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mport$1"; }
metric() { scrape /metrics | grep "^$1 " | awk '{print $2}'; }  # metric 'name{labels}' → its value
# The relay's config against the simulators on $gport/$aport/$cport, everything on loopback with TLS
# unverified (a restarted simulator has a new self-signed certificate); callers append sections.
loopback_relay_config() {  # loopback_relay_config STATE CRM_PATH CRM_TIMEOUT_MS
  cat <<EOF
[genesys]
api_url = "https://127.0.0.1:$gport"
login_url = "https://127.0.0.1:$gport"
client_id = "sim-client"
tls_verify = false
[monitor]
queues = ["6a0f0e9c-0d3e-4c7b-9a57-0a4a6f3a1b22", "0c7d5a12-77e1-4f0a-8a0e-3b8f1f2d9e44"]
reconnect_max_delay_ms = 1000
ready_reconnect_budget_s = 1
[retry]
base_ms = 50
[forwarder]
enabled = true
not_analysed_horizon_s = 0
state_path = "$1"
[eventbridge]
region = "us-east-1"
endpoint = "https://127.0.0.1:$aport"
tls_verify = false
[crm]
url = "https://127.0.0.1:$cport$2"
tls_verify = false
timeout_ms = $3
[audit]
path = "$tmp/audit.jsonl"
[metrics]
listen = "127.0.0.1:0"
EOF
}
