#!/usr/bin/env bash
# packaging/reproducible: the packages packaging/build made are built a
# second time, later, in another directory, under another umask and time
# zone, and both the .deb and the .rpm come out the same byte for byte.
#
# What it proves: everything after the compiler is deterministic: linking
# and stripping, the generated files (manual pages, changelogs,
# completions), CPack's staging (file times from SOURCE_DATE_EPOCH, modes
# whatever the umask, the staging directory's path kept out), dpkg-deb's
# and rpmbuild's archives (member order, header times, build host,
# compression). The second run reuses packaging/build's object files and
# relinks only the two packaged programs, so it costs seconds, not a
# second compile of the tree (CI has no ccache).
#
# What it does not prove: that the compiler gives the same objects twice or
# in another build directory. IPTMODE_REPRO_FULL=1 checks that too, with a
# whole second packaging/build-packages.sh in another directory (as long
# again as packaging/build).
source "$(dirname "$0")/lib.sh"
require cmake cpack cmp dpkg-deb rpm
deb=$(deb_file)
rpmf=$(rpm_file)
second=$OUT/reproducible
rm -rf "$second"
mkdir -p "$second"

start=$(date +%s)
if [[ ${IPTMODE_REPRO_FULL:-} == 1 ]]; then
  note "a whole second build in $second/build (IPTMODE_REPRO_FULL=1)"
  (umask 0002 && TZ=Asia/Kolkata LC_ALL=C.UTF-8 "$SRC/packaging/build-packages.sh" "$second/build" \
    -DIPTMODE_PACKAGE_RELEASE="$RELEASE" -DIPTMODE_PACKAGE_MAINTAINER="$IPTMODE_MAINTAINER") \
    >"$second/build.log" 2>&1 || { tail -30 "$second/build.log"; fail "the second build failed"; }
  out=$second/build
else
  note "relinking iptmode and iptmode-shim in $PKGS and packaging again in $second"
  # Everything the packages carry that the build makes after compiling.
  rm -f "$PKGS/iptmode" "$PKGS/iptmode-shim" "$PKGS"/packaging/man/*.gz "$PKGS"/packaging/doc/*.gz \
    "$PKGS"/packaging/completion/*
  (umask 0002 && cmake --build "$PKGS" -j"$(nproc)") >"$second/relink.log" 2>&1 ||
    { tail -30 "$second/relink.log"; fail "relinking failed"; }
  grep -q 'Linking CXX executable iptmode$' "$second/relink.log" || fail "iptmode was not relinked"
  grep -q 'Linking CXX executable iptmode-shim$' "$second/relink.log" || fail "iptmode-shim was not relinked"
  ! grep -q 'Building C' "$second/relink.log" || fail "the relink compiled something: $(grep 'Building C' "$second/relink.log" | head -3)"
  (umask 0002 && cd "$second" && TZ=Asia/Kolkata LC_ALL=C.UTF-8 \
    cpack --config "$PKGS/CPackConfig.cmake" -B "$second" -G "DEB;RPM") >"$second/cpack.log" 2>&1 ||
    { tail -30 "$second/cpack.log"; fail "cpack failed"; }
  out=$second
fi
echo "second build and packaging: $(($(date +%s) - start)) s"

bad=0
for f in "$deb" "$rpmf"; do
  g=$out/${f##*/}
  [[ -f $g ]] || fail "the second build made no ${f##*/}"
  if cmp "$f" "$g"; then
    echo "same: ${f##*/} ($(stat -c %s "$f") bytes, sha256 $(sha256sum <"$f" | cut -c1-16))"
  else
    bad=1
    # Where they differ, for the one who fixes it.
    if command -v diffoscope >/dev/null 2>&1; then
      diffoscope --text - "$f" "$g" | head -60 || true
    elif [[ $f == *.deb ]]; then
      diff <(dpkg-deb -I "$f"; dpkg-deb -c "$f") <(dpkg-deb -I "$g"; dpkg-deb -c "$g") | head -40 || true
    else
      diff <(rpm -qpi --dump "$f" 2>/dev/null) <(rpm -qpi --dump "$g" 2>/dev/null) | head -40 || true
    fi
  fi
done
((bad == 0)) || fail "two builds of the same tree gave different packages"
echo "packaging/reproducible: ok"
