#!/usr/bin/env bash
# packaging/hardening: the iptmode and iptmode-shim this build tree made
# (a plain `cmake .. && make`, no dpkg-buildflags) carry what lintian's
# hardening tags look for: PIE, full RELRO (GNU_RELRO and BIND_NOW), the
# stack protector and fortified libc calls. CMakeLists.txt's
# IPTMODE_HARDENING sets them; packaging/lint checks the packaged binaries
# with lintian itself.
#
#   hardening.sh IPTMODE IPTMODE_SHIM BUILD_TYPE
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
ipt=${1:?usage: $0 IPTMODE IPTMODE_SHIM BUILD_TYPE}
shim=${2:?usage: $0 IPTMODE IPTMODE_SHIM BUILD_TYPE}
build_type=${3:?usage: $0 IPTMODE IPTMODE_SHIM BUILD_TYPE}
command -v readelf >/dev/null || { echo "SKIP: no readelf"; exit 77; }

full_relro() {
  readelf -lW "$1" | grep -q '^ *GNU_RELRO ' || fail "$1: no GNU_RELRO segment (-Wl,-z,relro)"
  readelf -dW "$1" | grep -Eq '\((FLAGS|FLAGS_1)\).*\b(BIND_NOW|NOW)\b' || fail "$1: not BIND_NOW (-Wl,-z,now)"
}
pie() {
  readelf -hW "$1" | grep -q 'Type: *DYN' || fail "$1: not position-independent (-pie)"
}

pie "$ipt"
full_relro "$ipt"
readelf -lW "$ipt" | grep -q '^ *INTERP ' || fail "$ipt: no program interpreter (a shared object, not a PIE)"
dyn=$(readelf --dyn-syms -W "$ipt")
grep -q ' UND __stack_chk_fail' <<<"$dyn" || fail "$ipt: no __stack_chk_fail (-fstack-protector-strong)"
if [[ $build_type == Debug ]]; then
  echo "(Debug build: _FORTIFY_SOURCE needs optimisation, not checked)"
else
  n=$(grep -cE ' UND __[a-z_]+_chk(@|$)' <<<"$dyn" || true)
  ((n > 0)) || fail "$ipt: no fortified libc function (-D_FORTIFY_SOURCE=2)"
  echo "$ipt: $n fortified libc functions"
fi

pie "$shim"
full_relro "$shim"
! readelf -lW "$shim" | grep -q '^ *INTERP ' || fail "$shim: has a program interpreter (should be static-pie)"
echo "packaging/hardening: ok (PIE, full RELRO, stack protector$([[ $build_type == Debug ]] || echo ', fortify'))"
