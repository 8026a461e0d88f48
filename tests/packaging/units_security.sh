#!/usr/bin/env bash
# packaging/units-security: both services are confined as the DaemonSet's pod
# is. `systemd-analyze security --offline=yes` (systemd 252+, no running
# systemd needed) rates each shipped service 4.0 or lower, and the audit
# still audits with only the capabilities its unit leaves it.
#
# The second part runs the packaged iptmode as the unit would, with
# setpriv: as root, bounding set = CapabilityBoundingSet=, no new privileges,
# in a fresh network namespace holding a table in each backend and a
# kube-proxy with all capabilities (as the real one runs) whose binary only
# its owner may read. Its --json equals an unconfined run's, and without any
# one of the unit's capabilities it does not: each is needed. (systemd is
# not PID 1 on the machines these checks run on, so the seccomp, namespace
# and mount settings are checked by systemd-analyze only.)
source "$(dirname "$0")/lib.sh"
require systemd-analyze
units=$DEBROOT/usr/lib/systemd/system
[[ -f $units/iptmode-audit.service ]] || fail "no unpacked .deb in $DEBROOT (did packaging/build pass?)"

note "systemd-analyze security --offline=yes: 4.0 or lower"
for u in iptmode-audit.service iptmode-shim-watch.service; do
  out=$(cd "$units" && systemd-analyze security --offline=yes --no-pager "$u" 2>&1) || {
    echo "$out"
    fail "systemd-analyze security $u failed"
  }
  score=$(sed -n "s/.*Overall exposure level for $u: \([0-9.]*\).*/\1/p" <<<"$out")
  [[ -n $score ]] || {
    echo "$out"
    fail "no exposure level for $u"
  }
  echo "$u: $score"
  awk -v s="$score" 'BEGIN { exit !(s <= 4.0) }' || {
    grep '✗' <<<"$out"
    fail "$u is rated $score (> 4.0)"
  }
done

note "the audit with only the audit unit's capabilities"
require_root
require setpriv unshare iptables-nft iptables-legacy
ipt=$DEBROOT/usr/sbin/iptmode
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$units/iptmode-audit.service")
[[ -n $caps ]] || fail "iptmode-audit.service sets no CapabilityBoundingSet="
grep -qx 'NoNewPrivileges=yes' "$units/iptmode-audit.service" || fail "the audit unit allows new privileges"
argv=()
read -ra argv < <(sed -n 's/^ExecStart=//p' "$units/iptmode-audit.service")
# The unit's command line, writing the textfile into a scratch directory.
work=$(mktemp -d "${TMPDIR:-/tmp}/iptmode-units.XXXXXX")
trap 'rm -rf "$work"' EXIT
argv[0]=$ipt
for i in "${!argv[@]}"; do
  [[ ${argv[$i]} == /var/lib/prometheus/node-exporter/iptmode.prom ]] && argv[$i]=$work/iptmode.prom
done
[[ " ${argv[*]} " == *" $work/iptmode.prom "* ]] || fail "the audit unit does not write the textfile: ${argv[*]}"
# And its findings as JSON on stdout, to compare.
argv+=(--json)

# setpriv's form of a capability set: "CAP_NET_ADMIN CAP_X" -> "-all,+net_admin,+x".
bounding() {
  local c out=-all
  for c in "$@"; do out+=",+$(tr 'A-Z' 'a-z' <<<"${c#CAP_}")"; done
  echo "$out"
}
# In a fresh network namespace: one table in each backend and a kube-proxy
# running as root with every capability, as the real one does (a copy of
# sleep: what matters is its name and its credentials).
install -m 0755 "$(command -v sleep)" "$work/kube-proxy"
cat >"$work/run.sh" <<'SH'
set -eu
work=$1
shift
iptables-nft -t filter -N KUBE-FORWARD
iptables-legacy -t filter -N KUBE-FIREWALL
"$work/kube-proxy" infinity &
proxy=$!
trap 'kill $proxy' EXIT
# The audit as the unit runs it; the first word of each run names its output.
while [ $# -gt 0 ]; do
  label=$1
  set -- "${@:2}"
  n=$1
  set -- "${@:2}"
  set +e
  "${@:1:$n}" >"$work/$label.json" 2>"$work/$label.err"
  echo "$?" >"$work/$label.rc"
  set -e
  set -- "${@:$((n + 1))}"
done
SH
read -ra unitcaps <<<"$caps"
confined=(setpriv --no-new-privs --inh-caps=-all --bounding-set="$(bounding "${unitcaps[@]}")" "${argv[@]}")
runs=(full "${#argv[@]}" "${argv[@]}" unit "${#confined[@]}" "${confined[@]}")
for c in "${unitcaps[@]}"; do
  less=()
  for k in "${unitcaps[@]}"; do [[ $k == "$c" ]] || less+=("$k"); done
  without=(setpriv --no-new-privs --inh-caps=-all --bounding-set="$(bounding "${less[@]}")" "${argv[@]}")
  runs+=("no-$c" "${#without[@]}" "${without[@]}")
done
unshare -n bash "$work/run.sh" "$work" "${runs[@]}" || fail "the runs in a fresh netns failed"
for r in full unit; do
  rc=$(cat "$work/$r.rc")
  ((rc == 0 || rc == 1)) || fail "audit ($r) exit $rc: $(cat "$work/$r.err")"
done
grep -q '"kube-proxy"' "$work/full.json" || fail "the unconfined audit did not see the kube-proxy"
cmp -s "$work/full.json" "$work/unit.json" || {
  diff -u "$work/full.json" "$work/unit.json" | head -40
  fail "with the unit's capabilities ($caps) the audit says something else"
}
echo "with $caps: the same audit as unconfined"
for c in "${unitcaps[@]}"; do
  if cmp -s "$work/full.json" "$work/no-$c.json"; then
    echo "without $c: the same audit here (needed only where the node's files or processes are not root's)"
  else
    echo "without $c: a different audit (exit $(cat "$work/no-$c.rc")): needed"
  fi
done
for c in CAP_NET_ADMIN CAP_SYS_PTRACE; do
  ! cmp -s "$work/full.json" "$work/no-$c.json" || fail "without $c the audit is the same: the test does not exercise it"
done
echo "packaging/units-security: ok"
