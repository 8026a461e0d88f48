#!/bin/sh
# Makes the glibc the packaged iptmode is linked against: Debian bullseye's
# libc6 and libc6-dev (glibc 2.31), unpacked from Debian's archive. Linked
# against it, iptmode needs no glibc symbol newer than 2.25 and runs on
# Debian 11+, Ubuntu 20.04+ and RHEL 8/9 (docs/packaging.md).
#
#   packaging/make-glibc-sysroot.sh DIR [SUITE]
#
# DIR is created (it must not exist yet, or be a sysroot this script made,
# which is then kept); SUITE defaults to bullseye. Needs mmdebstrap and
# access to a Debian mirror. The compiler, libstdc++ and every other library
# still come from the build machine (CMakeLists.txt, IPTMODE_GLIBC_SYSROOT).
set -eu
dir=${1:?usage: $0 DIR [SUITE]}
suite=${2:-bullseye}
if [ -f "$dir/.iptmode-sysroot" ]; then
  echo "make-glibc-sysroot.sh: $dir is ready ($(cat "$dir/.iptmode-sysroot"))"
  exit 0
fi
[ ! -e "$dir" ] || { echo "make-glibc-sysroot.sh: $dir exists and is not a sysroot of this script" >&2; exit 2; }
mkdir -p "$(dirname "$dir")"
tmp=$dir.tmp.$$
trap 'rm -rf "$tmp"' EXIT
# "extract": the packages unpacked, nothing configured or run.
mmdebstrap --quiet --variant=extract --include=libc6,libc6-dev "$suite" "$tmp"
# Absolute symlinks (lib64/ld-linux-x86-64.so.2 -> /lib/...) point outside
# the sysroot: the linker follows them on the build machine. Point them into it.
final=$(mkdir -p "$(dirname "$dir")" && cd "$(dirname "$dir")" && pwd)/$(basename "$dir")
find "$tmp" -type l | while read -r l; do
  t=$(readlink "$l")
  case $t in /*) ln -sfn "$final$t" "$l" ;; esac
done
[ -f "$tmp/usr/include/stdio.h" ] && ls "$tmp"/usr/lib/*/libc_nonshared.a >/dev/null ||
  { echo "make-glibc-sysroot.sh: $suite's libc6-dev did not unpack into $tmp" >&2; exit 1; }
zcat "$tmp/usr/share/doc/libc6/changelog.Debian.gz" | sed -n 1p >"$tmp/.iptmode-sysroot"
mv "$tmp" "$dir"
trap - EXIT
echo "make-glibc-sysroot.sh: $dir ($suite)"
