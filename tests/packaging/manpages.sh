#!/usr/bin/env bash
# packaging/manpages: iptmode(8) and iptmode-shim(8) render with `man -l`
# without a warning (groff's all), carry the package's version, and
# iptmode(8) documents every option the real CLI has.
source "$(dirname "$0")/lib.sh"
require man groff zcat
man8=$DEBROOT/usr/share/man/man8
[[ -f $man8/iptmode.8.gz ]] || fail "no unpacked .deb in $DEBROOT (did packaging/build pass?)"

for page in iptmode iptmode-shim; do
  f=$man8/$page.8.gz
  note "man -l $page.8.gz"
  # gzip -n: no name or timestamp in the header (reproducible, lintian).
  [[ $(od -An -tu4 -j4 -N4 "$f" | tr -d ' ') == 0 ]] || fail "$page.8.gz carries a timestamp"
  err=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings=w -E UTF-8 -l -Tutf8 "$f" 2>&1 >"$OUT/$page.raw") ||
    fail "man -l $page.8.gz failed: $err"
  # Bold and underline arrive as overstrikes (x BS x, _ BS x) in a file.
  sed 's/.\x08//g' "$OUT/$page.raw" >"$OUT/$page.txt"
  [[ -z $err ]] || {
    echo "$err"
    fail "man -l $page.8.gz warns"
  }
  err=$(zcat "$f" | groff -ww -z -man -Tutf8 2>&1) || fail "groff: $err"
  [[ -z $err ]] || {
    echo "$err"
    fail "groff -ww warns on $page.8"
  }
  for section in NAME SYNOPSIS DESCRIPTION "EXIT STATUS" FILES "SEE ALSO"; do
    grep -q "^$section\$" "$OUT/$page.txt" || fail "$page(8) has no $section section"
  done
  zcat "$f" | sed -n 1p | grep -c "\"iptmode $VERSION\"" >/dev/null || fail "$page(8) does not carry version $VERSION"
  zcat "$f" | grep -c '@[A-Z_]*@' >/dev/null && fail "$page(8) has an unsubstituted @VARIABLE@"
done

note "iptmode(8) documents every subcommand and option of the real CLI"
$PY - "$SRC/tests/packaging" "$DEBROOT/usr/sbin/iptmode" "$OUT/iptmode.txt" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[1])
import cli_check
iptmode, text = sys.argv[2], open(sys.argv[3]).read()
bad = False
for chain in (["detect"], ["audit"], ["repair"], ["monitor"], ["shim", "install"], ["shim", "uninstall"], ["shim", "watch"]):
    if " ".join(chain) not in text:
        print(f"FAIL: iptmode(8) does not mention `iptmode {' '.join(chain)}`")
        bad = True
    for opt, (_, choices, _) in cli_check.help_options(iptmode, chain).items():
        if opt == "--help":
            continue
        if opt not in text:
            print(f"FAIL: iptmode(8) does not document {' '.join(chain)} {opt}")
            bad = True
        for c in sorted(choices or ()):
            if c not in text:
                print(f"FAIL: iptmode(8) does not name {opt} {c}")
                bad = True
sys.exit(bad)
PYEOF
echo "packaging/manpages: ok"
