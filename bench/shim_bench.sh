#!/usr/bin/env bash
# The functions run from `bash -c` in the namespace and the trap from signals.
# shellcheck disable=SC2317
# shim_bench.sh: what iptmode-shim costs on each iptables call, measured
# against running xtables-nft-multi directly and against the cheapest
# possible wrapper.
#
# Why: once installed, the shim sits in front of every iptables,
# iptables-save and iptables-restore call kubelet, kube-proxy and the CNI
# make. Any wrapper costs at least one more exec of a small static binary;
# the shim should cost little more than that (it reads two small files and
# stats the backend before it execs it), and nothing that shows next to the
# real work of a large iptables-restore.
#
# Three setups, all measured in the same run:
#   direct  a dir where iptables -> xtables-nft-multi (what k0s links)
#   floor   a dir where iptables is a static C program that only does
#           execv("<bin>/xtables-nft-multi", argv): the cost of any wrapper
#   shim    `iptmode shim install` into a bin dir with copies of both xtables
#           multis in it, as k0s stages them, then one warm-up call so the
#           state file and its version cache exist
# The direct dir hard-links the bin dir's xtables-nft-multi, so all three run
# the very same file. Everything is timed inside a throwaway network
# namespace (one `ip netns exec` per series, not per call), so restores never
# touch the host's rules and entering the namespace is not in the numbers.
#
# It is a benchmark, not a test: missing a goal is reported, not fatal. It
# fails (exit 1) when the setup could not be built or the shim did not run
# the nft backend; exit 2 means it could not run.
#
# Goals: the shim's overhead over direct at most 1.2x the floor's (per
# `iptables -V` call, 1,000 calls through each setup), and a 10,000-rule
# iptables-restore through the shim within 1% of a direct one (medians).
#
# Usage: bench/shim_bench.sh [--iptmode PATH] [--shim PATH] [--runs N]
set -euo pipefail
BENCH=shim_bench

# `iptables -V` calls: ROUNDS rounds of CALLS_PER_ROUND through each setup,
# the three setups interleaved within each round to spread noise over them.
# Short rounds (tens of ms for the three) so that the setups of one round see
# the same machine: the overheads are taken per round (paired) and that
# cancels load that comes and goes, such as a build on the other cores.
readonly ROUNDS=${SHIM_BENCH_ROUNDS:-100} CALLS_PER_ROUND=${SHIM_BENCH_CALLS:-10}
readonly CHAINS=100 RULES_PER_CHAIN=100
readonly TOTAL_RULES=$((CHAINS * RULES_PER_CHAIN))
# Goals: the shim's overhead over direct at most GOAL_RATIO times the floor's;
# a restore through the shim within GOAL_RESTORE_PCT % of a direct one.
readonly GOAL_RATIO=1.2 GOAL_RESTORE_PCT=1

usage() {
  cat <<EOF
Usage: $0 [--iptmode PATH] [--shim PATH] [--runs N]
  --iptmode PATH  iptmode binary that installs the shim and is its detector
                  (default: <repo>/build/iptmode)
  --shim PATH     iptmode-shim binary to install (default: beside --iptmode)
  --runs N        timed iptables-restore runs per setup (default: 10)
Must run as root: it creates a network namespace and loads iptables rules.
The iptables -V series is $ROUNDS rounds x $CALLS_PER_ROUND calls per setup; the environment
variables SHIM_BENCH_ROUNDS and SHIM_BENCH_CALLS change it.
EOF
}

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

SHIM=""
RUNS=10
while (($#)); do
  common_arg "$@"
  if ((SHIFT_BY)); then shift "$SHIFT_BY"; continue; fi
  case $1 in
    --shim) (($# >= 2)) || usage_error "--shim needs a path"; SHIM=$2; shift 2 ;;
    --shim=*) SHIM=${1#*=}; shift ;;
    *) usage_error "unknown argument: $1" ;;
  esac
done
[[ $ROUNDS =~ ^[1-9][0-9]*$ && $CALLS_PER_ROUND =~ ^[1-9][0-9]*$ ]] ||
  usage_error "SHIM_BENCH_ROUNDS and SHIM_BENCH_CALLS must be positive integers"
readonly TOTAL_CALLS=$((ROUNDS * CALLS_PER_ROUND))

check_common "it creates a network namespace and loads iptables rules"
[[ -n $SHIM ]] || SHIM="$(dirname "$IPTMODE")/iptmode-shim"
[[ -x $SHIM && -f $SHIM ]] || fail "iptmode-shim binary not found or not executable: $SHIM (build it first, or pass --shim)"
SHIM=$(readlink -f "$SHIM")
require_tools ip gcc awk sort iptables-nft-save iptables-legacy-save
NFT_MULTI=$(command -v xtables-nft-multi) || fail "required tool not found: xtables-nft-multi"
LEGACY_MULTI=$(command -v xtables-legacy-multi) || fail "required tool not found: xtables-legacy-multi"

bench_start iptmode-shim-bench
NS="iptmode-shim-bench-$$"

# --- Timing helpers, run inside the namespace (exported to `bash -c`) --------

# time_calls N CMD...: prints the wall time in microseconds of N runs of CMD.
# EPOCHREALTIME rather than `date +%s%N`: forking date would be timed too.
time_calls() {
  local n=$1 i t0 t1
  shift
  t0=$EPOCHREALTIME
  for ((i = 0; i < n; i++)); do "$@" >/dev/null || return 1; done
  t1=$EPOCHREALTIME
  echo $((${t1//[.,]/} - ${t0//[.,]/}))
}

# version_rounds ROUNDS CALLS direct=CMD floor=CMD shim=CMD: a few untimed
# warm-up calls of each, then per round "LABEL ROUND US" for CALLS calls of
# `CMD -V` through each setup. The order rotates every round so no setup
# always runs first (after the shell's own work) or last.
version_rounds() {
  local rounds=$1 calls=$2 r k i n label us
  shift 2
  local labels=() cmds=()
  for i in "$@"; do labels+=("${i%%=*}"); cmds+=("${i#*=}"); done
  n=${#labels[@]}
  for ((i = 0; i < n; i++)); do time_calls 20 "${cmds[i]}" -V >/dev/null || return 1; done
  for ((r = 0; r < rounds; r++)); do
    for ((k = 0; k < n; k++)); do
      i=$(((r + k) % n))
      label=${labels[i]}
      us=$(time_calls "$calls" "${cmds[i]}" -V) || { echo "$label -V failed" >&2; return 1; }
      echo "$label $r $us"
    done
  done
}

# restore_runs RUNS RULES FLUSH direct=CMD shim=CMD: one untimed warm-up
# restore each, then RUNS timed restores of RULES through each, every one
# after FLUSH -F and -X (untimed) so each starts from the same empty table.
# Prints "LABEL RUN US"; the order alternates every run.
restore_runs() {
  local runs=$1 rules=$2 flush=$3 r k i n label t0 t1
  shift 3
  local labels=() cmds=()
  for i in "$@"; do labels+=("${i%%=*}"); cmds+=("${i#*=}"); done
  n=${#labels[@]}
  for ((r = -1; r < runs; r++)); do
    for ((k = 0; k < n; k++)); do
      i=$((((r < 0 ? 0 : r) + k) % n))
      label=${labels[i]}
      { "$flush" -F && "$flush" -X; } || { echo "flush failed" >&2; return 1; }
      # nf_tables frees the flushed rules after the commit, in a worker:
      # let that finish before the clock starts, not during the restore.
      sleep 0.2
      t0=$EPOCHREALTIME
      "${cmds[i]}" <"$rules" || { echo "$label restore failed" >&2; return 1; }
      t1=$EPOCHREALTIME
      ((r < 0)) || echo "$label $r $((${t1//[.,]/} - ${t0//[.,]/}))"
    done
  done
}
export -f time_calls version_rounds restore_runs


# label_stats FILE LABEL DIV: "median mean min max" of the LABEL rows of a
# "LABEL N VALUE" file, each VALUE divided by DIV first.
label_stats() {
  awk -v l="$2" '$1 == l { print $3 }' "$1" | sort -n | awk -v d="$3" '{ v[NR] = $1 / d; s += $1 / d }
    END {
      if (NR == 0) { print "nan nan nan nan"; exit }
      med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf "%.1f %.1f %.1f %.1f\n", med, s / NR, v[1], v[NR]
    }'
}

# paired FILE A B DIV: "MEDIAN LO HI CONF" of (A - B) / DIV over the rounds
# (or runs) of a "LABEL N VALUE" file. A round's A and B ran back to back, so
# slow drift of the machine cancels out. LO..HI is a distribution-free
# confidence interval for that median (order statistics of the binomial),
# CONF its coverage in %: the widest k with P(X(k) < median < X(n+1-k)) >= 95%.
paired() {
  awk -v a="$2" -v b="$3" '$1 == a { x[$2] = $3 } $1 == b { y[$2] = $3 }
    END { for (r in x) if (r in y) print x[r] - y[r] }' "$1" | sort -n |
    awk -v d="$4" '{ v[NR] = $1 / d } END {
      n = NR
      if (n == 0) { print "nan nan nan 0"; exit }
      med = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
      k = 1; conf = 1 - 2 * exp(n * log(0.5)); term = exp(n * log(0.5)); cum = term
      for (j = 1; j < n / 2; j++) {
        term = term * (n - j + 1) / j; cum += term
        if (1 - 2 * cum < 0.95) break
        k = j + 1; conf = 1 - 2 * cum
      }
      printf "%.1f %.1f %.1f %.0f\n", med, v[k], v[n + 1 - k], conf * 100 }'
}

# --- Setup ------------------------------------------------------------------

echo "== iptmode-shim overhead per iptables call"
echo "iptmode:  $IPTMODE ($("$IPTMODE" --version 2>/dev/null || echo 'version unknown'))"
echo "shim:     $SHIM ($(stat -c %s "$SHIM") bytes, $("$SHIM" --version 2>/dev/null || echo 'version unknown'))"
echo "iptables: $("$NFT_MULTI" iptables -V)   kernel: $(uname -r)   cpus: $(nproc)"
echo "calls:    iptables -V: $ROUNDS rounds x $CALLS_PER_ROUND calls per setup, interleaved (+20 warm-up each)"
echo "restore:  $CHAINS chains x $RULES_PER_CHAIN rules = $TOTAL_RULES rules in filter, $RUNS timed runs (+1 warm-up) per setup"
echo

bin="$tmp/bin" direct="$tmp/direct" floor="$tmp/floor"
mkdir -m 0755 "$bin" "$direct" "$floor"
chmod 0755 "$tmp"
# The bin dir as k0s stages it: its own copies of both multis.
cp "$(readlink -f "$NFT_MULTI")" "$bin/xtables-nft-multi"
cp "$(readlink -f "$LEGACY_MULTI")" "$bin/xtables-legacy-multi"
chmod 0755 "$bin/xtables-nft-multi" "$bin/xtables-legacy-multi"

# (a) direct: the names k0s links, to the bin dir's very file (a hard link).
ln "$bin/xtables-nft-multi" "$direct/xtables-nft-multi" 2>/dev/null ||
  cp "$bin/xtables-nft-multi" "$direct/xtables-nft-multi"
for name in iptables iptables-save iptables-restore; do ln -s xtables-nft-multi "$direct/$name"; done

# (b) floor: the least any wrapper can do, one static exec.
cat >"$tmp/floor.c" <<'EOF'
/* The floor: a wrapper that does nothing but exec the backend, argv as is. */
#include <unistd.h>

int main(int argc, char **argv) {
  (void)argc;
  execv(BACKEND, argv);
  static const char msg[] = "floor: execv " BACKEND " failed\n";
  (void)!write(2, msg, sizeof msg - 1);
  return 127;
}
EOF
gcc -static -O2 -DBACKEND="\"$bin/xtables-nft-multi\"" -o "$floor/iptables" "$tmp/floor.c" ||
  fail "cannot build the floor program (gcc -static needs the static libc, e.g. libc6-dev)"

# (c) shim, installed as `iptmode shim install` does it.
"$IPTMODE" shim install --bin-dir "$bin" --shim "$SHIM" >"$tmp/install.log" 2>&1 ||
  fail "iptmode shim install failed: $(cat "$tmp/install.log")"
[[ $(readlink "$bin/iptables") == iptmode-shim ]] || fail "$bin/iptables is not a link to the shim after install"

netns_add "$NS"

# The warm-up call: it runs the detector (in the namespace, as kubelet's first
# call would) and records the state and the backend's version cache.
shim_v=$(ip netns exec "$NS" "$bin/iptables" -V 2>"$tmp/warmup.err") ||
  fail "the shim's first call failed: $(cat "$tmp/warmup.err")"
[[ -s $tmp/warmup.err ]] && echo "shim warm-up said: $(cat "$tmp/warmup.err")"
[[ -f $bin/iptmode-shim.state ]] || fail "the shim's first call left no $bin/iptmode-shim.state"
state_mode=$(awk '$1 == "mode" { print $2 }' "$bin/iptmode-shim.state")
grep -q '^cache nft ' "$bin/iptmode-shim.state" || fail "no version cache for nft in $bin/iptmode-shim.state after the warm-up"
printf '%-7s %-40s %s\n' direct "$direct/iptables" "-> xtables-nft-multi (hard link of the bin dir's copy)"
printf '%-7s %-40s %s\n' floor "$floor/iptables" "static C, $(stat -c %s "$floor/iptables") bytes, execv($bin/xtables-nft-multi)"
printf '%-7s %-40s %s\n' shim "$bin/iptables" "-> iptmode-shim; state: mode $state_mode, rule $(awk '$1 == "rule" { print $2 }' "$bin/iptmode-shim.state"); -V says: $shim_v"
[[ $state_mode == nft ]] || fail "the shim recorded mode '$state_mode', this benchmark needs nft"
echo

# kube-proxy-shaped: one chain per service, one rule per endpoint, each with a
# namespace/service comment; one COMMIT, so each restore is one transaction.
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
      printf "-A %s -s 10.%d.%d.%d/32 -p tcp -m comment --comment \"bench-ns-%d/svc-%d:http\" -j ACCEPT\n",
             name[c], 16 + int(i / 65536), int(i / 256) % 256, i % 256, c % 50, c
    }
  print "COMMIT"
}' >"$rules"

# --- iptables -V --------------------------------------------------------------

t0=$EPOCHREALTIME
in_ns "$NS" "version_rounds $ROUNDS $CALLS_PER_ROUND $(printf '%q ' "direct=$direct/iptables" \
  "floor=$floor/iptables" "shim=$bin/iptables")" >"$tmp/version.us" || fail "iptables -V series failed"
t1=$EPOCHREALTIME
printf 'timed iptables -V: 3 x %d calls in %.1f s\n\n' "$TOTAL_CALLS" "$(((${t1//./} - ${t0//./}) / 1000))e-3"

printf '%-7s %12s %12s %12s %12s\n' setup "median_us" "mean_us" "min_us" "max_us"
for label in direct floor shim; do
  read -r med mean min max < <(label_stats "$tmp/version.us" "$label" "$CALLS_PER_ROUND")
  printf '%-7s %12s %12s %12s %12s\n' "$label" "$med" "$mean" "$min" "$max"
  declare "med_$label=$med" "mean_$label=$mean"
done
echo "(per call: each round's $CALLS_PER_ROUND-call time / $CALLS_PER_ROUND; median, mean, min, max over $ROUNDS rounds)"
echo

# Overheads over direct, three ways. The goal uses the paired one: the median
# over rounds of (setup - direct) within the same round.
read -r floor_paired floor_lo floor_hi _ < <(paired "$tmp/version.us" floor direct "$CALLS_PER_ROUND")
read -r shim_paired shim_lo shim_hi _ < <(paired "$tmp/version.us" shim direct "$CALLS_PER_ROUND")
read -r extra_paired extra_lo extra_hi conf < <(paired "$tmp/version.us" shim floor "$CALLS_PER_ROUND")
# shellcheck disable=SC2154  # med_* and mean_* come from declare above
read -r ov_floor_med ov_shim_med ov_floor_mean ov_shim_mean < <(awk -v d="$med_direct" -v f="$med_floor" \
  -v s="$med_shim" -v dm="$mean_direct" -v fm="$mean_floor" -v sm="$mean_shim" \
  'BEGIN { printf "%.1f %.1f %.1f %.1f\n", f - d, s - d, fm - dm, sm - dm }')
ratio_of() {
  awk -v s="$1" -v f="$2" 'BEGIN { if (f > 0) printf "%.2f\n", s / f; else print "nan" }'
}
ratio=$(ratio_of "$shim_paired" "$floor_paired")
printf '%-16s %10s %20s %14s %14s\n' "per call" "paired_us" "paired_${conf}%_ci_us" "by_medians_us" "by_means_us"
printf '%-16s %10s %20s %14s %14s\n' "floor - direct" "$floor_paired" "$floor_lo .. $floor_hi" "$ov_floor_med" "$ov_floor_mean"
printf '%-16s %10s %20s %14s %14s\n' "shim - direct" "$shim_paired" "$shim_lo .. $shim_hi" "$ov_shim_med" "$ov_shim_mean"
printf '%-16s %10s %20s %14s %14s\n' "shim - floor" "$extra_paired" "$extra_lo .. $extra_hi" \
  "$(awk -v a="$ov_shim_med" -v b="$ov_floor_med" 'BEGIN { printf "%.1f\n", a - b }')" \
  "$(awk -v a="$ov_shim_mean" -v b="$ov_floor_mean" 'BEGIN { printf "%.1f\n", a - b }')"
printf '%-16s %10s %20s %14s %14s\n' "ratio shim/floor" "$ratio" "" "$(ratio_of "$ov_shim_med" "$ov_floor_med")" \
  "$(ratio_of "$ov_shim_mean" "$ov_floor_mean")"
echo "(paired: median over the $ROUNDS rounds of the difference within each round; the goal uses it)"
echo

# --- iptables-restore ---------------------------------------------------------

t0=$EPOCHREALTIME
in_ns "$NS" "restore_runs $RUNS $(printf '%q ' "$rules" "$direct/iptables" \
  "direct=$direct/iptables-restore" "shim=$bin/iptables-restore")" >"$tmp/restore.us" ||
  fail "iptables-restore series failed"
t1=$EPOCHREALTIME
printf 'timed iptables-restore: 2 x %d runs (+1 warm-up each) in %.1f s\n\n' "$RUNS" \
  "$(((${t1//./} - ${t0//./}) / 1000))e-3"

printf '%-7s %12s %12s %12s %12s\n' setup "median_ms" "mean_ms" "min_ms" "max_ms"
for label in direct shim; do
  read -r med mean min max < <(label_stats "$tmp/restore.us" "$label" 1000)
  printf '%-7s %12s %12s %12s %12s\n' "$label" "$med" "$mean" "$min" "$max"
  declare "rmed_$label=$med"
done
# The goal compares the two medians. Unlike the -V rounds, each restore's
# noise is its own (kernel allocations, not load shared by neighbours), so
# pairing runs does not narrow it; the paired median and its CI are printed
# to say whether N runs can resolve the goal at all on this machine. The
# shim's fixed cost per call, measured above, says what to expect.
read -r restore_paired restore_lo restore_hi restore_conf < <(paired "$tmp/restore.us" shim direct 1000)
# shellcheck disable=SC2154  # rmed_* come from declare above
read -r restore_pct paired_pct restore_ci_pct expect_pct restore_verdict < <(awk -v p="$restore_paired" \
  -v lo="$restore_lo" -v hi="$restore_hi" -v s="$rmed_shim" -v d="$rmed_direct" -v o="$shim_paired" \
  -v g="$GOAL_RESTORE_PCT" 'BEGIN {
    if (d <= 0) { print "nan nan nan nan MISS"; exit }
    mp = (s - d) / d * 100
    printf "%+.2f%% %+.2f%% %+.1f%%..%+.1f%% %+.2f%% %s\n", mp, p / d * 100, lo / d * 100, hi / d * 100,
      o / 1000 / d * 100, ((mp < 0 ? -mp : mp) < g) ? "PASS" : "MISS" }')
echo "shim - direct, by medians: $restore_pct of direct (the goal)"
echo "shim - direct, paired:     median $restore_paired ms = $paired_pct (${restore_conf}% CI $restore_lo .. $restore_hi ms = $restore_ci_pct)"
echo "expected from the shim's per-call overhead above ($shim_paired us, paid once before the exec): $expect_pct"
# When the run-to-run noise is wider than the goal, N runs cannot tell; say so,
# and how many runs would narrow the CI to the goal (it shrinks as 1/sqrt(N)).
restore_note=$(awk -v lo="$restore_lo" -v hi="$restore_hi" -v d="$rmed_direct" -v g="$GOAL_RESTORE_PCT" \
  -v n="$RUNS" 'BEGIN { if (d <= 0) exit; h = (hi - lo) / 2 / d * 100
    if (h > g) printf "noise: the paired CI is +-%.1f%% wide at %d runs, wider than the %s%% goal, so this verdict is within noise; --runs %d would narrow it to ~%s%%\n",
      h, n, g, int(n * (h / g) ^ 2 + 0.999), g }')
[[ -z $restore_note ]] || echo "$restore_note"
echo

# --- Did the shim run nft? ----------------------------------------------------

# The last timed restore may have been the direct one: restore once more
# through the shim alone, then count what each backend holds.
{ ip netns exec "$NS" "$direct/iptables" -F && ip netns exec "$NS" "$direct/iptables" -X; } ||
  fail "flush before the dispatch check failed"
ip netns exec "$NS" "$bin/iptables-restore" <"$rules" || fail "iptables-restore through the shim failed"
nft_rules=$(ip netns exec "$NS" iptables-nft-save | grep -c '^-A' || true)
legacy_out=$(ip netns exec "$NS" iptables-legacy-save 2>&1 || true)
legacy_rules=$(grep -c '^-A' <<<"$legacy_out" || true)
shim_save_rules=$(ip netns exec "$NS" "$bin/iptables-save" | grep -c '^-A' || true)
dispatch=ok
if ((nft_rules != TOTAL_RULES)) || [[ -n $legacy_out ]] || ((shim_save_rules != TOTAL_RULES)); then
  dispatch="WRONG (expected $TOTAL_RULES nft rules, empty legacy)"
fi
echo "dispatch after a restore through the shim: iptables-nft-save $nft_rules rules;" \
  "iptables-legacy-save $legacy_rules rules ($(wc -c <<<"${legacy_out}" | awk '{ print ($1 > 1) ? "not empty" : "empty" }'));" \
  "shim's iptables-save $shim_save_rules rules; shim's -V: $shim_v: $dispatch"
echo

# --- Summary ----------------------------------------------------------------

ratio_verdict=$(awk -v r="$ratio" -v g="$GOAL_RATIO" 'BEGIN { print (r != "nan" && r <= g) ? "PASS" : "MISS" }')
printf '%-34s %-44s %-9s %s\n' measure value goal verdict
printf '%-34s %-44s %-9s %s\n' "iptables -V per call (median)" \
  "direct $med_direct, floor $med_floor, shim $med_shim us" - -
printf '%-34s %-44s %-9s %s\n' "shim overhead / floor overhead" \
  "$shim_paired / $floor_paired us = $ratio" "<= $GOAL_RATIO" "$ratio_verdict"
printf '%-34s %-44s %-9s %s\n' "iptables-restore $TOTAL_RULES (median)" \
  "shim $rmed_shim, direct $rmed_direct ms: $restore_pct" "< ${GOAL_RESTORE_PCT}%" "$restore_verdict"
printf '%-34s %-44s %-9s %s\n' "shim dispatched to" "nft: $nft_rules rules in nf_tables, $legacy_rules in x_tables" \
  "nft" "$([[ $dispatch == ok ]] && echo PASS || echo FAIL)"
echo
echo "overhead ratio: $ratio vs goal <= $GOAL_RATIO: $ratio_verdict"
echo "restore: $restore_pct vs goal < ${GOAL_RESTORE_PCT}% apart: $restore_verdict${restore_note:+ (within noise: paired CI $restore_ci_pct)}"

[[ $dispatch == ok ]] || fail "the shim did not dispatch to nft (see above)"
exit 0
