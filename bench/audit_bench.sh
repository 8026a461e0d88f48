#!/usr/bin/env bash
# The functions run from `bash -c` in the namespace and the trap from signals.
# shellcheck disable=SC2317
# audit_bench.sh: what a full `iptmode audit` costs on a large mixed node,
# measured against the two saves an operator would otherwise run to look at
# the same state: iptables-nft-save plus iptables-legacy-save.
#
# Goal: "A host state of 100,000 rules and 2,000 processes (the benchmark
# makes them) is audited in at most half the time of iptables-nft-save plus
# iptables-legacy-save on the same state, measured in the same run."
#
# The state, built here and torn down by the trap:
#   rules      a throwaway network namespace with 100,000 rules in nf_tables
#              (one iptables-nft-restore) AND 100,000 in x_tables (one
#              iptables-legacy-restore), both kube-proxy-shaped (1,000
#              KUBE-SVC-* chains x 100 rules in filter), plus
#              KUBE-IPTABLES-HINT in nft mangle, as kubelet leaves it. The
#              audit always counts both backends, so it pays for all of it.
#   processes  2,000 background processes in one process group (one setsid
#              helper, killed as a group): 10 are copies of sleep named like
#              the components the audit looks for (kubelet, kube-proxy,
#              kube-router, calico-node), the rest plain `sleep`, so the
#              audit's /proc scan has real work. They run in the host's pid
#              namespace, which is the one `ip netns exec` keeps.
# Both methods are timed inside the namespace (one `ip netns exec` per
# series, not per run) so the cost of entering it is not in the numbers.
#
# It is a benchmark, not a test: missing the goal is reported, not fatal. It
# fails (exit 1) when the setup could not be built, or the audit did not see
# the state (iptables_rules of a backend != 100,000, components missing);
# exit 2 means it could not run.
#
# Usage: bench/audit_bench.sh [--iptmode PATH] [--runs N]
set -euo pipefail
# EPOCHREALTIME uses the locale's decimal point; the arithmetic below wants '.'.
export LC_ALL=C

readonly CHAINS=1000 RULES_PER_CHAIN=100
readonly TOTAL_RULES=$((CHAINS * RULES_PER_CHAIN))
readonly PROCESSES=2000
# Named like the components the audit scans for: 10 processes, 4 names.
readonly COMPONENT_PROCS=(kubelet kube-proxy kube-proxy kube-proxy kube-router kube-router
  kube-router calico-node calico-node calico-node)
# The goal: audit median / (nft-save + legacy-save) median at most this.
readonly GOAL_RATIO=0.5

usage() {
  cat <<EOF
Usage: $0 [--iptmode PATH] [--runs N]
  --iptmode PATH  iptmode binary to time (default: <repo>/build/iptmode)
  --runs N        timed runs per method (default: 10)
Must run as root: it creates a network namespace, loads iptables rules and
starts $PROCESSES processes.
EOF
}

usage_error() {
  echo "audit_bench: $*" >&2
  usage >&2
  exit 2
}

fail() {
  echo "audit_bench: FAIL: $*" >&2
  exit 1
}

ARGS="$*"
IPTMODE="$(dirname "$0")/../build/iptmode"
RUNS=10
while (($#)); do
  case $1 in
    --iptmode) (($# >= 2)) || usage_error "--iptmode needs a path"; IPTMODE=$2; shift 2 ;;
    --iptmode=*) IPTMODE=${1#*=}; shift ;;
    --runs) (($# >= 2)) || usage_error "--runs needs a number"; RUNS=$2; shift 2 ;;
    --runs=*) RUNS=${1#*=}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage_error "unknown argument: $1" ;;
  esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || usage_error "--runs must be a positive integer, got '$RUNS'"

if ((EUID != 0)); then
  echo "audit_bench: must run as root (it creates a network namespace, loads iptables rules and starts processes); try: sudo $0 $ARGS" >&2
  exit 2
fi

[[ -x $IPTMODE && -f $IPTMODE ]] || fail "iptmode binary not found or not executable: $IPTMODE (build it first, or pass --iptmode)"
IPTMODE=$(readlink -f "$IPTMODE")
for tool in ip iptables iptables-nft-restore iptables-legacy-restore iptables-nft-save \
  iptables-legacy-save setsid sleep python3 awk sort; do
  command -v "$tool" >/dev/null || fail "required tool not found: $tool"
done

tmp=$(mktemp -d /tmp/iptmode-abench.XXXXXX)
NS="iptmode-abench-$$"
created_ns=()
helper_pgid=""
cleanup() {
  local ns i
  # Interrupted before the helper's pid was read: it may be written by now.
  [[ -z $helper_pgid && -s $tmp/helper.pid ]] && helper_pgid=$(<"$tmp/helper.pid")
  if [[ -n $helper_pgid ]]; then
    # The whole group at once (the helper reaps its children, see there),
    # then wait until it is gone; KILL whatever is left after 5 s.
    kill -TERM -- "-$helper_pgid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      kill -0 -- "-$helper_pgid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL -- "-$helper_pgid" 2>/dev/null || true
  fi
  for ns in "${created_ns[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
# Turn signals into a normal exit so the EXIT trap cleans up.
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# --- Timing helpers (run inside the namespace, exported to `bash -c`) --------

# time_runs N CMD...: one untimed warm-up run (page cache, module loads), then
# N timed runs, printing each run's wall time in microseconds. CMD may exit 0
# or 1 (the audit's "findings"); anything else is a failure.
time_runs() {
  local n=$1 i t0 t1 rc
  shift
  rc=0; "$@" >/dev/null || rc=$?
  ((rc <= 1)) || { echo "exit $rc" >&2; return 1; }
  for ((i = 0; i < n; i++)); do
    t0=$EPOCHREALTIME
    rc=0; "$@" >/dev/null || rc=$?
    t1=$EPOCHREALTIME
    ((rc <= 1)) || { echo "exit $rc" >&2; return 1; }
    echo $((${t1//[.,]/} - ${t0//[.,]/}))
  done
}

# audit_once: the command being measured.
audit_once() { "$IPTMODE" audit --json; }

# saves_once: what the goal compares against; both must succeed. stderr
# goes too: iptables-nft-save warns there that legacy tables exist.
saves_once() {
  iptables-nft-save >/dev/null 2>&1 || return 2
  iptables-legacy-save >/dev/null 2>&1 || return 2
}
export IPTMODE
export -f time_runs audit_once saves_once

# in_ns NS CMD...: run a shell command line with the functions above in NS.
in_ns() {
  local ns=$1
  shift
  ip netns exec "$ns" bash -c "$*"
}

# stats FILE: "median mean min max" in milliseconds of a file of microseconds.
stats() {
  sort -n "$1" | awk '{ v[NR] = $1; s += $1 }
    END {
      if (NR == 0) { print "nan nan nan nan"; exit }
      med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf "%.2f %.2f %.2f %.2f\n", med / 1000, s / NR / 1000, v[1] / 1000, v[NR] / 1000
    }'
}

# secs_since T0: the time since an $EPOCHREALTIME value, as "N.NN s".
secs_since() {
  local t1=$EPOCHREALTIME
  printf '%.2f s' "$(((${t1//./} - ${1//./}) / 1000))e-3"
}

echo "== iptmode audit vs iptables-nft-save + iptables-legacy-save"
echo "iptmode:   $IPTMODE ($("$IPTMODE" --version 2>/dev/null || echo 'version unknown'))"
echo "iptables:  $(iptables --version)   kernel: $(uname -r)   cpus: $(nproc)"
echo "ruleset:   $CHAINS chains x $RULES_PER_CHAIN rules = $TOTAL_RULES rules in filter, in nf_tables AND in x_tables; KUBE-IPTABLES-HINT in nft mangle (IPv4)"
echo "processes: $PROCESSES in one process group (${#COMPONENT_PROCS[@]} named like components)"
echo "runs:      $RUNS timed (+1 warm-up) per method"
echo

# --- Rules ------------------------------------------------------------------

# kube-proxy-shaped: one chain per service, one rule per endpoint, each with a
# namespace/service comment. One COMMIT per table so each restore is a single
# transaction (nft) or a single blob replace (legacy). The chain names are a
# bijective hash of the index, so they are unique.
gen_filter() {
  awk -v chains="$CHAINS" -v per="$RULES_PER_CHAIN" 'BEGIN {
    print "*filter"
    print ":INPUT ACCEPT [0:0]"
    print ":FORWARD ACCEPT [0:0]"
    print ":OUTPUT ACCEPT [0:0]"
    for (c = 0; c < chains; c++) {
      name[c] = sprintf("KUBE-SVC-%08X%08X", (c * 2654435761 + 40503) % 4294967296,
                        (c * 2246822519 + 374761393) % 4294967296)
      print ":" name[c] " - [0:0]"
    }
    for (c = 0; c < chains; c++)
      for (r = 0; r < per; r++) {
        i = c * per + r
        printf "-A %s -s 10.%d.%d.%d/32 -m comment --comment \"bench-ns-%d/svc-%d:http\" -j ACCEPT\n",
               name[c], int(i / 65536), int(i / 256) % 256, i % 256, c % 50, c
      }
    print "COMMIT"
  }'
}
gen_filter >"$tmp/rules.legacy"
{
  cat "$tmp/rules.legacy"
  printf '%s\n' '*mangle' ':PREROUTING ACCEPT [0:0]' ':INPUT ACCEPT [0:0]' ':FORWARD ACCEPT [0:0]' \
    ':OUTPUT ACCEPT [0:0]' ':POSTROUTING ACCEPT [0:0]' ':KUBE-IPTABLES-HINT - [0:0]' 'COMMIT'
} >"$tmp/rules.nft"

# save_counts SAVE: "RULES HINTS" as SAVE (an iptables-*-save) sees them in NS.
save_counts() {
  ip netns exec "$NS" "$1" 2>/dev/null |
    awk '/^-A / { r++ } /^:KUBE-IPTABLES-HINT / { h++ } END { print r + 0, h + 0 }'
}

ip netns add "$NS" || fail "cannot create network namespace $NS"
created_ns+=("$NS")
# load RESTORE SAVE FILE EXPECT: one restore, then check what SAVE shows.
load() {
  local restore=$1 save=$2 file=$3 expect=$4 t0 counts
  t0=$EPOCHREALTIME
  ip netns exec "$NS" "$restore" <"$file" || fail "$restore failed in $NS"
  local took
  took=$(secs_since "$t0")
  counts=$(save_counts "$save")
  [[ $counts == "$expect" ]] || fail "$NS: $save shows '$counts' (rules hints), expected '$expect'"
  printf '%-24s loaded with %-24s in %s (verified by %s: %s rules, %s KUBE-IPTABLES-HINT)\n' \
    "$NS" "$restore" "$took" "$save" "${counts% *}" "${counts#* }"
}
load iptables-nft-restore iptables-nft-save "$tmp/rules.nft" "$TOTAL_RULES 1"
load iptables-legacy-restore iptables-legacy-save "$tmp/rules.legacy" "$TOTAL_RULES 0"

# --- Processes --------------------------------------------------------------

# One helper in its own session (so its pid is the process group id) starts
# them all, reports ready, and waits; the trap kills the group. The component
# copies live in $tmp/bin, so comm, exe and argv[0] all carry the name.
mkdir "$tmp/bin"
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
# shellcheck disable=SC2010  # counting /proc entries, names are pids
proc_count=$(ls /proc | grep -c '^[0-9]')
group_count=$(ps -o pid= -g "$helper_pgid" | wc -l)
((group_count >= PROCESSES)) ||
  fail "process group $helper_pgid holds $group_count processes, expected >= $PROCESSES"
((proc_count >= PROCESSES)) || fail "/proc shows $proc_count processes, expected >= $PROCESSES"
printf 'started %d processes (group %d, %d with the helper) in %s; /proc now shows %d\n' \
  "$PROCESSES" "$helper_pgid" "$group_count" "$(secs_since "$t0")" "$proc_count"
echo

# --- Did the audit see the state? --------------------------------------------

rc=0
ip netns exec "$NS" "$IPTMODE" audit --json >"$tmp/audit.json" 2>"$tmp/audit.err" || rc=$?
((rc <= 1)) || fail "iptmode audit --json exited $rc in $NS: $(head -c 500 "$tmp/audit.err")"
# Prints: nft_rules legacy_rules mode components our_pids_found names
seen=$(python3 - "$tmp/audit.json" "$helper_pgid" <<'EOF'
import json, os, sys
a = json.load(open(sys.argv[1]))
group = int(sys.argv[2])
def pgid(p):
    try:
        return os.getpgid(p)
    except OSError:
        return -1
comps = a["components"]
ours = sum(1 for c in comps for p in c["pids"] if pgid(p) == group)
names = ",".join(sorted({c["name"] for c in comps})) or "-"
k = a["kernel"]
print(k["nft"]["iptables_rules"], k["legacy"]["iptables_rules"], a["mode"], len(comps), ours, names,
      len(a["findings"]))
EOF
) || fail "cannot read the audit's JSON: $(head -c 200 "$tmp/audit.json")"
read -r nft_rules legacy_rules mode n_comps ours names n_findings <<<"$seen"
printf 'audit (exit %d): mode %s; iptables_rules nft %s, legacy %s; %d components (%s), %d of our %d named pids found; %d findings\n' \
  "$rc" "$mode" "$nft_rules" "$legacy_rules" "$n_comps" "$names" "$ours" "${#COMPONENT_PROCS[@]}" "$n_findings"
seen_ok=1
[[ $nft_rules == "$TOTAL_RULES" ]] || { echo "audit_bench: nft iptables_rules is $nft_rules, expected $TOTAL_RULES" >&2; seen_ok=0; }
[[ $legacy_rules == "$TOTAL_RULES" ]] || { echo "audit_bench: legacy iptables_rules is $legacy_rules, expected $TOTAL_RULES" >&2; seen_ok=0; }
((ours == ${#COMPONENT_PROCS[@]})) || { echo "audit_bench: the audit found $ours of our ${#COMPONENT_PROCS[@]} component processes" >&2; seen_ok=0; }
echo

# --- Timing -----------------------------------------------------------------

t0=$EPOCHREALTIME
in_ns "$NS" "time_runs $RUNS audit_once" >"$tmp/audit.us" || fail "iptmode audit failed in $NS"
in_ns "$NS" "time_runs $RUNS saves_once" >"$tmp/saves.us" || fail "the saves failed in $NS"
printf 'timed %d + %d runs in %s\n\n' "$((RUNS + 1))" "$((RUNS + 1))" "$(secs_since "$t0")"

# The processes must still be there, or the audit ran on less than it claims.
# shellcheck disable=SC2010
proc_after=$(ls /proc | grep -c '^[0-9]')
((proc_after >= PROCESSES)) || fail "only $proc_after processes left after timing, expected >= $PROCESSES"

printf '%-42s %10s %10s %10s %10s\n' method "median_ms" "mean_ms" "min_ms" "max_ms"
for m in audit saves; do
  label="iptmode audit --json"
  [[ $m == saves ]] && label="iptables-nft-save + iptables-legacy-save"
  read -r med mean min max < <(stats "$tmp/$m.us")
  printf '%-42s %10s %10s %10s %10s\n' "$label" "$med" "$mean" "$min" "$max"
done
echo

# --- Summary ----------------------------------------------------------------

read -r audit_med audit_mean _ < <(stats "$tmp/audit.us")
read -r saves_med saves_mean _ < <(stats "$tmp/saves.us")
printf '%-8s %-9s %-18s %-18s %-7s %-7s %s\n' rules processes "audit_ms(median)" "saves_ms(median)" ratio goal verdict
read -r ratio verdict < <(awk -v a="$audit_med" -v b="$saves_med" -v g="$GOAL_RATIO" 'BEGIN {
  r = (b > 0) ? a / b : 99
  printf "%.2f %s\n", r, (r <= g) ? "PASS" : "MISS"
}')
read -r ratio_mean < <(awk -v a="$audit_mean" -v b="$saves_mean" 'BEGIN { printf "%.2f\n", (b > 0) ? a / b : 99 }')
printf '%-8s %-9s %-18s %-18s %-7s %-7s %s\n' "2x$TOTAL_RULES" "$proc_count" "$audit_med" "$saves_med" \
  "$ratio" "<=$GOAL_RATIO" "$verdict"
echo
echo "audit / saves: median $ratio (mean $ratio_mean) vs goal <=$GOAL_RATIO: $verdict"

if ((!seen_ok)); then
  echo "FAIL: the audit did not see the state the benchmark built (see above)" >&2
  exit 1
fi
exit 0
