# shellcheck shell=bash
# Variables set here for the sourcing script (SHIFT_BY, RUNS) look unused to shellcheck.
# shellcheck disable=SC2034
# bench/lib.sh: what the bench scripts share. Sourced, not run:
#   BENCH=name; usage() { ...; }; source "$(dirname "$0")/lib.sh"
# It gives them one way to parse the common options, refuse to run without
# root, time commands with $EPOCHREALTIME, summarise samples, and clean up
# the network namespaces, processes and temporary files they make, on exit
# and on signals alike.

# EPOCHREALTIME uses the locale's decimal point; the arithmetic wants '.'.
export LC_ALL=C

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IPTMODE="$BENCH_DIR/../build/iptmode"
BENCH_ARGS=("$@")

usage_error() {
  echo "$BENCH: $*" >&2
  usage >&2
  exit 2
}

fail() {
  echo "$BENCH: FAIL: $*" >&2
  exit 1
}

# common_arg ARGS...: takes one of the options every bench has off the front
# of ARGS (--iptmode PATH, --runs N, --help) and sets SHIFT_BY to the number
# of words it used; 0 when the first word is not one of them.
common_arg() {
  SHIFT_BY=0
  case $1 in
    --iptmode) (($# >= 2)) || usage_error "--iptmode needs a path"; IPTMODE=$2; SHIFT_BY=2 ;;
    --iptmode=*) IPTMODE=${1#*=}; SHIFT_BY=1 ;;
    --runs) (($# >= 2)) || usage_error "--runs needs a number"; RUNS=$2; SHIFT_BY=2 ;;
    --runs=*) RUNS=${1#*=}; SHIFT_BY=1 ;;
    -h | --help) usage; exit 0 ;;
  esac
}

# check_common WHY: the options are sane, we are root (WHY says what for), the
# iptmode binary exists (IPTMODE becomes its absolute path).
check_common() {
  [[ $RUNS =~ ^[1-9][0-9]*$ ]] || usage_error "--runs must be a positive integer, got '$RUNS'"
  if ((EUID != 0)); then
    echo "$BENCH: must run as root ($1); try: sudo $0 ${BENCH_ARGS[*]}" >&2
    exit 2
  fi
  [[ -x $IPTMODE && -f $IPTMODE ]] ||
    fail "iptmode binary not found or not executable: $IPTMODE (build it first, or pass --iptmode)"
  IPTMODE=$(readlink -f "$IPTMODE")
}

# require_tools TOOL...: each is on PATH.
require_tools() {
  local tool
  for tool in "$@"; do command -v "$tool" >/dev/null || fail "required tool not found: $tool"; done
}

# --- Cleanup ----------------------------------------------------------------

BENCH_NS=()
BENCH_ON_EXIT=()
tmp=""

bench_cleanup() {
  local f ns
  for f in "${BENCH_ON_EXIT[@]}"; do "$f" || true; done
  for ns in "${BENCH_NS[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  [[ -n $tmp ]] && rm -rf "$tmp"
}

# bench_start PREFIX: makes $tmp (/tmp/PREFIX.XXXXXX) and arms the cleanup:
# on exit, and on INT/TERM/HUP turned into an exit, it runs the functions in
# BENCH_ON_EXIT, deletes the namespaces made by netns_add and removes $tmp.
bench_start() {
  tmp=$(mktemp -d "/tmp/$1.XXXXXX")
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM HUP
}

# netns_add NS: a fresh network namespace, deleted on exit.
netns_add() {
  ip netns add "$1" || fail "cannot create network namespace $1"
  BENCH_NS+=("$1")
}

# netns_del NS: deleted now (a bench that builds many states frees each one).
netns_del() {
  local ns kept=()
  ip netns del "$1" 2>/dev/null || true
  for ns in "${BENCH_NS[@]}"; do [[ $ns == "$1" ]] || kept+=("$ns"); done
  BENCH_NS=("${kept[@]}")
}

# --- Timing -----------------------------------------------------------------

# time_runs N CMD...: one untimed warm-up run (page cache, module loads), then
# N timed runs, printing each run's wall time in microseconds. EPOCHREALTIME
# rather than `date +%s%N`: forking date around a ~1 ms run would be timed too.
# CMD may exit 0, or up to $TIME_RUNS_MAX_RC (the audit's 1: findings).
time_runs() {
  local n=$1 i t0 t1 rc max=${TIME_RUNS_MAX_RC:-0}
  shift
  rc=0; "$@" >/dev/null || rc=$?
  ((rc <= max)) || { echo "$1: exit $rc" >&2; return 1; }
  for ((i = 0; i < n; i++)); do
    t0=$EPOCHREALTIME
    rc=0; "$@" >/dev/null || rc=$?
    t1=$EPOCHREALTIME
    ((rc <= max)) || { echo "$1: exit $rc" >&2; return 1; }
    echo $((${t1//[.,]/} - ${t0//[.,]/}))
  done
}

# peak_rss_kib CMD...: the peak resident set of one run of CMD, in KiB.
peak_rss_kib() {
  local f
  f=$(mktemp /tmp/iptmode-rss.XXXXXX)
  /usr/bin/time -f '%M' -o "$f" "$@" >/dev/null 2>&1 || true
  tail -n 1 "$f"  # after "Command exited with non-zero status N"
  rm -f "$f"
}
export -f time_runs peak_rss_kib

# in_ns NS CMD...: run a shell command line in NS, with the exported functions.
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

# median_ms FILE: the median of a file of microseconds, in milliseconds.
median_ms() {
  local med _
  read -r med _ < <(stats "$1")
  echo "$med"
}

# ratio A B: A / B to two significant places ("nan" when B is 0).
ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN {
    if (b <= 0) { print "nan"; exit }
    r = a / b
    printf((r < 10) ? "%.2f\n" : "%.0f\n", r)
  }'
}

# at_least R GOAL: PASS when R >= GOAL, else MISS. at_most likewise.
at_least() { awk -v r="$1" -v g="$2" 'BEGIN { print (r != "nan" && r >= g) ? "PASS" : "MISS" }'; }
at_most() { awk -v r="$1" -v g="$2" 'BEGIN { print (r != "nan" && r <= g) ? "PASS" : "MISS" }'; }

# secs_since T0: the time since an $EPOCHREALTIME value, as "N.NN s".
secs_since() {
  local t1=$EPOCHREALTIME
  printf '%.2f s' "$(((${t1//[.,]/} - ${1//[.,]/}) / 1000))e-3"
}

# --- States -----------------------------------------------------------------

# kube_rules RULES PER_CHAIN TABLE: a restore file of RULES rules,
# kube-proxy-shaped (one chain per service, PER_CHAIN rules each, one per
# endpoint with a namespace/service comment), in one table and one COMMIT so
# a restore is one transaction (nft) or one blob replace (legacy): seconds at
# 1,000,000 rules, not the hours of one iptables call per rule. The chain
# names are a bijective hash of the index, so they are unique.
kube_rules() {
  awk -v total="$1" -v per="$2" -v table="$3" 'BEGIN {
    chains = int((total + per - 1) / per)
    print "*" table
    if (table == "filter") { print ":INPUT ACCEPT [0:0]"; print ":FORWARD ACCEPT [0:0]"; print ":OUTPUT ACCEPT [0:0]" }
    for (c = 0; c < chains; c++) {
      name[c] = sprintf("KUBE-SVC-%08X%08X", (c * 2654435761 + 40503) % 4294967296,
                        (c * 2246822519 + 374761393) % 4294967296)
      print ":" name[c] " - [0:0]"
    }
    for (i = 0; i < total; i++) {
      c = int(i / per)
      printf "-A %s -s 10.%d.%d.%d/32 -m comment --comment \"bench-ns-%d/svc-%d:http\" -j ACCEPT\n",
             name[c], int(i / 65536), int(i / 256) % 256, i % 256, c % 50, c
    }
    print "COMMIT"
  }'
}

# hint_rules: kubelet's hint chain in mangle, as a restore file.
hint_rules() {
  printf '%s\n' '*mangle' ':PREROUTING ACCEPT [0:0]' ':INPUT ACCEPT [0:0]' ':FORWARD ACCEPT [0:0]' \
    ':OUTPUT ACCEPT [0:0]' ':POSTROUTING ACCEPT [0:0]' ':KUBE-IPTABLES-HINT - [0:0]' 'COMMIT'
}

# save_counts NS SAVE: "RULES HINTS" as SAVE (an iptables-*-save) sees them in NS.
save_counts() {
  ip netns exec "$1" "$2" 2>/dev/null |
    awk '/^-A / { r++ } /^:KUBE-IPTABLES-HINT / { h++ } END { print r + 0, h + 0 }'
}
