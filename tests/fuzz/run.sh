#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ with clang++-19 into build-fuzz/,
# replays every file under tests/fuzz/regressions/<target>/, then fuzzes each
# target for SECONDS (default 60), two at a time, on a copy of its seed corpus
# (tests/fuzz/corpus/<target>/ is never written).
#
#   bash tests/fuzz/run.sh [SECONDS]
#
# Exit status: 0 when every replay and every run is clean; 1 on any crash,
# sanitizer report, leak, timeout or out-of-memory (the target and its
# reproducer, kept under build-fuzz/artifacts/<target>/, are named); 2 when
# the build fails.
#
# Environment: CXX_FUZZ (default clang++-19), FUZZ_TARGETS (a subset, space
# separated), FUZZ_JOBS (targets built and run at a time, default 2).
set -uo pipefail

secs=${1:-60}
if ! [[ "$secs" =~ ^[0-9]+$ ]] || ((secs < 1)); then
  echo "usage: $0 [SECONDS]" >&2
  exit 2
fi

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here=$repo/tests/fuzz
out=$repo/build-fuzz
cxx=${CXX_FUZZ:-clang++-19}
jobs=${FUZZ_JOBS:-2}

# Each target: its harness plus the project sources it needs, compiled
# directly (not through the CMake libraries, which carry g++'s flags).
declare -A SOURCES=(
  [fuzz_state]="shim/files_read.cpp shim/state.cpp shim/settings.cpp core/version.cpp core/mode.cpp"
  [fuzz_settings]="shim/settings.cpp"
  [fuzz_config]="detect/config.cpp detect/config_read.cpp detect/in_root.cpp detect/budget.cpp core/mode.cpp detect/file_read.cpp core/file_type.cpp core/error.cpp core/fd.cpp"
  [fuzz_version]="core/version.cpp"
  [fuzz_procfs]="detect/procfs.cpp detect/file_read.cpp core/file_type.cpp core/error.cpp core/fd.cpp"
  [fuzz_binary]="core/binary.cpp core/wrapper.cpp core/version.cpp core/mode.cpp"
  [fuzz_in_root]="detect/in_root.cpp detect/budget.cpp detect/file_read.cpp core/file_type.cpp core/error.cpp core/fd.cpp"
  [fuzz_firewalld]="audit/firewalld.cpp detect/config_read.cpp detect/in_root.cpp detect/budget.cpp detect/file_read.cpp core/file_type.cpp core/error.cpp core/fd.cpp"
  [fuzz_k3s_config]="detect/k3s_config.cpp detect/yaml_walk.cpp detect/flags.cpp detect/procfs.cpp detect/config_read.cpp detect/in_root.cpp detect/budget.cpp detect/file_read.cpp core/file_type.cpp core/error.cpp core/fd.cpp"
  [fuzz_k0s_yaml]="audit/k0s_config.cpp detect/yaml_walk.cpp detect/config_read.cpp detect/in_root.cpp detect/budget.cpp detect/file_read.cpp core/file_type.cpp core/error.cpp core/fd.cpp"
  [fuzz_kube_proxy_mode]="audit/component_mode.cpp audit/native_writers.cpp detect/flags.cpp audit/wrapper_prediction.cpp detect/in_root.cpp detect/budget.cpp core/binary.cpp core/wrapper.cpp core/version.cpp core/mode.cpp detect/kernel.cpp detect/procfs.cpp detect/file_read.cpp core/file_type.cpp core/error.cpp core/fd.cpp"
)
all_targets="fuzz_state fuzz_settings fuzz_config fuzz_version fuzz_procfs fuzz_binary fuzz_in_root fuzz_firewalld fuzz_k0s_yaml fuzz_k3s_config fuzz_kube_proxy_mode"
targets=${FUZZ_TARGETS:-$all_targets}
for t in $targets; do
  if [[ -z "${SOURCES[$t]:-}" ]]; then
    echo "run.sh: unknown target $t (known: $all_targets)" >&2
    exit 2
  fi
done

if ! command -v "$cxx" >/dev/null; then
  echo "run.sh: $cxx not found (apt-get install clang-19 libclang-rt-19-dev)" >&2
  exit 2
fi

CXXFLAGS=(-std=c++2b -O1 -g -fno-omit-frame-pointer
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
  -Wall -Wextra -Wno-unused-parameter -I"$repo")
# pugixml and libyaml are the audit's XML and YAML readers (zone files, k0s.yaml, k3s config.yaml).
LIBS=(-lfmt -lpugixml -lyaml)

work=$(mktemp -d "${TMPDIR:-/tmp}/iptmode-fuzz.XXXXXX")
# Scratch space for the targets' own temporary files (fuzz_in_root builds a
# tree per input): tmpfs where there is one, which is ~50 times faster.
scratch=
if [[ -d /dev/shm && -w /dev/shm ]]; then
  scratch=$(mktemp -d /dev/shm/iptmode-fuzz.XXXXXX 2>/dev/null) || scratch=
fi
[[ -n "$scratch" ]] || scratch=$work/tmp
cleanup() {
  # Stop whatever is still running (only our own children), then remove.
  local p
  for p in $(jobs -p); do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work" "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start=$SECONDS
mkdir -p "$out" "$work/logs" "$work/status"

# Runs "$@" in the background, at most $jobs at a time.
throttle() {
  while (($(jobs -rp | wc -l) >= jobs)); do wait -n 2>/dev/null || true; done
  "$@" &
}

# ---- build ------------------------------------------------------------------

# A target is rebuilt when its harness, one of its sources, any project
# header, this script or the compiler is newer than the binary.
needs_build() {
  local t=$1 bin=$out/$1 src
  [[ -x "$bin" ]] || return 0
  for src in "$here/$t.cpp" "$here/run.sh" $(printf "$repo/%s " ${SOURCES[$t]}); do
    [[ "$src" -nt "$bin" ]] && return 0
  done
  [[ -n "$(find "$repo/detect" "$repo/shim" "$repo/audit" -name '*.h' -newer "$bin" -print -quit)" ]] && return 0
  [[ "$(command -v "$cxx")" -nt "$bin" ]] && return 0
  return 1
}

build_one() {
  local t=$1 srcs=() s
  for s in ${SOURCES[$t]}; do srcs+=("$repo/$s"); done
  if "$cxx" "${CXXFLAGS[@]}" "$here/$t.cpp" "${srcs[@]}" "${LIBS[@]}" -o "$out/$t.tmp" \
    >"$work/logs/$t.build" 2>&1; then
    mv -f "$out/$t.tmp" "$out/$t"
    echo ok >"$work/status/$t.build"
  else
    rm -f "$out/$t.tmp"
    echo fail >"$work/status/$t.build"
  fi
}

to_build=()
for t in $targets; do needs_build "$t" && to_build+=("$t"); done
if ((${#to_build[@]})); then
  echo "== build (${#to_build[@]} targets, $jobs at a time): ${to_build[*]}"
  for t in "${to_build[@]}"; do throttle build_one "$t"; done
  wait
  failed=0
  for t in "${to_build[@]}"; do
    if [[ "$(cat "$work/status/$t.build" 2>/dev/null)" != ok ]]; then
      echo "BUILD FAILED: $t"
      sed 's/^/  /' "$work/logs/$t.build" | head -60
      failed=1
    fi
  done
  ((failed)) && exit 2
  echo "== build done in $((SECONDS - start)) s"
else
  echo "== build: up to date"
fi

export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0:handle_abort=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# Reports with file:line: any llvm-symbolizer will do (clang-19 alone ships none).
if [[ -z "${ASAN_SYMBOLIZER_PATH:-}" ]]; then
  for s in llvm-symbolizer-19 /usr/lib/llvm-19/bin/llvm-symbolizer llvm-symbolizer \
    /usr/lib/llvm-*/bin/llvm-symbolizer; do
    if s=$(command -v "$s" 2>/dev/null) && [[ -x "$(readlink -f "$s")" ]]; then
      export ASAN_SYMBOLIZER_PATH=$s
      break
    fi
  done
fi
if [[ -n "${ASAN_SYMBOLIZER_PATH:-}" ]]; then
  ASAN_OPTIONS+=:external_symbolizer_path=$ASAN_SYMBOLIZER_PATH
  UBSAN_OPTIONS+=:external_symbolizer_path=$ASAN_SYMBOLIZER_PATH
fi
common_flags=(-timeout=10 -rss_limit_mb=2048 -detect_leaks=1)

# The sanitizer's or libFuzzer's report from a log, trimmed.
report() {
  local log=$1
  grep -m1 -E '^SUMMARY: |ERROR: libFuzzer|runtime error' "$log" | sed 's/^/  /'
  # The first frame in our code: the failed check, or the faulting line.
  grep -m1 -oE ' in [^ ].* /[^ ]*/(detect|shim|audit|cli|tests/fuzz)/[^ ]+:[0-9]+' "$log" |
    sed -E 's|^ in (.*) '"$repo"'/|  at: \1 |'
  awk '/^==[0-9]+==ERROR|runtime error:|ALARM: working on the last Unit|==[0-9]+== ERROR: libFuzzer/{p=1} p{print "  | " $0; if (++n >= 40) exit}' "$log"
}

failures=()

# ---- replay regressions -------------------------------------------------------

replayed=0
for t in $targets; do
  dir=$here/regressions/$t
  [[ -d "$dir" ]] || continue
  while IFS= read -r -d '' f; do
    replayed=$((replayed + 1))
    log=$work/logs/replay.log
    if ! (cd "$work" && TMPDIR=$scratch "$out/$t" "${common_flags[@]}" "$f") >"$log" 2>&1; then
      rel=${f#"$repo"/}
      echo "REPLAY FAILED: $t  reproducer: $rel"
      report "$log"
      failures+=("$t: regression $rel")
    fi
  done < <(find "$dir" -type f ! -name '.*' -print0 | sort -z)
done
echo "== replayed $replayed regression input(s)"

# ---- fuzz ---------------------------------------------------------------------

fuzz_one() {
  local t=$1
  local corpus=$work/corpus/$t art=$work/artifacts/$t/ tmp=$scratch/$t
  mkdir -p "$corpus" "$art" "$tmp"
  [[ -d "$here/corpus/$t" ]] && cp -R "$here/corpus/$t/." "$corpus/"
  local dict=()
  [[ -f "$here/dict/$t.dict" ]] && dict=(-dict="$here/dict/$t.dict")
  local rc=0
  (cd "$tmp" && TMPDIR=$tmp "$out/$t" "${common_flags[@]}" "${dict[@]}" \
    -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$art" "$corpus") \
    >"$work/logs/$t.log" 2>&1 || rc=$?
  echo "$rc" >"$work/status/$t.fuzz"
}

echo "== fuzz: $secs s per target, $jobs at a time"
for t in $targets; do throttle fuzz_one "$t"; done
wait

keep=$out/artifacts
for t in $targets; do
  log=$work/logs/$t.log
  rc=$(cat "$work/status/$t.fuzz" 2>/dev/null || echo missing)
  runs=$(grep -oE '^Done [0-9]+ runs' "$log" | tail -1 | awk '{print $2}')
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | awk '{print $2}')
  if [[ "$rc" == 0 ]]; then
    printf 'ok    %-22s %10s runs  cov %s\n' "$t" "${runs:-?}" "${cov:-?}"
    continue
  fi
  # Keep the reproducer outside the temporary directory.
  repro=
  for f in "$work/artifacts/$t/"{crash,leak,timeout,oom}-*; do
    [[ -f "$f" ]] || continue
    mkdir -p "$keep/$t"
    cp -f "$f" "$keep/$t/"
    repro=$keep/$t/$(basename "$f")
    repro=${repro#"$repo"/}
    break
  done
  cp -f "$log" "$keep/$t.log" 2>/dev/null || { mkdir -p "$keep" && cp -f "$log" "$keep/$t.log"; }
  printf 'FAIL  %-22s exit %s  reproducer: %s  (log: %s)\n' "$t" "$rc" "${repro:-none}" \
    "${keep#"$repo"/}/$t.log"
  report "$log"
  failures+=("$t: ${repro:-exit $rc, no reproducer}")
done

echo "== total $((SECONDS - start)) s"
if ((${#failures[@]})); then
  echo "FUZZ FAILED (${#failures[@]}):"
  printf '  %s\n' "${failures[@]}"
  exit 1
fi
echo "FUZZ OK: ${targets// /, }"
