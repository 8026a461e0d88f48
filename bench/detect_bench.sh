#!/usr/bin/env bash
# The k0s functions and the trap run from `bash -c` and signals, not inline.
# shellcheck disable=SC2317
# detect_bench.sh: how much faster `iptmode detect` decides a node's iptables
# backend than k0s does, on a node the size of a large kube-proxy cluster.
#
# Why: k0s (pkg/component/iptables/iptables.go, DetectHostIPTablesMode) and
# the iptables-wrappers it copies decide by running iptables-save and
# ip6tables-save of each backend and scanning the text for kubelet's hint
# chains, so their cost grows with the whole ruleset. iptmode reads the
# kernel's tables directly instead of formatting them as text, so it should
# be orders of magnitude cheaper where the hint is in nf_tables, and still
# clearly ahead where it is in x_tables (where the kernel hands out each
# table as one blob that has to be read whole).
#
# It builds its own state in two throwaway network namespaces, so it never
# touches the host's rules: one with the ruleset in nf_tables, one in
# x_tables, each with KUBE-IPTABLES-HINT in mangle, as kubelet leaves it.
# Both methods are timed inside the namespace (one `ip netns exec` per
# series, not per run) so the cost of entering it is not in the numbers.
#
# It is a benchmark, not a test: missing a goal is reported, not fatal. It
# fails (exit 1) only when the two methods pick different modes, or the
# wrong one, or the setup could not be built; exit 2 means it could not run.
#
# Usage: bench/detect_bench.sh [--iptmode PATH] [--runs N]
set -euo pipefail
# EPOCHREALTIME uses the locale's decimal point; the arithmetic below wants '.'.
export LC_ALL=C

readonly CHAINS=1000 RULES_PER_CHAIN=100
readonly TOTAL_RULES=$((CHAINS * RULES_PER_CHAIN))
# The speed-ups this benchmark is meant to show (k0s median / iptmode median).
readonly GOAL_NFT=100 GOAL_LEGACY=5

usage() {
  cat <<EOF
Usage: $0 [--iptmode PATH] [--runs N]
  --iptmode PATH  iptmode binary to time (default: <repo>/build/iptmode)
  --runs N        timed runs per method and namespace (default: 20)
Must run as root: it creates network namespaces and loads iptables rules.
EOF
}

usage_error() {
  echo "detect_bench: $*" >&2
  usage >&2
  exit 2
}

fail() {
  echo "detect_bench: FAIL: $*" >&2
  exit 1
}

IPTMODE="$(dirname "$0")/../build/iptmode"
RUNS=20
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
  echo "detect_bench: must run as root (it creates network namespaces and loads iptables rules); try: sudo $0 $*" >&2
  exit 2
fi

[[ -x $IPTMODE && -f $IPTMODE ]] || fail "iptmode binary not found or not executable: $IPTMODE (build it first, or pass --iptmode)"
IPTMODE=$(readlink -f "$IPTMODE")
for tool in ip iptables iptables-nft-restore iptables-legacy-restore iptables-nft-save iptables-legacy-save \
  xtables-nft-multi xtables-legacy-multi awk sort; do
  command -v "$tool" >/dev/null || fail "required tool not found: $tool"
done

tmp=$(mktemp -d /tmp/iptmode-bench.XXXXXX)
NS_NFT="iptmode-bench-nft-$$"
NS_LEGACY="iptmode-bench-legacy-$$"
created_ns=()
cleanup() {
  local ns
  for ns in "${created_ns[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
# Turn signals into a normal exit so the EXIT trap removes the namespaces.
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# --- The k0s method, reproduced step for step -------------------------------
# These run inside the namespaces (exported to `bash -c`), so they stay plain.

# k0s's findMatchingEntries scans every line (it counts them all, even after
# a match) with strings.Contains; this awk is the same single streaming pass.
# shellcheck disable=SC2016  # awk program, expanded by awk
export K0S_SCAN='!f && (index($0, "KUBE-IPTABLES-HINT") || index($0, "KUBE-KUBELET-CANARY")) { f = 1 }
END { print f + 0, NR }'

# k0s_find MODE: prints "FOUND LINES" over iptables-save then ip6tables-save of
# xtables-MODE-multi; fails only when both saves fail, as k0s does.
k0s_find() {
  local bin="xtables-$1-multi" sub out found=0 lines=0 ok=0
  for sub in iptables-save ip6tables-save; do
    if out=$(set -o pipefail; "$bin" "$sub" 2>/dev/null | awk "$K0S_SCAN"); then ok=1; fi
    found=$((found | ${out% *}))
    lines=$((lines + ${out#* }))
  done
  ((ok)) || return 1
  echo "$found $lines"
}

# k0s_detect: DetectHostIPTablesMode. It stops at the first backend whose
# saves hold a hint, so in the nft namespace it never saves legacy, and in
# the legacy namespace it pays for the (empty) nft saves first.
k0s_detect() {
  local nft legacy nft_ok=1 legacy_ok=1 version
  if nft=$(k0s_find nft); then
    [[ ${nft% *} == 1 ]] && { echo nft; return 0; }
  else nft_ok=0; fi
  if legacy=$(k0s_find legacy); then
    [[ ${legacy% *} == 1 ]] && { echo legacy; return 0; }
  else legacy_ok=0; fi
  if ((nft_ok && legacy_ok && ${legacy#* } > ${nft#* })); then echo legacy; return 0; fi
  version=$(iptables --version 2>&1) || return 1
  if [[ $version == *nf_tables* ]]; then echo nft; else echo legacy; fi
}

# time_runs N CMD...: one untimed warm-up run (page cache, module loads), then
# N timed runs, printing each run's wall time in microseconds. EPOCHREALTIME
# rather than `date +%s%N`: forking date around a ~1 ms run would be timed too.
time_runs() {
  local n=$1 i t0 t1
  shift
  "$@" >/dev/null || return 1
  for ((i = 0; i < n; i++)); do
    t0=$EPOCHREALTIME
    "$@" >/dev/null || return 1
    t1=$EPOCHREALTIME
    echo $((${t1//[.,]/} - ${t0//[.,]/}))
  done
}
export -f k0s_find k0s_detect time_runs

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

# --- Setup ------------------------------------------------------------------

echo "== iptmode detect vs k0s DetectHostIPTablesMode"
echo "iptmode:  $IPTMODE ($("$IPTMODE" --version 2>/dev/null || echo 'version unknown'))"
echo "iptables: $(iptables --version)   kernel: $(uname -r)   cpus: $(nproc)"
echo "ruleset:  $CHAINS chains x $RULES_PER_CHAIN rules = $TOTAL_RULES rules in filter, KUBE-IPTABLES-HINT in mangle (IPv4)"
echo "runs:     $RUNS timed (+1 warm-up) per method and namespace"
echo

# kube-proxy-shaped: one chain per service, one rule per endpoint, each with a
# namespace/service comment. One COMMIT per table so each restore is a single
# transaction (nft) or a single blob replace (legacy): seconds, not minutes.
# The chain names are a bijective hash of the index, so they are unique.
rules="$tmp/rules.v4"
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
  print "*mangle"
  print ":PREROUTING ACCEPT [0:0]"
  print ":INPUT ACCEPT [0:0]"
  print ":FORWARD ACCEPT [0:0]"
  print ":OUTPUT ACCEPT [0:0]"
  print ":POSTROUTING ACCEPT [0:0]"
  print ":KUBE-IPTABLES-HINT - [0:0]"
  print "COMMIT"
}' >"$rules"

# save_counts NS SAVE: "RULES HINTS" as SAVE (an iptables-*-save) sees them in NS.
save_counts() {
  ip netns exec "$1" "$2" 2>/dev/null |
    awk '/^-A / { r++ } /^:KUBE-IPTABLES-HINT / { h++ } END { print r + 0, h + 0 }'
}

# setup_ns NS RESTORE SAVE OTHER_SAVE
setup_ns() {
  local ns=$1 restore=$2 save=$3 other=$4 t0 t1 counts
  ip netns add "$ns" || fail "cannot create network namespace $ns"
  created_ns+=("$ns")
  t0=$EPOCHREALTIME
  ip netns exec "$ns" "$restore" <"$rules" || fail "$restore failed in $ns"
  t1=$EPOCHREALTIME
  counts=$(save_counts "$ns" "$save")
  [[ $counts == "$TOTAL_RULES 1" ]] ||
    fail "$ns: $save shows '$counts' (rules hints), expected '$TOTAL_RULES 1'"
  # The other backend must be empty, or the namespace is not the case it claims to be.
  [[ $(save_counts "$ns" "$other") == "0 0" ]] || fail "$ns: $other is not empty"
  printf '%-28s loaded %d rules with %s in %.2f s (verified: %s rules, hint present; %s empty)\n' \
    "$ns" "$TOTAL_RULES" "$restore" "$(((${t1//./} - ${t0//./}) / 1000))e-3" "${counts% *}" "$other"
}

setup_ns "$NS_NFT" iptables-nft-restore iptables-nft-save iptables-legacy-save
setup_ns "$NS_LEGACY" iptables-legacy-restore iptables-legacy-save iptables-nft-save
echo

# --- Same answer? -------------------------------------------------------------

disagree=0
check_mode() {
  local ns=$1 expect=$2 json ipt k0s verdict=ok
  json=$(ip netns exec "$ns" "$IPTMODE" detect --json) || fail "iptmode detect --json failed in $ns"
  if command -v jq >/dev/null; then
    ipt=$(jq -r '.mode + " (rule " + .rule + ")"' <<<"$json")
  else
    ipt=$(sed -n 's/^  "mode": "\([^"]*\)".*/\1/p' <<<"$json")
    ipt+=" (rule $(sed -n 's/^  "rule": "\([^"]*\)".*/\1/p' <<<"$json"))"
  fi
  k0s=$(in_ns "$ns" k0s_detect) || fail "k0s steps failed in $ns"
  if [[ ${ipt%% *} != "$k0s" || $k0s != "$expect" ]]; then
    verdict="DISAGREE (expected $expect)"
    disagree=1
  fi
  printf 'mode in %-28s iptmode: %-22s k0s: %-7s %s\n' "$ns" "$ipt" "$k0s" "$verdict"
}
check_mode "$NS_NFT" nft
check_mode "$NS_LEGACY" legacy
echo

# --- Timing -----------------------------------------------------------------

# bench_ns LABEL NS: times both methods in NS, leaves the samples in $tmp/LABEL.*.us.
bench_ns() {
  local label=$1 ns=$2 t0 t1
  t0=$EPOCHREALTIME
  in_ns "$ns" "time_runs $RUNS $(printf '%q' "$IPTMODE") detect" >"$tmp/$label.iptmode.us" ||
    fail "iptmode detect failed in $ns"
  in_ns "$ns" "time_runs $RUNS k0s_detect" >"$tmp/$label.k0s.us" || fail "k0s steps failed in $ns"
  t1=$EPOCHREALTIME
  printf 'timed %-7s namespace: %d + %d runs in %.1f s\n' "$label" "$((RUNS + 1))" "$((RUNS + 1))" \
    "$(((${t1//./} - ${t0//./}) / 1000))e-3"
}
bench_ns nft "$NS_NFT"
bench_ns legacy "$NS_LEGACY"
echo

printf '%-10s %-8s %10s %10s %10s %10s\n' namespace method "median_ms" "mean_ms" "min_ms" "max_ms"
for label in nft legacy; do
  for method in iptmode k0s; do
    read -r med mean min max < <(stats "$tmp/$label.$method.us")
    printf '%-10s %-8s %10s %10s %10s %10s\n' "$label" "$method" "$med" "$mean" "$min" "$max"
  done
done
echo

# --- Summary ----------------------------------------------------------------

verdicts=()
printf '%-10s %-7s %-19s %-15s %-7s %s\n' namespace rules "iptmode_ms(median)" "k0s_ms(median)" ratio goal
for label in nft legacy; do
  goal=$GOAL_NFT
  [[ $label == legacy ]] && goal=$GOAL_LEGACY
  read -r ipt_med _ < <(stats "$tmp/$label.iptmode.us")
  read -r k0s_med _ < <(stats "$tmp/$label.k0s.us")
  read -r ratio verdict < <(awk -v a="$k0s_med" -v b="$ipt_med" -v g="$goal" 'BEGIN {
    r = (b > 0) ? a / b : 0
    fmt = (r < 10) ? "%.1fx %s\n" : "%.0fx %s\n"
    printf fmt, r, (r >= g) ? "PASS" : "MISS"
  }')
  printf '%-10s %-7s %-19s %-15s %-7s %s\n' "$label" "$TOTAL_RULES" "$ipt_med" "$k0s_med" "$ratio" ">=${goal}x"
  verdicts+=("$label: $ratio vs goal >=${goal}x: $verdict")
done
echo
printf '%s\n' "${verdicts[@]}"

if ((disagree)); then
  echo "FAIL: iptmode and the k0s steps did not both choose the expected mode (see above)" >&2
  exit 1
fi
exit 0
