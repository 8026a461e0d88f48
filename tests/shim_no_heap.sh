#!/usr/bin/env bash
# The shim's fast path (state recorded, version cached) allocates nothing
# between main() and the exec of the backend: gdb breaks on malloc, calloc
# and realloc once main is reached, and must see the exec first. (Static
# glibc's own start-up allocates once before main; that is not the shim's.)
# Usage: shim_no_heap.sh IPTMODE SHIM
set -euo pipefail
iptmode=$1 shim=$2
if ! command -v gdb >/dev/null; then
  echo "gdb not installed"
  [[ "${CI:-}" == true ]] && exit 1 || exit 77
fi
[[ $(id -u) == 0 ]] || { echo "needs root"; [[ "${CI:-}" == true ]] && exit 1 || exit 77; }

dir=$(mktemp -d /tmp/iptmode-heap-XXXXXX)
trap 'rm -rf "$dir"' EXIT
chmod 0755 "$dir"
cp /usr/sbin/xtables-nft-multi /usr/sbin/xtables-legacy-multi "$dir"/
"$iptmode" shim install --bin-dir "$dir" --shim "$shim" >/dev/null
# The first call records the state and the version cache: the slow path.
"$dir"/iptables -V >/dev/null
grep -q '^cache ' "$dir"/iptmode-shim.state

out=$(gdb -batch -nx -ex 'catch exec' -ex 'break main' -ex 'run' \
  -ex 'break malloc' -ex 'break calloc' -ex 'break realloc' -ex 'continue' \
  --args "$dir"/iptables -V 2>&1)
grep -q 'Breakpoint 1, main' <<<"$out" || grep -q 'Breakpoint 2, main' <<<"$out" ||
  { echo "gdb never reached main:"; echo "$out"; exit 1; }
if grep -E 'Breakpoint [0-9]+, (0x[0-9a-f]+ in )?(malloc|calloc|realloc)' <<<"$out"; then
  echo "the shim allocated on its fast path:"; echo "$out"; exit 1
fi
grep -q 'is executing new program' <<<"$out" || { echo "no exec seen:"; echo "$out"; exit 1; }
echo "no allocation between main() and the exec of the backend"
