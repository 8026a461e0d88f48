#!/usr/bin/env bash
# relink_bench.sh: how many kubelet-like iptables calls bypass the shim when
# k0s relinks the six names at its start while `iptmode shim watch` runs.
#
# What k0s does at every worker start (pkg/component/iptables/iptables.go,
# v1.36.3+k0s.2): stage xtables-{nft,legacy}-multi in the bin dir, then for
# each of the six names remove it and symlink it to xtables-<mode>-multi;
# kubelet starts right after and calls iptables at once. This bench does the
# same in a throwaway bin dir: the shim installed with its backends in a
# separate backend dir, the watch running, and k0s's staged xtables-*-multi
# replaced by recorders that log one line per call and exec the real binary.
# A call that reaches a recorder went through k0s's link, not the shim: a
# bypass. The relink is done in one process (python3: os.remove, os.symlink,
# as k0s's Go does), and a kubelet-like loop (`iptables -w -t nat -S`, as
# kubelet's PATH finds it) starts the moment it is done and runs until the
# watch reports it put the shim back.
#
# Everything runs in a fresh network namespace. It is a benchmark: it prints
# figures; it fails (exit 1) only when the setup cannot be built, exit 2 when
# it cannot run.
#
# Usage: bench/relink_bench.sh [--iptmode PATH] [--runs N]
set -euo pipefail
BENCH=relink_bench
RUNS=10

usage() {
  cat <<EOF
Usage: $0 [--iptmode PATH] [--runs N]
  --iptmode PATH  iptmode binary (default: <repo>/build/iptmode); the shim is beside it
  --runs N        k0s-like relinks (default: 10)
Must run as root: it creates a network namespace and writes a bin dir under /tmp.
EOF
}

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
while (($#)); do
  common_arg "$@"
  ((SHIFT_BY)) || usage_error "unknown argument: $1"
  shift "$SHIFT_BY"
done
check_common "it makes a network namespace and runs the shim's watch"
require_tools python3 ip
SHIM=$(dirname "$IPTMODE")/iptmode-shim
[[ -x $SHIM ]] || fail "iptmode-shim not found beside $IPTMODE"

bench_start iptmode-relink
bin=$tmp/bin backends=$tmp/backends log=$tmp/bypass.log
mkdir -p "$bin" "$backends"
chmod 0755 "$tmp" "$bin" "$backends"
for m in nft legacy; do
  cp "$(readlink -f "/usr/sbin/xtables-$m-multi")" "$backends/xtables-$m-multi"
  # k0s's staged file, as a recorder: one line per call that reaches it.
  cat >"$bin/xtables-$m-multi" <<EOF
#!/bin/bash
echo "\$\$ \${0##*/}" >>"$log"
exec -a "\${0##*/}" "$backends/xtables-$m-multi" "\$@"
EOF
  chmod 0755 "$bin/xtables-$m-multi"
done
: >"$log"

"$IPTMODE" shim install --bin-dir "$bin" --backend-dir "$backends" --shim "$SHIM" \
  >"$tmp/install.log" 2>&1 || fail "shim install: $(cat "$tmp/install.log")"
NS=iptm-k0s-relink-$$
netns_add "$NS"
ip netns exec "$NS" "$bin/iptables" -w -t nat -S >/dev/null 2>"$tmp/warmup.err" ||
  fail "the shim's first call failed: $(cat "$tmp/warmup.err")"
[[ ! -s $log ]] || fail "the shim's own call reached a recorder: the setup is wrong"

coproc WATCH { exec ip netns exec "$NS" "$IPTMODE" shim watch --bin-dir "$bin" 2>&1; }
stop_watch() { [[ -n ${WATCH_PID:-} ]] && kill "$WATCH_PID" 2>/dev/null; wait 2>/dev/null || true; }
BENCH_ON_EXIT+=(stop_watch)
line=""
until [[ $line == watching* ]]; do
  read -t 10 -r line <&"${WATCH[0]}" || fail "the watch did not start: ${line:-no output}"
done

# k0s's relink, in one process, then the "kubelet" at once in another.
relink_py="import os, sys
for n in ('iptables','iptables-save','iptables-restore','ip6tables','ip6tables-save','ip6tables-restore'):
    p = os.path.join(sys.argv[1], n)
    try: os.remove(p)
    except FileNotFoundError: pass
    try: os.symlink('xtables-nft-multi', p)
    except FileExistsError: print('symlink failed: ' + n, file=sys.stderr)"

total_calls=0 total_bypass=0 failed_links=0
printf '%-4s %8s %8s %10s\n' run calls bypass window_ms
for ((run = 1; run <= RUNS; run++)); do
  : >"$log"
  rm -f "$tmp/stop"
  t0=$EPOCHREALTIME
  python3 -c "$relink_py" "$bin" 2>>"$tmp/relink.err"
  ip netns exec "$NS" env PATH="$bin:/usr/sbin:/usr/bin:/sbin:/bin" bash -c '
    n=0; while [[ ! -e $1 ]]; do iptables -w -t nat -S >/dev/null 2>&1; n=$((n + 1)); done
    for i in 1 2 3; do iptables -w -t nat -S >/dev/null 2>&1; n=$((n + 1)); done; echo "$n"' \
    _ "$tmp/stop" >"$tmp/calls" &
  loop=$!
  line=""
  until [[ $line == reinstalled* ]]; do
    read -t 10 -r line <&"${WATCH[0]}" || fail "the watch did not put the shim back: ${line:-no output}"
  done
  t1=$EPOCHREALTIME
  touch "$tmp/stop"
  wait "$loop"
  calls=$(<"$tmp/calls")
  bypass=$(wc -l <"$log")
  window=$(((${t1//[.,]/} - ${t0//[.,]/}) / 1000))
  printf '%-4s %8s %8s %10s\n' "$run" "$calls" "$bypass" "$window"
  total_calls=$((total_calls + calls)) total_bypass=$((total_bypass + bypass))
done
[[ -s $tmp/relink.err ]] && failed_links=$(wc -l <"$tmp/relink.err")
echo "relinks: $RUNS; kubelet-like calls: $total_calls; bypassed the shim: $total_bypass" \
  "($(ratio "$total_bypass" "$total_calls") of calls); k0s symlink() failures: $failed_links"
