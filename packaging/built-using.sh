#!/bin/sh
# Prints, one a line and sorted, the Debian source package and version of
# each file given ("fmtlib 9.1.0+ds1-2"): what the packaged binaries have in
# them from other packages (static archives, header-only libraries), for the
# .deb's Built-Using field (packaging/built_using.cmake).
#
#   packaging/built-using.sh [--sysroot DIR] FILE...
#
# --sysroot DIR: the glibc sysroot of packaging/make-glibc-sysroot.sh, whose
# libc_nonshared.a and start files iptmode links; its glibc is named from the
# record that script left there. A file no installed package ships fails.
set -eu
out=$(mktemp)
trap 'rm -f "$out"' EXIT
if [ "${1:-}" = --sysroot ]; then
  record=$2/.iptmode-sysroot
  shift 2
  # "glibc (2.31-13+deb11u14) bullseye-security; urgency=medium"
  sed -n '1s/^\([a-z0-9.+-]*\) (\([^)]*\)).*/\1 \2/p' "$record" >>"$out"
  [ -s "$out" ] || { echo "built-using.sh: $record names no glibc version" >&2; exit 1; }
fi
for f in "$@"; do
  real=$(readlink -f "$f")
  pkg=
  # usrmerge: dpkg may know the file under /lib as well as /usr/lib.
  for p in "$real" "${real#/usr}" "$f"; do
    pkg=$(dpkg-query -S "$p" 2>/dev/null | sed -n '1s/: .*//p') && [ -n "$pkg" ] && break
  done
  [ -n "$pkg" ] || { echo "built-using.sh: no installed package ships $f" >&2; exit 1; }
  # One package name even if dpkg lists several ("a, b: path").
  pkg=${pkg%%,*}
  dpkg-query -W -f='${source:Package} ${source:Version}\n' "$pkg" >>"$out"
done
LC_ALL=C sort -u "$out"
