#!/usr/bin/env bash
# The .deb as an operator gets it: cpack builds it from the release tree, dpkg-deb unpacks it into
# a scratch folder, and the layout, the unpacked binary (--version, validate on the shipped
# /etc config and on every example), the man page and the systemd unit (systemd-analyze verify)
# are checked.
set -euo pipefail
name=package; bin="$1"; build="$2"
source "$(dirname "$0")/process_lib.sh"
cd "$tmp"
cpack --config "$build/CPackConfig.cmake" -B "$tmp/out" >cpack.out 2>&1 || fail "cpack failed: $(tail -5 cpack.out)"
deb=$(ls out/genesys-relay_*_amd64.deb 2>/dev/null | head -1)
[ -n "$deb" ] || fail "no .deb in $(ls out)"
info=$(dpkg-deb -I "$deb")
echo "$info" | grep -q "^ Package: genesys-relay$" || fail "control: $info"
echo "$info" | grep -q "^ Depends: .*libssl3" || fail "Depends lacks the shared libraries: $info"
dpkg-deb -x "$deb" root
expected="etc/genesys-relay/credentials/
etc/genesys-relay/relay.toml
usr/bin/genesys-relay
usr/lib/systemd/system/genesys-relay.service
usr/share/doc/genesys-relay/README.md
usr/share/doc/genesys-relay/configuration.md
usr/share/doc/genesys-relay/metrics.md
usr/share/doc/genesys-relay/real-api.md
usr/share/genesys-relay/examples/real-org.toml
usr/share/genesys-relay/examples/simulator.toml
usr/share/genesys-relay/examples/systemd.toml
usr/share/genesys-relay/schemas/chat-sentiment.v1.json
usr/share/man/man1/genesys-relay.1.gz"
for f in $expected; do [ -e "root/$f" ] || fail "the package lacks /$f"; done
[ "$(stat -c %a root/etc/genesys-relay/credentials)" == 700 ] || fail "credentials/ is mode $(stat -c %a root/etc/genesys-relay/credentials)"
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles | grep -qx /etc/genesys-relay/relay.toml || fail "relay.toml is not a conffile"
relay="$tmp/root/usr/bin/genesys-relay"
[ "$("$relay" --version)" == "$("$bin" --version)" ] || fail "the packaged binary says $("$relay" --version)"
cmp -s root/etc/genesys-relay/relay.toml root/usr/share/genesys-relay/examples/systemd.toml || fail "/etc/genesys-relay/relay.toml is not the systemd example"
"$relay" generate-config --for systemd | cmp -s - root/etc/genesys-relay/relay.toml || fail "the shipped config is not what generate-config --for systemd prints"
mkdir creds && printf 's\n' >creds/genesys-client-secret && printf 't\n' >creds/crm-webhook-token
env -i PATH="$PATH" CREDENTIALS_DIRECTORY="$tmp/creds" "$relay" validate -c root/etc/genesys-relay/relay.toml >v.out 2>v.err \
  || fail "validate refused the shipped config: $(cat v.out v.err)"
for f in root/usr/share/genesys-relay/examples/*.toml root/usr/share/genesys-relay/examples/named/*.toml; do
  env -i PATH="$PATH" CREDENTIALS_DIRECTORY="$tmp/creds" GENESYSCLOUD_OAUTHCLIENT_ID=id GENESYSCLOUD_OAUTHCLIENT_SECRET=s \
    CRM_WEBHOOK_TOKEN=t "$relay" validate -c "$f" >v.out 2>v.err || fail "validate refused the shipped $f: $(cat v.out v.err)"
done
man=$(zcat root/usr/share/man/man1/genesys-relay.1.gz)
echo "$man" | grep -q '^\.SH EXAMPLES' && echo "$man" | grep -q '^\.SH FILES' && echo "$man" | grep -q 'validate' \
  || fail "the man page lacks EXAMPLES, FILES or the subcommands"
for sub in monitor forward validate generate-config dlq sim demo; do
  "$relay" "$sub" --help | grep -q "^Examples:" || fail "$sub --help has no examples"
done
# The unit, with ExecStart pointing into the unpacked tree (verify checks that the binary exists).
sed "s|/usr/bin/genesys-relay|$relay|g" root/usr/lib/systemd/system/genesys-relay.service >genesys-relay.service
for key in DynamicUser=yes ProtectSystem=strict StateDirectory=genesys-relay LoadCredential=genesys-client-secret: NoNewPrivileges=yes; do
  grep -q "^$key" genesys-relay.service || fail "the unit lacks $key"
done
if command -v systemd-analyze >/dev/null; then
  out=$(systemd-analyze verify --man=no ./genesys-relay.service 2>&1) || fail "systemd-analyze verify: $out"
  [ -z "$out" ] || fail "systemd-analyze verify had remarks: $out"
  echo "package: systemd-analyze verify clean"
else
  echo "package: systemd-analyze not available; the unit was not verified"
fi
echo "package: $(basename "$deb"), $(stat -c %s "$deb") bytes"
echo "package: ok"
