# Sourced by the packaging checks. Each check takes SRC (the source tree) and
# OUT (its work dir under the build tree, shared by all packaging checks).
set -euo pipefail
# set -e stops a check at the first failing command: say which.
trap 'echo "FAIL: ${BASH_SOURCE[0]##*/}:$LINENO: \`$BASH_COMMAND\` exited $?" >&2' ERR

SRC=${1:?usage: $0 SRC OUT}
OUT=${2:?usage: $0 SRC OUT}
PKGS=$OUT/build          # packaging/build-packages.sh builds here
DEBROOT=$OUT/deb-root    # the .deb's files, unpacked (dpkg-deb -x)

# From CMake (packaging/packaging.cmake sets them on every check).
VERSION=${IPTMODE_VERSION:?IPTMODE_VERSION is not set (run the checks through ctest)}
RELEASE=${IPTMODE_RELEASE:?IPTMODE_RELEASE is not set (run the checks through ctest)}
SUMMARY=${IPTMODE_SUMMARY:?IPTMODE_SUMMARY is not set (run the checks through ctest)}
IPTMODE_MAINTAINER=${IPTMODE_MAINTAINER:?IPTMODE_MAINTAINER is not set (run the checks through ctest)}

fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "--- $*"; }

# A missing tool skips the check (ctest SKIP_RETURN_CODE 77), except under
# CI=true, where it fails: CI must have every tool .ci/setup installs.
require() {
  local t
  for t in "$@"; do
    command -v "$t" >/dev/null 2>&1 && continue
    if [[ ${CI:-} == true ]]; then
      fail "$t is not installed (CI=true: a check whose tool is missing fails)"
    fi
    echo "SKIP: $t is not installed"
    exit 77
  done
}

require_root() {
  [[ $(id -u) == 0 ]] && return
  [[ ${CI:-} == true ]] && fail "this check needs root"
  echo "SKIP: this check needs root"
  exit 77
}

deb_file() {
  local f=$PKGS/iptmode_${VERSION}-${RELEASE}_$(dpkg --print-architecture).deb
  [[ -f $f ]] || fail "no $f (did packaging/build pass?)"
  echo "$f"
}

rpm_file() {
  local f=$PKGS/iptmode-${VERSION}-${RELEASE}.$(uname -m).rpm
  [[ -f $f ]] || fail "no $f (did packaging/build pass?)"
  echo "$f"
}

# /usr/bin/python3 is Debian's, with python3-yaml; PATH may hold another.
PY=/usr/bin/python3
