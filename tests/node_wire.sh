#!/usr/bin/env bash
# Wire fidelity of the AWS emulator, judged by AWS's JavaScript SDK (@aws-sdk/client-eventbridge,
# pinned in tests/node-wire/package-lock.json and installed here with `npm ci`): signed calls
# succeed, errors arrive as the SDK's typed errors, and the events land in the JSON-lines file.
set -euo pipefail
bin="$1"; src="$2"; work="$3"
fail() { echo "node_wire: $*" >&2; exit 1; }
command -v npm >/dev/null || fail "npm is not installed (scripts/install-deps installs Debian's nodejs and npm)"
mkdir -p "$work"; work=$(cd "$work" && pwd)
# The pinned SDK needs Node.js 20 or newer; Debian 12's nodejs is 18. Then Node 20 itself comes
# from the npm registry (the official binaries, published as node-linux-<arch>), into $work.
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -lt 20 ] || [ -n "${GRM_NODE_WIRE_FETCH_NODE:-}" ]; then
  case "$(uname -m)" in x86_64) arch=x64 ;; aarch64) arch=arm64 ;; *) fail "no Node.js 20 for $(uname -m)" ;; esac
  runtime="$work/node-runtime/node_modules/node-linux-$arch/bin"
  if [ ! -x "$runtime/node" ]; then
    npm install --prefix "$work/node-runtime" --no-audit --no-fund --loglevel=error "node-linux-$arch@20" \
      || fail "Node.js is older than 20 and node-linux-$arch@20 could not be installed from the npm registry"
  fi
  export PATH="$runtime:$PATH"
fi
echo "node_wire: using node $(node --version)"
cp "$src/package.json" "$src/package-lock.json" "$src/put_events_wire.mjs" "$work/"
if ! cmp -s "$src/package-lock.json" "$work/node_modules/.package-lock.json.installed" 2>/dev/null; then
  (cd "$work" && npm ci --no-audit --no-fund --loglevel=error) || fail "npm ci failed (is the npm registry reachable?)"
  cp "$src/package-lock.json" "$work/node_modules/.package-lock.json.installed"
fi

events="$work/events.jsonl"; out="$work/aws-sim.out"
rm -f "$events"
"$bin" aws-sim --port 0 --cert-out "$work/aws.pem" --events-file "$events" --duration 60 >"$out" 2>&1 &
sim=$!
trap 'kill $sim 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q "listening on" "$out" && break; sleep 0.1; done
https_url=$(grep -o 'https://127.0.0.1:[0-9]*' "$out" | head -1)
http_url=$(grep -o 'http://127.0.0.1:[0-9]*' "$out" | head -1)
[ -n "$https_url" ] || fail "the emulator did not start: $(cat "$out")"

result=$(cd "$work" && NODE_EXTRA_CA_CERTS="$work/aws.pem" node put_events_wire.mjs "$https_url" "$http_url") \
  || fail "the SDK checks failed:"$'\n'"$result"
echo "$result"
ids=$(echo "$result" | sed -n 's/^id //p')
[ "$(echo "$ids" | wc -l)" -eq 4 ] || fail "expected 4 EventIds, got: $ids"
for id in $ids; do grep -q "\"EventId\":\"$id\"" "$events" || fail "event $id is not in $events"; done
grep -q '"Detail":"{\\"conversationId\\":\\"c-1\\",\\"note\\":\\"café\\"}"' "$events" || fail "UTF-8 detail did not round-trip: $(head -1 "$events")"
grep -q '"Time":1790000000' "$events" || fail "Time (epoch seconds) missing: $(head -1 "$events")"
echo "node_wire: ok"
