#!/usr/bin/env bash
# packaging/firewalld: the three firewalld services pass firewalld's own
# check (`firewall-offline-cmd --check-config`, pointed at scratch copies of
# the configuration, never the host's) and carry exactly k0s's ports.
source "$(dirname "$0")/lib.sh"
require firewall-offline-cmd xmllint
require_root
services=(k0s-controller k0s-worker k0s-cplb)
shipped=$DEBROOT/usr/lib/firewalld/services
[[ -d $shipped ]] || fail "no unpacked .deb in $DEBROOT (did packaging/build pass?)"
[[ $(ls "$shipped") == "$(printf '%s.xml\n' "${services[@]}" | sort)" ]] || fail "services shipped: $(ls "$shipped")"

note "well-formed XML, and the exact ports and protocols"
for s in "${services[@]}"; do
  cmp -s "$shipped/$s.xml" "$SRC/packaging/firewalld/$s.xml" || fail "$s.xml is not packaging/firewalld's"
  xmllint --noout "$shipped/$s.xml" || fail "$s.xml is not well-formed"
done
$PY - "$shipped" <<'PYEOF'
import sys
import xml.etree.ElementTree as ET
want = {
    "k0s-controller": {"ports": {("2380", "tcp"), ("6443", "tcp"), ("8132", "tcp"), ("9443", "tcp")},
                       "protocols": set(), "destination": {}},
    "k0s-worker": {"ports": {("179", "tcp"), ("4789", "udp"), ("10250", "tcp")},
                   "protocols": set(), "destination": {}},
    # keepalived's VRRP: IP protocol 112 to its multicast group, not a port.
    "k0s-cplb": {"ports": set(), "protocols": {"vrrp"}, "destination": {"ipv4": "224.0.0.18"}},
}
bad = False
for name, w in want.items():
    root = ET.parse(f"{sys.argv[1]}/{name}.xml").getroot()
    got = {"ports": set(), "protocols": set(), "destination": {}}
    problems = []
    if root.tag != "service" or root.attrib:
        problems.append(f"root element <{root.tag} {root.attrib}>")
    for el in root:
        if el.tag in ("short", "description"):
            if not (el.text or "").strip() or len(el) or el.attrib:
                problems.append(f"<{el.tag}> must hold text only")
        elif el.tag == "port":
            if set(el.attrib) != {"port", "protocol"}:
                problems.append(f"<port {el.attrib}>")
            got["ports"].add((el.get("port"), el.get("protocol")))
        elif el.tag == "protocol":
            got["protocols"].add(el.get("value"))
        elif el.tag == "destination":
            got["destination"] = dict(el.attrib)
        else:
            problems.append(f"unexpected <{el.tag}>")
    for tag in ("short", "description"):
        if len(root.findall(tag)) != 1:
            problems.append(f"needs exactly one <{tag}>")
    for k in ("ports", "protocols", "destination"):
        if got[k] != w[k]:
            problems.append(f"{k}: {sorted(got[k]) if k != 'destination' else got[k]}, want {sorted(w[k]) if k != 'destination' else w[k]}")
    for p in problems:
        print(f"FAIL: {name}.xml: {p}")
        bad = True
sys.exit(bad)
PYEOF

# Scratch copies of firewalld's stock configuration (/usr/lib/firewalld) with
# the package's services added, and of a system configuration (/etc/firewalld).
scratch() {
  local d=$1
  rm -rf "$d"
  mkdir -p "$d/etc"/{zones,services,icmptypes,ipsets,helpers,policies}
  cp -a /usr/lib/firewalld "$d/default"
  if [[ -f /etc/firewalld/firewalld.conf ]]; then
    cp /etc/firewalld/firewalld.conf "$d/etc/"
  else
    printf 'DefaultZone=public\nFirewallBackend=nftables\n' >"$d/etc/firewalld.conf"
  fi
  cp "$shipped"/*.xml "$d/default/services/"
}
offline() { firewall-offline-cmd --system-config "$1/etc" --default-config "$1/default" "${@:2}"; }

note "firewall-offline-cmd --check-config ($(firewall-offline-cmd --version))"
scratch "$OUT/firewalld"
offline "$OUT/firewalld" --check-config >"$OUT/firewalld-check.txt" 2>&1 || {
  cat "$OUT/firewalld-check.txt"
  fail "firewall-offline-cmd --check-config rejects the services"
}
if [[ -s $OUT/firewalld-check.txt ]]; then
  cat "$OUT/firewalld-check.txt"
  fail "firewall-offline-cmd --check-config printed something"
fi

note "firewalld reads them as intended"
info() { offline "$OUT/firewalld" --info-service="$1" | sed -n "s/^  $2: *//p"; }
[[ $(info k0s-controller ports) == "2380/tcp 6443/tcp 8132/tcp 9443/tcp" ]] || fail "k0s-controller ports: $(info k0s-controller ports)"
[[ $(info k0s-worker ports) == "179/tcp 4789/udp 10250/tcp" ]] || fail "k0s-worker ports: $(info k0s-worker ports)"
[[ -z $(info k0s-cplb ports) ]] || fail "k0s-cplb has ports: $(info k0s-cplb ports)"
[[ $(info k0s-cplb protocols) == vrrp ]] || fail "k0s-cplb protocols: $(info k0s-cplb protocols)"
[[ $(info k0s-cplb destination) == ipv4:224.0.0.18 ]] || fail "k0s-cplb destination: $(info k0s-cplb destination)"
for s in k0s-controller k0s-worker; do
  [[ -z $(info $s protocols) ]] || fail "$s has protocols: $(info $s protocols)"
done

note "the check is real: a service with a bad protocol fails it"
scratch "$OUT/firewalld-bad"
sed -i 's/protocol="udp"/protocol="udpx"/' "$OUT/firewalld-bad/default/services/k0s-worker.xml"
if offline "$OUT/firewalld-bad" --check-config >/dev/null 2>&1; then
  fail "firewall-offline-cmd --check-config accepted a broken service"
fi
echo "packaging/firewalld: ok"
