#!/bin/sh
# Builds the iptmode .deb and .rpm from a clean build directory, with
# Debian's hardening flags (dpkg-buildflags, hardening=+all).
#
#   packaging/build-packages.sh [BUILD_DIR [CMAKE_ARGS...]]
#
# BUILD_DIR defaults to build-packages; CMAKE_ARGS go to cmake, e.g.
# -DIPTMODE_PACKAGE_MAINTAINER="Name <address>" -DIPTMODE_PACKAGE_RELEASE=2.
# IPTMODE_CPACK_GENERATORS picks the formats (default "DEB;RPM").
# IPTMODE_GLIBC_SYSROOT is the older glibc iptmode is linked against, made by
# packaging/make-glibc-sysroot.sh when missing (default: bullseye's 2.31 under
# ~/.cache/iptmode/glibc-sysroot-bullseye); "none" links against this
# machine's glibc (the symbol floor is then 2.34, RHEL 9's).
#
# The packages end up in BUILD_DIR: iptmode_<version>-<release>_<arch>.deb
# and iptmode-<version>-<release>.<arch>.rpm. Needs cmake, a C++23 compiler,
# the build dependencies (.ci/setup), dpkg-dev and rpm.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build-packages}
[ $# -gt 0 ] && shift
case $build in /*) ;; *) build=$(pwd)/$build ;; esac

build=${build%/}
case "$src/" in
  "$build"/*) echo "build-packages.sh: $build holds the sources; pick a build directory" >&2; exit 2 ;;
esac
rm -rf "$build"
cd "$src"
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
flags() { dpkg-buildflags --get "$1"; }
cppflags=$(flags CPPFLAGS)
cflags="$(flags CFLAGS) $cppflags"
cxxflags="$(flags CXXFLAGS) $cppflags"
ldflags=$(flags LDFLAGS)

sysroot=${IPTMODE_GLIBC_SYSROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/iptmode/glibc-sysroot-bullseye}
if [ "$sysroot" = none ]; then
  sysroot=
else
  "$src/packaging/make-glibc-sysroot.sh" "$sysroot" bullseye
fi

cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
  -DIPTMODE_GLIBC_SYSROOT="$sysroot" \
  -DCMAKE_C_FLAGS="$cflags" -DCMAKE_CXX_FLAGS="$cxxflags" \
  -DCMAKE_EXE_LINKER_FLAGS="$ldflags" "$@"
cmake --build "$build" -j"$(nproc)"
cd "$build"
cpack -G "${IPTMODE_CPACK_GENERATORS:-DEB;RPM}"
ls -l "$build"/iptmode*.deb "$build"/iptmode*.rpm 2>/dev/null || true
