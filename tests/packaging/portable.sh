#!/usr/bin/env bash
# packaging/portable: the packaged binaries need of the host only what every
# RHEL 9 and Debian since bullseye have, and prove it by running in a real
# Debian bullseye root (glibc 2.31): iptmode needs no glibc symbol newer than
# 2.34 and no library but glibc, libgcc_s, libmnl and iptables' libiptc; the
# shim is static-pie; `rpm -qp --requires` is exactly that list.
#
# The bullseye root is the cached one .ci/setup makes with mmdebstrap
# (/var/cache/iptmode-roots/bullseye, or IPTMODE_BULLSEYE_ROOT); it is copied,
# never run in place. Without it the run part skips (fails under CI=true).
source "$(dirname "$0")/lib.sh"
require objdump file rpm
ipt=$DEBROOT/usr/sbin/iptmode
shim=$DEBROOT/usr/libexec/iptmode/iptmode-shim
[[ -x $ipt ]] || fail "no unpacked .deb in $DEBROOT (did packaging/build pass?)"

note "glibc symbol floor of iptmode: at most 2.34 (RHEL 9)"
floor=$(objdump -T "$ipt" | grep -oE 'GLIBC_[0-9]+\.[0-9]+(\.[0-9]+)?' | sed 's/GLIBC_//' | sort -uV | tail -1)
echo "newest glibc symbol version: $floor"
[[ $(printf '%s\n2.34\n' "$floor" | sort -V | tail -1) == 2.34 ]] || fail "iptmode needs glibc $floor (> 2.34)"
! objdump -T "$ipt" | grep -E 'GLIBCXX_|CXXABI_' || fail "iptmode needs the host's libstdc++"

note "iptmode's shared libraries: glibc's, libgcc_s, libmnl, libip4tc/libip6tc only"
needed=$(objdump -p "$ipt" | awk '/NEEDED/ {print $2}' | sort | tr '\n' ' ')
echo "NEEDED: $needed"
for lib in $needed; do
  case $lib in
    libc.so.6 | libm.so.6 | libpthread.so.0 | ld-linux-*.so.2 | libgcc_s.so.1) ;;
    libmnl.so.0 | libip4tc.so.2 | libip6tc.so.2) ;;
    *) fail "iptmode needs $lib, which RHEL 9 or bullseye may lack (link it in)" ;;
  esac
done

note "the shim is static-pie"
file "$shim" | tee /dev/stderr | grep -q 'static-pie linked' || fail "iptmode-shim is not static-pie"

note "rpm -qp --requires: only what every RHEL 9 has"
# glibc, libgcc, libmnl and iptables-libs are in every RHEL 9 (BaseOS);
# iptables is iptables-nft's Provides there. Versioned glibc symbols may
# only name versions up to 2.34.
rpm -qp --requires "$(rpm_file)" 2>/dev/null | sort >"$OUT/rpm-requires.txt"
cat "$OUT/rpm-requires.txt"
while read -r req; do
  case $req in
    iptables | systemd | /bin/sh | rtld\(GNU_HASH\) | rpmlib\(* | "config(iptmode) = $VERSION-$RELEASE") ;;
    ld-linux-x86-64.so.2\(*\)\(64bit\)) ;;
    libc.so.6\(GLIBC_*\)\(64bit\))
      v=${req#libc.so.6(GLIBC_}; v=${v%%)*}
      [[ $(printf '%s\n2.34\n' "$v" | sort -V | tail -1) == 2.34 ]] || fail "requires $req (> 2.34)" ;;
    libc.so.6\(\)\(64bit\) | libm.so.6\(*\)\(64bit\) | libpthread.so.0\(*\)\(64bit\)) ;;
    libgcc_s.so.1\(*\)\(64bit\) | libmnl.so.0\(*\)\(64bit\)) ;;
    libip4tc.so.2\(\)\(64bit\) | libip6tc.so.2\(\)\(64bit\)) ;;
    *) fail "the .rpm requires $req, which not every RHEL 9 has" ;;
  esac
done <"$OUT/rpm-requires.txt"
grep -qx iptables "$OUT/rpm-requires.txt" || fail "Requires lacks iptables"
! grep -E 'libfmt|libnftnl|libstdc\+\+|pugixml|libyaml' "$OUT/rpm-requires.txt" || fail "a linked-in library is required"

note "iptmode and iptmode-shim from the package run in Debian bullseye (glibc 2.31)"
require_root
require unshare chroot
cached=${IPTMODE_BULLSEYE_ROOT:-/var/cache/iptmode-roots/bullseye}
if [[ ! -x $cached/usr/sbin/iptables ]]; then
  [[ ${CI:-} == true ]] && fail "no bullseye root at $cached (.ci/setup makes it)"
  echo "SKIP: no bullseye root at $cached (.ci/setup makes it)"
  exit 77
fi
root=$OUT/bullseye-root
rm -rf "$root"
cleanup() { local rc=$?; rm -rf "$root"; exit $rc; }
trap cleanup EXIT
cp -a "$cached" "$root"
grep -q '^11' "$root/etc/debian_version" || fail "$cached is not bullseye: $(cat "$root/etc/debian_version")"
install -m 0755 "$ipt" "$root/usr/sbin/iptmode"
install -D -m 0755 "$shim" "$root/usr/libexec/iptmode/iptmode-shim"
# Its own network, mount and PID namespaces: nothing of this machine's
# packet filter is read, /proc is the root's own.
inroot() { unshare --net --mount --pid --fork --mount-proc="$root/proc" chroot "$root" "$@"; }
glibc=$(inroot /lib/x86_64-linux-gnu/libc.so.6 | sed -n '1s/.*version \([0-9]*\.[0-9]*\).*/\1/p')
echo "bullseye root glibc: $glibc"
[[ $glibc == 2.31 ]] || fail "the bullseye root's glibc is $glibc, not 2.31"
[[ $(inroot /usr/sbin/iptmode --version) == "$VERSION" ]] || fail "iptmode --version in bullseye"
[[ $(inroot /usr/libexec/iptmode/iptmode-shim --version) == "iptmode-shim $VERSION" ]] ||
  fail "iptmode-shim --version in bullseye"
inroot /usr/sbin/iptmode detect --json >"$OUT/bullseye-detect.json" || fail "iptmode detect --json failed in bullseye"
rc=0
inroot /usr/sbin/iptmode audit --json >"$OUT/bullseye-audit.json" || rc=$?
[[ $rc == 0 || $rc == 1 ]] || fail "iptmode audit --json exited $rc in bullseye (0 or 1 expected)"
$PY - "$OUT/bullseye-detect.json" "$OUT/bullseye-audit.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
a = json.load(open(sys.argv[2]))
assert d.get("schema") == "iptmode.detect/v1", d.get("schema")
assert a.get("schema") == "iptmode.audit/v1", a.get("schema")
print("detect mode:", d.get("mode"), "| audit findings:", len(a.get("findings", [])))
PYEOF
echo "packaging/portable: ok (glibc floor $floor; ran in bullseye, glibc $glibc)"
