#!/usr/bin/env bash
# packaging/lint: lintian on the .deb and rpmlint on the .rpm report no
# errors; every lintian override and rpmlint filter says why; none is stale.
source "$(dirname "$0")/lib.sh"
require lintian rpmlint
deb=$(deb_file)
rpm=$(rpm_file)

note "every lintian override and rpmlint filter carries its reason"
awk '
  /^#/ { reason = 1; next }
  /^[[:space:]]*$/ { reason = 0; next }
  { if (!reason) { print FILENAME ":" FNR ": override without a reason comment above it: " $0; bad = 1 } }
  END { exit bad }' "$SRC/packaging/deb/lintian-overrides" || fail "lintian override without its reason"
$PY - "$SRC/packaging/rpm/rpmlint.toml" <<'PYEOF' || fail "rpmlint filter without its reason"
import sys, re
lines = open(sys.argv[1]).read().splitlines()
inside, reason, bad = False, False, False
for n, line in enumerate(lines, 1):
    s = line.strip()
    if s.startswith("Filters"):
        inside = True
        continue
    if not inside:
        continue
    if s == "]":
        break
    if s.startswith("#"):
        reason = True
    elif s:
        if not reason:
            print(f"{sys.argv[1]}:{n}: filter without a reason comment above it: {s}")
            bad = True
        reason = False
sys.exit(bad)
PYEOF

note "lintian $(lintian --version)"
# lintian refuses nothing as root, but says it is not recommended.
lintian --info --pedantic --show-overrides --tag-display-limit 0 "$deb" 2>&1 |
  grep -v '^running with root privileges' | tee "$OUT/lintian.txt" || true
if grep -q '^E: ' "$OUT/lintian.txt"; then fail "lintian reports errors"; fi
if grep -Eq '^[A-Z]: iptmode: (unused-override|mismatched-override)' "$OUT/lintian.txt"; then
  fail "a lintian override is stale"
fi

note "rpmlint $(rpmlint --version 2>/dev/null | tail -1)"
set +e
rpmlint -c "$SRC/packaging/rpm/rpmlint.toml" "$rpm" >"$OUT/rpmlint.txt" 2>&1
rc=$?
set -e
cat "$OUT/rpmlint.txt"
grep -q ' E: ' "$OUT/rpmlint.txt" && fail "rpmlint reports errors"
grep -q 'unused-rpmlintrc-filter' "$OUT/rpmlint.txt" && fail "an rpmlint filter is stale"
grep -Eq '^ ?1 packages and 0 specfiles checked; 0 errors' "$OUT/rpmlint.txt" ||
  fail "rpmlint did not check the package cleanly (exit $rc)"
echo "packaging/lint: ok"
