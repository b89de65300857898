#!/usr/bin/env bash
# /metrics as Prometheus reads it: a running relay under load (the simulator starting 20 chats a
# second, with its per-token rate limit), scraped with the bearer token of [metrics]; each scrape
# passes `promtool check metrics`, every family it exposes is documented in docs/metrics.md, and
# the families an operator needs are there. Without the token: 401, and the token never shows.
set -euo pipefail
name=metrics; bin="$1"; docs="$2"
source "$(dirname "$0")/process_lib.sh"
command -v promtool >/dev/null || fail "promtool is missing (Debian package prometheus; scripts/install-deps installs it)"
cd "$tmp"
start_simulators --rate 20 --api-rate-limit 600 --duration 90
printf 'scrape-canary-token\n' >scrape.token
simulator_config | sed -e "s|^listen = \"127.0.0.1:9464\".*|listen = \"127.0.0.1:0\"\nbearer_token = \"file:$tmp/scrape.token\"|" >relay.toml
grep -q '^bearer_token = "file:' relay.toml || fail "could not set the bearer token in the generated config"
start_relay relay.toml relay.err
auth=(-H "Authorization: Bearer scrape-canary-token")
forwarded() { curl -s "${auth[@]}" "http://127.0.0.1:$mport/metrics" | grep -q '^relay_forwards_total{outcome="forwarded"} [1-9]'; }
wait_for 30 forwarded || fail "nothing forwarded within 30 s"
documented=$(grep -o '^| `relay_[a-z_]*`' "$docs/metrics.md" | grep -o 'relay_[a-z_]*' | sort -u)
for i in 1 2 3; do
  curl -sf "${auth[@]}" "http://127.0.0.1:$mport/metrics" >scrape$i.txt || fail "scrape $i failed"
  lint=$(promtool check metrics <scrape$i.txt 2>&1) || fail "promtool check metrics, scrape $i: $lint"
  [ -z "$lint" ] || fail "promtool had remarks on scrape $i: $lint"
  undocumented=$(grep '^# TYPE' scrape$i.txt | awk '{print $3}' | sort -u | comm -13 <(echo "$documented") -)
  [ -z "$undocumented" ] || fail "exposed but not in docs/metrics.md: $undocumented"
  sleep 0.5
done
for family in relay_sink_delivered_total relay_sink_dead_letters_total relay_sink_request_failures_total relay_sink_request_seconds \
              relay_sink_breaker_state relay_outbox_pending relay_outbox_oldest_age_seconds relay_forward_stage_seconds \
              relay_forwards_total relay_events_routed_total relay_source_reconnects_total relay_oauth_tokens_issued_total \
              relay_genesys_ratelimit_headroom relay_conversations_tracked; do
  grep -q "^# TYPE $family " scrape3.txt || fail "scrape lacks $family"
done
grep -q '^relay_sink_request_seconds_count{sink="eventbridge"} [1-9]' scrape3.txt || fail "no EventBridge request latency: $(grep request_seconds_count scrape3.txt)"
[ "$(status_of /metrics)" == 401 ] || fail "/metrics without the token answered $(status_of /metrics)"
[ "$(status_of /readyz)" == 401 ] || fail "/readyz without the token answered $(status_of /readyz)"
code=$(curl -s -o /dev/null -w '%{http_code}' "${auth[@]}" "http://127.0.0.1:$mport/readyz")
[ "$code" == 200 ] || fail "/readyz with the token answered $code: $(curl -s "${auth[@]}" "http://127.0.0.1:$mport/readyz")"
grep -q scrape-canary-token scrape*.txt relay.err && fail "the scrape token reached the metrics or the log"

# genesys-relay top: one frame for scripts, then the live view under tmux (refreshes, q quits).
url="http://127.0.0.1:$mport"
"$bin" top --url "$url" --token-file scrape.token --once >top.txt 2>top.err || fail "top --once: $(cat top.err)"
grep -q "^genesys-relay top — $url " top.txt || fail "top --once printed: $(cat top.txt)"
grep -Eq "^events/s  start [0-9.]+  update [0-9.]+  end [0-9.]+" top.txt || fail "no events/s line: $(cat top.txt)"
grep -Eq "^eventbridge +[1-9][0-9]* +[0-9.]+ +[0-9]+ +0 +closed " top.txt || fail "no EventBridge row: $(cat top.txt)"
grep -Eq "forwarded [1-9]" top.txt || fail "no forwards: $(cat top.txt)"
set +e
msg=$("$bin" top --url "$url" --once 2>&1); code=$?
set -e
[ $code -eq 1 ] && echo "$msg" | grep -q "GET /metrics answered HTTP 401: the relay wants its metrics.bearer_token (--token-file)" \
  || fail "top without the token: exit $code, $msg"
set +e
msg=$("$bin" top --url "http://127.0.0.1:1" --once 2>&1); code=$?
set -e
[ $code -eq 1 ] && echo "$msg" | grep -q "cannot reach http://127.0.0.1:1/: " || fail "top against nothing: exit $code, $msg"
command -v tmux >/dev/null || fail "tmux is missing (scripts/install-deps installs it)"
tm=(tmux -L "grm-top-$$" -f /dev/null)
"${tm[@]}" new-session -d -s top -x 140 -y 40 "$bin top --url $url --token-file $tmp/scrape.token"
pane() { "${tm[@]}" capture-pane -p -t top 2>/dev/null; }
wait_for 10 sh -c "$(printf '%q ' "${tm[@]}") capture-pane -p -t top | grep -q '^eventbridge '" || fail "the live view: $(pane)"
first=$(pane | grep '^events/s')
changed() { [ "$(pane | grep '^events/s')" != "$first" ]; }
wait_for 10 changed || fail "the live view did not refresh: $(pane)"
pane | grep -q "^genesys-relay top — $url   (every 1 s; q quits)" || fail "the live view's title: $(pane)"
"${tm[@]}" send-keys -t top q
gone() { ! "${tm[@]}" has-session -t top 2>/dev/null; }
wait_for 5 gone || { "${tm[@]}" kill-server; fail "q did not quit the live view"; }
echo "metrics: top --once and the live view under tmux ok"
# The demo on a terminal: the same view drawn in place, then the summary.
"${tm[@]}" new-session -d -s demo -x 140 -y 60 "$bin demo --duration 4; sleep 120"
demo_pane() { "${tm[@]}" capture-pane -p -t demo 2>/dev/null; }
wait_for 10 sh -c "$(printf '%q ' "${tm[@]}") capture-pane -p -t demo | grep -q '(every 1 s)'" || fail "the demo's live view: $(demo_pane)"
wait_for 90 sh -c "$(printf '%q ' "${tm[@]}") capture-pane -p -t demo | grep -q 'files to look at'" || fail "the demo's summary: $(demo_pane)"
"${tm[@]}" kill-server 2>/dev/null || true
echo "metrics: the demo's live view under tmux ok"
echo "metrics: $(grep -c '^# TYPE' scrape3.txt) families, promtool clean on 3 scrapes under load"
echo "metrics: ok"
