#!/usr/bin/env bash
# relink_bench.sh: how many kubelet-like iptables calls bypass the shim when
# k0s relinks the six names at its start while `iptmode shim watch` runs, in
# both forms of the install (docs/shim.md):
#  - names-only (`shim install --names-only`): the six names link to the shim,
#    k0s's staged xtables-{nft,legacy}-multi stay real binaries;
#  - zero-bypass (the default): the staged files are kept in iptmode-backend/
#    and become padded `#!<bin dir>/iptmode-shim` scripts.
#
# What k0s does at every worker start (pkg/component/iptables/iptables.go,
# v1.36.3+k0s.2): stage xtables-{nft,legacy}-multi in the bin dir (re-used when
# size and mtime match), then for each of the six names remove it and symlink
# it to xtables-<mode>-multi; kubelet starts right after and calls iptables
# at once. This bench does the same in a throwaway bin dir, in a fresh network
# namespace, with k0s linking to the backend the shim's decision is NOT, so a
# call tells by its own output which way it went: `iptables -V` prints
# "(nf_tables)" or "(legacy)", and `iptables -w -t nat -S` shows a chain
# created in the decided backend only. A call that printed the other backend
# bypassed the shim. The relink is one process (python3: os.remove,
# os.symlink, as k0s's Go does); the kubelet-like loop starts with it and, for
# names-only, runs until the watch reports it put the shim back; for
# zero-bypass (where the watch has nothing to put back) a fixed number of
# calls. Its PATH is the bin dir only: a call that finds no name (the instant
# between k0s's remove and symlink) counts as missing; on a node it would run
# the next iptables on kubelet's PATH.
#
# It is a benchmark: it prints figures; it fails (exit 1) only when the setup
# cannot be built, exit 2 when it cannot run.
#
# Usage: bench/relink_bench.sh [--iptmode PATH] [--runs N]
set -euo pipefail
BENCH=relink_bench
RUNS=10
ZB_CALLS=40
NAMES=(iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore)

usage() {
  cat <<EOF
Usage: $0 [--iptmode PATH] [--runs N]
  --iptmode PATH  iptmode binary (default: <repo>/build/iptmode); the shim is beside it
  --runs N        k0s-like relinks per form (default: 10)
Must run as root: it creates a network namespace and writes bin dirs under /tmp.
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
NS=iptm-k0s-relink-$$
netns_add "$NS"

# k0s's relink, in one process: argv[1] the bin dir, argv[2] the target.
relink_py="import os, sys
for n in ('iptables','iptables-save','iptables-restore','ip6tables','ip6tables-save','ip6tables-restore'):
    p = os.path.join(sys.argv[1], n)
    try: os.remove(p)
    except FileNotFoundError: pass
    try: os.symlink(sys.argv[2], p)
    except FileExistsError: print('symlink failed: ' + n, file=sys.stderr)"

# The kubelet: $1 what the decided backend's -V prints, $2 the stop file
# ("" for a fixed count), $3 that count. Prints "calls bypassed missing".
# shellcheck disable=SC2016
kubelet_sh='
n=0 b=0 m=0
one() {
  local want=$1; shift
  out=$("$@" 2>&1) && rc=0 || rc=$?
  n=$((n + 1))
  if ((rc == 127)); then m=$((m + 1)); elif [[ $out != *"$want"* ]]; then b=$((b + 1)); fi
}
i=0
while if [[ -n $2 ]]; then [[ ! -e $2 ]]; else ((i < $3)); fi; do
  one "$1" iptables -V; one "-N IPTM-BENCH" iptables -w -t nat -S; i=$((i + 1))
done
for j in 1 2; do one "$1" iptables -V; one "-N IPTM-BENCH" iptables -w -t nat -S; done
echo "$n $b $m"'

WATCH_PID=""
stop_watch() { [[ -n $WATCH_PID ]] && kill "$WATCH_PID" 2>/dev/null; wait 2>/dev/null || true; }
BENCH_ON_EXIT+=(stop_watch)

# One form: $1 names-only|zero-bypass. Prints one line per run and a total.
bench_form() {
  local form=$1 bin=$tmp/$1/bin m n
  mkdir -p "$bin"
  chmod 0755 "$tmp/$1" "$bin"
  for m in nft legacy; do
    install -m 0750 "$(readlink -f "/usr/sbin/xtables-$m-multi")" "$bin/xtables-$m-multi"
    touch -d @1700000000.123456789 "$bin/xtables-$m-multi" # k0s: its executable's mtime
  done
  for n in "${NAMES[@]}"; do ln -s xtables-nft-multi "$bin/$n"; done
  local extra=()
  [[ $form == names-only ]] && extra=(--names-only)
  "$IPTMODE" shim install --bin-dir "$bin" --shim "$SHIM" "${extra[@]}" >"$tmp/$form.install" 2>&1 ||
    fail "shim install ($form): $(cat "$tmp/$form.install")"
  ip netns exec "$NS" "$bin/iptables" -w -t nat -N IPTM-BENCH 2>"$tmp/warmup.err" ||
    ip netns exec "$NS" "$bin/iptables" -w -t nat -S IPTM-BENCH >/dev/null 2>>"$tmp/warmup.err" ||
    fail "the shim's first call failed: $(cat "$tmp/warmup.err")"
  local mode want other
  mode=$(sed -n 's/^mode //p' "$bin/iptmode-shim.state")
  if [[ $mode == nft ]]; then want="(nf_tables)" other=legacy; else want="(legacy)" other=nft; fi

  coproc WATCH { exec ip netns exec "$NS" "$IPTMODE" shim watch --bin-dir "$bin" --shim "$SHIM" "${extra[@]}" 2>&1; }
  local line=""
  until [[ $line == watching* ]]; do
    read -t 10 -r line <&"${WATCH[0]}" || fail "the watch did not start: ${line:-no output}"
  done
  local calls=0 bypass=0 missing=0 run c b ms stop loop t0 t1
  printf '%-12s %-4s %8s %8s %8s %10s\n' form run calls bypass missing window_ms
  for ((run = 1; run <= RUNS; run++)); do
    rm -f "$tmp/stop"
    # Before k0s's start: every name on the shim.
    for n in "${NAMES[@]}"; do
      [[ $(readlink "$bin/$n") == iptmode-shim ]] || ln -sfn iptmode-shim "$bin/$n"
    done
    stop=$tmp/stop
    [[ $form == zero-bypass ]] && stop=""
    ip netns exec "$NS" env PATH="$bin" /bin/bash -c "$kubelet_sh" _ "$want" "$stop" "$ZB_CALLS" \
      >"$tmp/calls" &
    loop=$! t0=$EPOCHREALTIME
    python3 -c "$relink_py" "$bin" "xtables-$other-multi" 2>>"$tmp/relink.err"
    if [[ $form == names-only ]]; then
      line=""
      until [[ $line == reinstalled* ]]; do
        read -t 10 -r line <&"${WATCH[0]}" || fail "the watch did not put the shim back: ${line:-no output}"
      done
    fi
    t1=$EPOCHREALTIME
    touch "$tmp/stop"
    wait "$loop"
    read -r c b ms <"$tmp/calls"
    printf '%-12s %-4s %8s %8s %8s %10s\n' "$form" "$run" "$c" "$b" "$ms" \
      "$(((${t1//[.,]/} - ${t0//[.,]/}) / 1000))"
    calls=$((calls + c)) bypass=$((bypass + b)) missing=$((missing + ms))
  done
  kill "$WATCH_PID" 2>/dev/null || true
  wait "$WATCH_PID" 2>/dev/null || true
  WATCH_PID=""
  # k0s's next start: would its stage check (size and mtime) re-use the files?
  local reuse=yes
  for m in nft legacy; do
    [[ $(stat -L -c '%s %.9Y' "$bin/xtables-$m-multi") == \
      "$(stat -L -c '%s' "$(readlink -f "/usr/sbin/xtables-$m-multi")") 1700000000.123456789" ]] || reuse=no
  done
  echo "$form: relinks: $RUNS; kubelet-like calls: $calls; bypassed the shim: $bypass" \
    "($(ratio "$bypass" "$calls")); name missing: $missing; k0s re-uses the staged files: $reuse"
  echo "$form $bypass $calls" >>"$tmp/summary"
}

: >"$tmp/summary"
bench_form names-only
bench_form zero-bypass
failed_links=0
[[ -s $tmp/relink.err ]] && failed_links=$(wc -l <"$tmp/relink.err")
while read -r form b c; do echo "bypassed/total ($form): $b/$c"; done <"$tmp/summary"
echo "k0s symlink() failures: $failed_links; goal 0 bypassed for zero-bypass:" \
  "$(awk '$1 == "zero-bypass" { print ($2 == 0) ? "PASS" : "MISS" }' "$tmp/summary")"
