#!/usr/bin/env bash
# root/json-real-outputs: what this host's iptmode prints as JSON, in a fresh
# network namespace (`unshare -n`: the host's own tables are never touched),
# matches docs/schema/: detect --json, audit --json (with and without a bin
# dir), repair --json --dry-run. Not root: skipped (77), failing under CI=true.
# usage: json_real_outputs.sh IPTMODE
set -u
iptmode=$1
here=$(dirname "$0")
if [[ $(id -u) != 0 ]]; then
  [[ ${CI:-} == true ]] && { echo "FAIL: not root (CI must run every test)"; exit 1; }
  echo "skipped: root tests need root"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
check() {  # check NAME EXPECTED-EXIT-CODES ARGS...
  local name=$1 codes=$2
  shift 2
  unshare -n "$iptmode" "$@" >"$tmp/$name.json" 2>"$tmp/$name.err"
  local rc=$?
  if [[ " $codes " != *" $rc "* ]]; then
    echo "FAIL: iptmode $* exited $rc (want $codes): $(head -c 500 "$tmp/$name.err")"
    fails=$((fails + 1))
    return
  fi
  if ! /usr/bin/python3 "$here/support/validate_json.py" "$tmp/$name.json"; then
    echo "FAIL: iptmode $* does not match its schema"
    fails=$((fails + 1))
    return
  fi
  echo "ok: iptmode $* ($(wc -c <"$tmp/$name.json") bytes, exit $rc)"
}
check detect 0 detect --json
check audit "0 1" audit --json
check audit-bin-dir "0 1" audit --json --bin-dir "$tmp" --role worker
check repair 0 repair --json --dry-run
((fails == 0)) || exit 1
echo "root/json-real-outputs: ok"
