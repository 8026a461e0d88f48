#!/usr/bin/env bash
# packaging/units: `systemd-analyze verify` passes on every unit the package
# ships, with no warning; their command lines are ones the real CLI accepts.
source "$(dirname "$0")/lib.sh"
require systemd-analyze
[[ -x $DEBROOT/usr/sbin/iptmode ]] || fail "no unpacked .deb in $DEBROOT (did packaging/build pass?)"

units=(iptmode-shim-watch.service iptmode-audit.service iptmode-audit.timer)
shipped=$(cd "$DEBROOT/usr/lib/systemd/system" && ls)
[[ $shipped == "$(printf '%s\n' "${units[@]}" | sort)" ]] || fail "units shipped: $shipped"

# The units name /usr/sbin/iptmode; here that is the unpacked package's copy.
# (packaging/deb-install verifies the installed units as they are.)
work=$OUT/units
rm -rf "$work"
mkdir -p "$work"
for u in "${units[@]}"; do
  sed "s|/usr/sbin/iptmode|$DEBROOT/usr/sbin/iptmode|g" "$DEBROOT/usr/lib/systemd/system/$u" >"$work/$u"
done
note "systemd-analyze verify $(systemd-analyze --version | sed -n 1p)"
out=$(cd "$work" && systemd-analyze verify --man=no "${units[@]/#/$work/}" 2>&1) || {
  echo "$out"
  fail "systemd-analyze verify failed"
}
[[ -z $out ]] || {
  echo "$out"
  fail "systemd-analyze verify warns"
}

note "the units' command lines"
$PY - "$SRC/tests/packaging" "$DEBROOT" <<'PYEOF'
import configparser, shlex, sys
sys.path.insert(0, sys.argv[1])
import cli_check
root = sys.argv[2]
iptmode = root + "/usr/sbin/iptmode"

def unit(name):
    c = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    c.optionxform = str
    c.read(f"{root}/usr/lib/systemd/system/{name}")
    return c

errors = []
def expect(cond, msg):
    if not cond:
        errors.append(msg)

watch = unit("iptmode-shim-watch.service")
argv = shlex.split(watch["Service"]["ExecStart"])
expect(argv[0] == "/usr/sbin/iptmode", f"watch runs {argv[0]}")
expect(argv[1:] == ["shim", "watch", "--bin-dir", "/var/lib/k0s/bin"], f"watch: {argv}")
errors += cli_check.check(iptmode, argv[1:])
expect(watch["Service"].get("Restart") == "always", "the watch does not restart")
expect("/var/lib/k0s/bin" in watch["Service"].get("ReadWritePaths", ""), "the watch cannot write the bin dir")
expect(watch["Install"].get("WantedBy") == "multi-user.target", "watch [Install]")

audit = unit("iptmode-audit.service")
argv = shlex.split(audit["Service"]["ExecStart"])
expect(argv[:2] == ["/usr/sbin/iptmode", "audit"], f"audit: {argv}")
errors += cli_check.check(iptmode, argv[1:])
textfile = argv[argv.index("--prometheus") + 1] if "--prometheus" in argv else ""
expect(textfile == "/var/lib/prometheus/node-exporter/iptmode.prom", f"audit writes {textfile!r}")
tdir = textfile.rsplit("/", 1)[0]
expect(audit["Unit"].get("ConditionPathIsDirectory") == tdir, "the audit does not wait for the textfile dir")
expect(audit["Service"].get("ReadWritePaths") == tdir, "the audit cannot write the textfile dir")
expect(audit["Service"].get("Type") == "oneshot", "the audit is not oneshot")
# 1 = findings (they are in the metrics); 2 = could not run, a failed unit.
expect(audit["Service"].get("SuccessExitStatus") == "1", "findings would fail the unit")
expect("Install" not in audit, "the audit service has its own [Install]; the timer starts it")

timer = unit("iptmode-audit.timer")
expect(timer["Timer"].get("OnCalendar") == "*:0/5", "the timer is not every five minutes")
expect(timer["Install"].get("WantedBy") == "timers.target", "timer [Install]")

for e in errors:
    print("FAIL:", e)
sys.exit(bool(errors))
PYEOF
echo "packaging/units: ok"
