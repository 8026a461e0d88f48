#!/usr/bin/env bash
# The functions run from `bash -c` in the namespace and the trap from signals.
# shellcheck disable=SC2317
# audit_bench.sh: what a full `iptmode audit` costs on a large node as the
# ruleset grows, against the saves an operator would otherwise run to look at
# the same state, and against the floor: the kernel reads alone.
#
# Goals (issue 13), reported, not enforced, at the largest size (default
# 1,000,000 rules): the audit >= 6x faster than one iptables-nft-save of the
# same namespace; its growth from the size 10x smaller at most 10x; peak RSS
# under 64 MiB. The audit runs with its default --jobs (its readers: the CPUs
# it may run on, at most 4), and again with --jobs 1 and on a k0s node (a
# bin dir, so its k0s prediction needs exact counts: they must come from the
# same read, at no extra cost). Also printed: the audit's time as a ratio to the floor
# (bench/floor_dump.c: one chain dump and one rule dump per chain, answers
# discarded: what counting every rule costs in the kernel), and, as before,
# to iptables-nft-save plus iptables-legacy-save (goal <= 0.5).
#
# The state, built here and torn down by the trap, for each size N:
#   rules      a fresh network namespace with N kube-proxy-shaped rules in
#              nf_tables (one iptables-nft-restore of an awk-made file: 100
#              rules per KUBE-SVC-* chain in filter) and KUBE-IPTABLES-HINT
#              in nft mangle, as kubelet leaves it; plus 1,000 stray rules in
#              x_tables (one iptables-legacy-restore), which the audit must
#              report as LEGACY_RULES_UNDER_NFT, with their exact count.
#   processes  2,000 background processes in one process group (one setsid
#              helper, killed as a group), started once: 10 are copies of
#              sleep named like the components the audit looks for
#              (kubelet, kube-proxy, kube-router, calico-node), the rest
#              plain `sleep`, so the audit's /proc scan has real work.
# Every method is timed inside the namespace (one `ip netns exec` per
# series, not per run), so the cost of entering it is not in the numbers.
#
# It is a benchmark, not a test: a missed goal is reported, not fatal. It
# fails (exit 1) when the setup could not be built, or the audit did not see
# the state; exit 2 means it could not run.
#
# Usage: bench/audit_bench.sh [--iptmode PATH] [--baseline PATH] [--floor PATH]
#                             [--runs N] [--sizes "N ..."]
set -euo pipefail
BENCH=audit_bench

usage() {
  cat <<EOF
Usage: $0 [--iptmode PATH] [--baseline PATH] [--floor PATH] [--runs N] [--sizes "N ..."]
  --iptmode PATH   iptmode binary to time (default: <repo>/build/iptmode)
  --baseline PATH  another iptmode binary (an older build) timed alongside
  --floor PATH     the floor program (default: iptmode-bench-floor next to iptmode)
  --runs N         timed runs per method and size (default: 5)
  --sizes "N ..."  nf_tables rule counts of the states (default: "10000 100000 1000000")
Must run as root: it creates network namespaces, loads iptables rules and
starts 2000 processes.
EOF
}

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

readonly PER_CHAIN=100 LEGACY_RULES=1000 PROCESSES=2000
# Named like the components the audit scans for: 10 processes, 4 names.
readonly COMPONENT_PROCS=(kubelet kube-proxy kube-proxy kube-proxy kube-router kube-router
  kube-router calico-node calico-node calico-node)
readonly GOAL_SAVE=6 GOAL_GROWTH=10 GOAL_SAVES_RATIO=0.5
RUNS=5
SIZES="10000 100000 1000000"
BASELINE=""
FLOOR=""
while (($#)); do
  common_arg "$@"
  if ((SHIFT_BY)); then shift "$SHIFT_BY"; continue; fi
  case $1 in
    --baseline) (($# >= 2)) || usage_error "--baseline needs a path"; BASELINE=$2; shift 2 ;;
    --floor) (($# >= 2)) || usage_error "--floor needs a path"; FLOOR=$2; shift 2 ;;
    --sizes) (($# >= 2)) || usage_error "--sizes needs a list"; SIZES=$2; shift 2 ;;
    *) usage_error "unknown argument: $1" ;;
  esac
done
check_common "it creates network namespaces, loads iptables rules and starts processes"
for n in $SIZES; do [[ $n =~ ^[1-9][0-9]*$ ]] || usage_error "not a positive number: $n"; done
[[ -n $FLOOR ]] || FLOOR="$(dirname "$IPTMODE")/iptmode-bench-floor"
[[ -x $FLOOR && -f $FLOOR ]] || fail "floor program not found: $FLOOR (cmake --build build --target iptmode-bench-floor)"
FLOOR=$(readlink -f "$FLOOR")
if [[ -n $BASELINE ]]; then
  [[ -x $BASELINE && -f $BASELINE ]] || fail "baseline not executable: $BASELINE"
  BASELINE=$(readlink -f "$BASELINE")
fi
require_tools ip iptables iptables-nft-restore iptables-legacy-restore iptables-nft-save \
  iptables-legacy-save setsid sleep python3 awk sort /usr/bin/time
bench_start iptmode-abench

helper_pgid=""
stop_processes() {
  local i
  # Interrupted before the helper's pid was read: it may be written by now.
  [[ -z $helper_pgid && -s $tmp/helper.pid ]] && helper_pgid=$(<"$tmp/helper.pid")
  [[ -n $helper_pgid ]] || return 0
  # The whole group at once (the helper reaps its children, see there), then
  # wait until it is gone; KILL whatever is left after 5 s.
  kill -TERM -- "-$helper_pgid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 -- "-$helper_pgid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL -- "-$helper_pgid" 2>/dev/null || true
}
BENCH_ON_EXIT+=(stop_processes)

# The commands being measured (run inside the namespace by time_runs).
audit_once() { "$1" audit --json "${@:2}"; }
# stderr goes too: iptables-nft-save warns there that legacy tables exist.
nftsave_once() { iptables-nft-save 2>/dev/null; }
saves_once() {
  iptables-nft-save >/dev/null 2>&1 || return 2
  iptables-legacy-save >/dev/null 2>&1 || return 2
}
export -f audit_once nftsave_once saves_once

echo "== iptmode audit as the ruleset grows, vs iptables-nft-save and the kernel reads alone"
echo "iptmode:   $IPTMODE ($("$IPTMODE" --version 2>/dev/null || echo 'version unknown'))"
[[ -n $BASELINE ]] && echo "baseline:  $BASELINE"
echo "floor:     $FLOOR"
echo "iptables:  $(iptables --version)   kernel: $(uname -r)   cpus: $(nproc)"
echo "states:    $SIZES rules in nf_tables ($PER_CHAIN per KUBE-SVC-* chain, KUBE-IPTABLES-HINT in mangle) + $LEGACY_RULES in x_tables"
echo "processes: $PROCESSES in one process group (${#COMPONENT_PROCS[@]} named like components)"
echo "runs:      $RUNS timed (+1 warm-up) per method and size"
echo

# --- Processes --------------------------------------------------------------

# One helper in its own session (so its pid is the process group id) starts
# them all, reports ready, and waits; the trap kills the group. The component
# copies live in $tmp/bin, so comm, exe and argv[0] all carry the name.
mkdir "$tmp/bin" "$tmp/k0s-bin"
sleep_bin=$(command -v sleep)
for name in "${COMPONENT_PROCS[@]}"; do
  [[ -e $tmp/bin/$name ]] || cp "$(readlink -f "$sleep_bin")" "$tmp/bin/$name"
done
t0=$EPOCHREALTIME
# shellcheck disable=SC2016  # expanded by the helper shell
setsid --wait bash -c '
  # On TERM, reap every child before leaving, so none is left to an init
  # that may not reap; the bash -c wait returns early when the trap fires.
  trap "kill -KILL \$(jobs -p) 2>/dev/null; wait; exit 0" TERM
  echo $$ >"$1/helper.pid"
  dir=$1 total=$2
  shift 2
  for name in "$@"; do "$dir/bin/$name" 1000 & done
  for ((i = $#; i < total; i++)); do sleep 1000 & done
  : >"$dir/ready"
  wait
' audit-bench-helper "$tmp" "$PROCESSES" "${COMPONENT_PROCS[@]}" </dev/null >/dev/null 2>&1 &
for ((i = 0; i < 600; i++)); do
  [[ -z $helper_pgid && -s $tmp/helper.pid ]] && helper_pgid=$(<"$tmp/helper.pid")
  [[ -e $tmp/ready ]] && break
  kill -0 $! 2>/dev/null || fail "the process helper exited early"
  sleep 0.1
done
[[ -e $tmp/ready && -n $helper_pgid ]] || fail "the process helper did not start $PROCESSES processes in 60 s"
group_count=$(ps -o pid= -g "$helper_pgid" | wc -l)
((group_count >= PROCESSES)) ||
  fail "process group $helper_pgid holds $group_count processes, expected >= $PROCESSES"
printf 'started %d processes (group %d) in %s\n' "$PROCESSES" "$helper_pgid" "$(secs_since "$t0")"

kube_rules "$LEGACY_RULES" "$PER_CHAIN" filter >"$tmp/rules.legacy"

# check_audit NS SIZE: the audit saw the state: the stray x_tables rules
# exactly, nf_tables at least past them, our component processes.
check_audit() {
  local rc=0 seen
  ip netns exec "$1" "$IPTMODE" audit --json >"$tmp/audit.json" 2>"$tmp/audit.err" || rc=$?
  ((rc <= 1)) || fail "iptmode audit --json exited $rc in $1: $(head -c 500 "$tmp/audit.err")"
  seen=$(python3 - "$tmp/audit.json" "$helper_pgid" "$2" "$LEGACY_RULES" <<'EOF'
import json, os, sys
a = json.load(open(sys.argv[1]))
group, size, legacy = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def pgid(p):
    try:
        return os.getpgid(p)
    except OSError:
        return -1
ours = sum(1 for c in a["components"] for p in c["pids"] if pgid(p) == group)
k = a["kernel"]
nft, leg = k["nft"], k["legacy"]
nft_ok = legacy < nft["iptables_rules"] <= size and (not nft["iptables_rules_exact"] or nft["iptables_rules"] == size)
leg_ok = leg["iptables_rules"] == legacy and leg["iptables_rules_exact"]
stray = any(f["code"] == "LEGACY_RULES_UNDER_NFT" and f["message"].startswith(f"{legacy} ")
            for f in a["findings"])
exact = "exact" if nft["iptables_rules_exact"] else "at least"
print(int(nft_ok and leg_ok and stray and a["mode"] == "nft"), ours,
      f'mode={a["mode"]} nft={exact}:{nft["iptables_rules"]} legacy={leg["iptables_rules"]} stray_finding={int(stray)}')
EOF
  ) || fail "cannot read the audit's JSON: $(head -c 200 "$tmp/audit.json")"
  read -r ok ours what <<<"$seen"
  echo "  audit (exit $rc): $what; $ours of our ${#COMPONENT_PROCS[@]} component pids found"
  ((ok)) || fail "the audit did not see the state built in $1 ($what)"
  ((ours == ${#COMPONENT_PROCS[@]})) || fail "the audit found $ours of our ${#COMPONENT_PROCS[@]} component processes"
}

time_into() {
  local file=$1 ns=$2
  shift 2
  TIME_RUNS_MAX_RC=1 in_ns "$ns" "time_runs $RUNS $*" >"$file" || fail "$* failed in $ns"
}

bench_size() {
  local size=$1 ns="iptmode-abench-$1-$$" t0 counts l="$tmp/$1"
  netns_add "$ns"
  { kube_rules "$size" "$PER_CHAIN" filter; hint_rules; } >"$tmp/rules.nft"
  t0=$EPOCHREALTIME
  ip netns exec "$ns" iptables-nft-restore <"$tmp/rules.nft" || fail "iptables-nft-restore failed in $ns"
  ip netns exec "$ns" iptables-legacy-restore <"$tmp/rules.legacy" || fail "iptables-legacy-restore failed in $ns"
  printf '%-32s %8d nft + %d legacy rules loaded in %s' "$ns" "$size" "$LEGACY_RULES" "$(secs_since "$t0")"
  counts=$(save_counts "$ns" iptables-nft-save)
  [[ $counts == "$size 1" ]] || fail "$ns: iptables-nft-save shows '$counts' (rules hints)"
  counts=$(save_counts "$ns" iptables-legacy-save)
  [[ $counts == "$LEGACY_RULES 0" ]] || fail "$ns: iptables-legacy-save shows '$counts' (rules hints)"
  echo " (verified)"
  check_audit "$ns" "$size"

  time_into "$l.audit.us" "$ns" audit_once "$(printf '%q' "$IPTMODE")"
  # One reader (--jobs 1), and the default readers on a k0s node (a bin
  # dir: its prediction needs every nf_tables rule counted, which the
  # FOREIGN_RULE pass gives, so it should cost the same).
  time_into "$l.audit1.us" "$ns" audit_once "$(printf '%q' "$IPTMODE")" --jobs 1
  time_into "$l.k0s.us" "$ns" audit_once "$(printf '%q' "$IPTMODE")" --bin-dir "$(printf '%q' "$tmp/k0s-bin")"
  peak_rss_kib ip netns exec "$ns" "$IPTMODE" audit --json >"$l.audit.rss"
  if [[ -n $BASELINE ]]; then
    time_into "$l.baseline.us" "$ns" audit_once "$(printf '%q' "$BASELINE")"
    peak_rss_kib ip netns exec "$ns" "$BASELINE" audit --json >"$l.baseline.rss"
  fi
  ip netns exec "$ns" "$FLOOR" >"$l.floor.out" || fail "$FLOOR failed in $ns"
  time_into "$l.floor.us" "$ns" "$(printf '%q' "$FLOOR")"
  time_into "$l.nftsave.us" "$ns" nftsave_once
  time_into "$l.saves.us" "$ns" saves_once
  echo "  floor: $(<"$l.floor.out")"
  netns_del "$ns"
}

for size in $SIZES; do bench_size "$size"; done
echo

med() { if [[ -s $1 ]]; then median_ms "$1"; else echo -; fi; }
mib() { if [[ -s $1 ]]; then awk '{ printf "%.1f", $1 / 1024 }' "$1"; else echo -; fi; }

# audit: default --jobs; aud1: --jobs 1; k0s: default --jobs with a k0s bin
# dir; aud1/floor compares one reader with the one-reader floor.
printf '%-8s %9s %9s %9s %11s %9s %10s %9s %9s %10s %9s %8s %8s\n' rules "audit_ms" "aud1_ms" \
  "k0s_ms" "baseline_ms" "floor_ms" "nftsave_ms" "saves_ms" "save/aud" "aud1/floor" "aud1/aud" \
  "rss_MiB" "base_MiB"
for size in $SIZES; do
  l="$tmp/$size"
  a=$(med "$l.audit.us")
  a1=$(med "$l.audit1.us")
  printf '%-8s %9s %9s %9s %11s %9s %10s %9s %9s %10s %9s %8s %8s\n' "$size" "$a" "$a1" \
    "$(med "$l.k0s.us")" "$(med "$l.baseline.us")" "$(med "$l.floor.us")" "$(med "$l.nftsave.us")" \
    "$(med "$l.saves.us")" "$(ratio "$(med "$l.nftsave.us")" "$a")x" \
    "$(ratio "$a1" "$(med "$l.floor.us")")" "$(ratio "$a1" "$a")x" \
    "$(mib "$l.audit.rss")" "$(mib "$l.baseline.rss")"
done
echo

read -r -a sizes <<<"$SIZES"
large=${sizes[${#sizes[@]} - 1]}
l="$tmp/$large"
a=$(med "$l.audit.us")
r=$(ratio "$(med "$l.nftsave.us")" "$a")
echo "$large rules: iptables-nft-save / audit = ${r}x (goal >= ${GOAL_SAVE}x): $(at_least "$r" "$GOAL_SAVE")"
if [[ -s $tmp/$((large / 10)).audit.us ]]; then
  r=$(ratio "$a" "$(med "$tmp/$((large / 10)).audit.us")")
  echo "audit at $large / at $((large / 10)) rules = ${r}x (goal <= ${GOAL_GROWTH}x): $(at_most "$r" "$GOAL_GROWTH")"
fi
rss=$(mib "$l.audit.rss")
echo "$large rules: audit peak RSS $rss MiB (goal < 64 MiB): $(at_most "$rss" 63.99)"
# FOREIGN_RULE classifies every rule of the iptables tables, so the audit
# dumps every rule as the floor does: its floor is that dump.
# The floor is one reader; the audit's default is several (--jobs), so the
# like-for-like ratio is --jobs 1's.
echo "$large rules: audit --jobs 1 / floor = $(ratio "$(med "$l.audit1.us")" "$(med "$l.floor.us")") (goal <= 2: the audit reads every rule, as the floor does, and classifies it)"
echo "$large rules: audit --jobs 1 / audit = $(ratio "$(med "$l.audit1.us")" "$a")x (the readers' gain on $(nproc) CPUs)"
r=$(ratio "$(med "$l.k0s.us")" "$a")
echo "$large rules: audit on a k0s node / audit = ${r} (goal <= 1.2: its exact counts come from the same read): $(at_most "$r" 1.2)"
for size in $SIZES; do
  r=$(ratio "$(med "$tmp/$size.audit.us")" "$(med "$tmp/$size.saves.us")")
  echo "$size rules: audit / (nft-save + legacy-save) = $r (goal <= $GOAL_SAVES_RATIO): $(at_most "$r" "$GOAL_SAVES_RATIO")"
done
exit 0
