#!/usr/bin/env bash
# monitor_bench.sh: what `iptmode monitor --json` costs and how fast it
# reports, in a fresh network namespace (never the host's; its own xtables
# lock file, never /run/xtables.lock).
#
# Goals (issue 16), reported, not enforced:
#   (a) a kube-proxy-like resync of RULES rules (default 100,000: one
#       iptables-nft-restore --noflush of a kube-proxy-shaped file, 100 rules
#       per KUBE-SVC-* chain, so each resync flushes and refills every chain)
#       every PERIOD seconds does not make the monitor fall behind: after each
#       restore a marker write (`nft add table ip mbench-N`) must come out of
#       the stream with the generation right after the restore's, with no
#       `resync` (lost notifications) in between. Printed: the notifications
#       handled per second (rules added + deleted + chain operations, over
#       the time from the restore's start to the last line of its
#       generation), and the monitor's CPU per notification (utime+stime from
#       /proc/PID/stat across the restore);
#   (b) a wrong-backend write reported in under 100 ms, median: a real
#       `iptables-legacy -w -A` while the decision is nft (the lock's fanotify
#       path and a libiptc re-read), and a real `iptables-nft -A` while a
#       second monitor's decision is legacy (the netlink path). The latency
#       runs from a timestamp taken right before the writer is started to the
#       moment its line is read from the stream (the driver reads the stream;
#       nothing sleeps to wait for it). Median and p95;
#   (c) idle CPU: utime+stime over IDLE seconds (default 20) with nothing
#       written, and the lines printed meanwhile (goal: ~0 CPU, no line);
#   (d) peak RSS (VmHWM) after everything (bounded memory).
#
# The measuring is done by a python3 driver (written to $tmp) run inside the
# namespace: it starts the monitor as its child, reads its stdout as it
# comes, and times with time.time() right around each write and each read.
#
# It is a benchmark, not a test: a missed goal is reported, not fatal. It
# fails (exit 1) when the state could not be built or the monitor did not
# report what was written; exit 2 means it could not run.
#
# Usage: bench/monitor_bench.sh [--iptmode PATH] [--runs N] [--rules N]
#                               [--period SECONDS] [--idle SECONDS] [--rcvbuf BYTES]
set -euo pipefail
BENCH=monitor_bench

usage() {
  cat <<EOF
Usage: $0 [--iptmode PATH] [--runs N] [--rules N] [--period SECONDS] [--idle SECONDS] [--rcvbuf BYTES]
  --iptmode PATH     iptmode binary to measure (default: <repo>/build/iptmode)
  --runs N           resyncs measured (default: 5); latency samples: 4N per backend
  --rules N          rules of the kube-proxy-like ruleset (default: 100000)
  --period SECONDS   a resync starts every SECONDS (default: 5)
  --idle SECONDS     the idle window (default: 20)
  --rcvbuf BYTES     the monitor's --netlink-rcvbuf (default: the monitor's own, 64 MiB)
Must run as root: it creates a network namespace and loads iptables rules.
EOF
}

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

readonly PER_CHAIN=100 GOAL_LATENCY_MS=100
RUNS=5
RULES=100000
PERIOD=5
IDLE=20
RCVBUF=0
while (($#)); do
  common_arg "$@"
  if ((SHIFT_BY)); then shift "$SHIFT_BY"; continue; fi
  case $1 in
    --rules) (($# >= 2)) || usage_error "--rules needs a number"; RULES=$2; shift 2 ;;
    --period) (($# >= 2)) || usage_error "--period needs seconds"; PERIOD=$2; shift 2 ;;
    --idle) (($# >= 2)) || usage_error "--idle needs seconds"; IDLE=$2; shift 2 ;;
    --rcvbuf) (($# >= 2)) || usage_error "--rcvbuf needs bytes"; RCVBUF=$2; shift 2 ;;
    *) usage_error "unknown argument: $1" ;;
  esac
done
check_common "it creates a network namespace and loads iptables rules"
[[ $RCVBUF =~ ^[0-9]+$ ]] || usage_error "--rcvbuf must be a number of bytes, got '$RCVBUF'"
for v in "$RULES" "$PERIOD" "$IDLE"; do
  [[ $v =~ ^[1-9][0-9]*$ ]] || usage_error "not a positive integer: $v"
done
require_tools ip nft iptables-nft iptables-nft-restore iptables-legacy python3 awk sort
bench_start iptmode-mbench

ns="iptmode-mbench-$$"
netns_add "$ns"
: >"$tmp/xtables.lock"
kube_rules "$RULES" "$PER_CHAIN" filter >"$tmp/rules.nft"

echo "== iptmode monitor: resync throughput, write-to-line latency, idle CPU, memory"
echo "iptmode:   $IPTMODE ($("$IPTMODE" --version 2>/dev/null || echo 'version unknown'))"
echo "iptables:  $(iptables-nft --version)   kernel: $(uname -r)   cpus: $(nproc)"
echo "resync:    iptables-nft-restore --noflush of $RULES rules ($PER_CHAIN per KUBE-SVC-* chain), every $PERIOD s, $RUNS times"
echo "latency:   $((4 * RUNS)) writes per backend; idle window: $IDLE s; netlink rcvbuf: $( ((RCVBUF)) && echo "$RCVBUF bytes" || echo "the monitor's default")"
echo

cat >"$tmp/driver.py" <<'EOF'
import json, os, selectors, subprocess, sys, time

iptmode, tmp, runs, period, idle, rcvbuf = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:7])
LOCK = os.path.join(tmp, "xtables.lock")
ENV = dict(os.environ, XTABLES_LOCKFILE=LOCK)
TICK = os.sysconf("SC_CLK_TCK")


def die(msg):
    print(f"FAIL: {msg}", flush=True)
    sys.exit(1)


class Monitor:
    def __init__(self, mode):
        extra = ["--netlink-rcvbuf", str(rcvbuf)] if rcvbuf else []
        self.p = subprocess.Popen([iptmode, "monitor", "--json", "--mode", mode, "--interval", "3600", *extra],
                                  stdout=subprocess.PIPE, env=ENV)
        os.set_blocking(self.p.stdout.fileno(), False)
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.p.stdout, selectors.EVENT_READ)
        self.buf = b""
        self.lines = []  # (time read, parsed)
        self.next = 0
        self.wait(lambda j: j["event"] == "watch", 120)

    def pump(self, timeout):
        """Reads what is there (waiting at most `timeout` for something);
        False when nothing came."""
        if not self.sel.select(timeout):
            return False
        chunk = os.read(self.p.stdout.fileno(), 1 << 20)
        now = time.time()
        if not chunk:
            die(f"the monitor exited: {self.p.wait()}")
        self.buf += chunk
        *done, self.buf = self.buf.split(b"\n")
        self.lines.extend((now, json.loads(l)) for l in done)
        return True

    def wait(self, match, timeout=60):
        """The first unread line that matches, with the time it was read."""
        end = time.time() + timeout
        while True:
            while self.next < len(self.lines):
                t, j = self.lines[self.next]
                self.next += 1
                if match(j):
                    return t, j
            left = end - time.time()
            if left <= 0:
                die("no matching line from the monitor")
            self.pump(left)

    def cpu_ticks(self):
        with open(f"/proc/{self.p.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime, stime

    def status(self, key):
        with open(f"/proc/{self.p.pid}/status") as f:
            for l in f:
                if l.startswith(key + ":"):
                    return int(l.split()[1])
        return 0

    def stop(self):
        self.p.terminate()
        rc = self.p.wait(30)
        if rc != 0:
            die(f"the monitor exited {rc} on SIGTERM")


def run(argv, stdin=None):
    r = subprocess.run(argv, env=ENV, input=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if r.returncode != 0:
        die(f"{' '.join(argv)}: exit {r.returncode}: {r.stderr.decode()[:300]}")


def out(name, values):
    with open(os.path.join(tmp, name), "w") as f:
        f.writelines(f"{v}\n" for v in values)


rules = open(os.path.join(tmp, "rules.nft"), "rb").read()
run(["iptables-nft-restore"], rules)  # the state kube-proxy starts from
mon = Monitor("nft")

# (c) idle: nothing written; the window is measured, nothing waits on it.
c0, seen0 = mon.cpu_ticks(), len(mon.lines)
end = time.time() + idle
while (left := end - time.time()) > 0:
    mon.pump(left)
idle_ms = (mon.cpu_ticks() - c0) * 1000 / TICK
print(f"idle {idle} s: {idle_ms:.0f} ms CPU, {len(mon.lines) - seen0} lines", flush=True)
out("idle", [f"{idle_ms:.0f} {len(mon.lines) - seen0}"])

# (a) resyncs, one every `period` seconds.
walls, rates, cpus, behind, lost, lags = [], [], [], 0, 0, []
for k in range(runs):
    start = time.time() + (period if k else 0)
    while (left := start - time.time()) > 0:
        mon.pump(left)  # the stream keeps being read while we wait to start
    c0, first = mon.cpu_ticks(), len(mon.lines)
    t0 = time.time()
    run(["iptables-nft-restore", "--noflush"], rules)
    t_done = time.time()
    run(["nft", f"add table ip mbench-{k}"])
    t_marker, marker = mon.wait(lambda j: j.get("operation") == "add-table" and j["table"] == f"mbench-{k}", 120)
    cpu = (mon.cpu_ticks() - c0) * 1000 / TICK
    batch = mon.lines[first:mon.next - 1]
    gens = {j["generation"] for _, j in batch if j["event"] == "write" and j["generation"] is not None}
    resyncs = sum(1 for _, j in batch if j["event"] == "resync")
    lost += resyncs
    msgs = sum(j["rules_added"] + j["rules_deleted"] + (j["operation"] in ("add-chain", "delete-chain"))
               for _, j in batch if j["event"] == "write" and j["source"] == "netlink")
    last_gen = max(gens) if gens else None
    ok = last_gen is not None and marker["generation"] == last_gen + 1 and resyncs == 0
    behind += not ok
    t_last = max((t for t, j in batch if j["event"] == "write" and j["generation"] == last_gen), default=t_marker)
    wall = t_last - t0
    walls.append(int(wall * 1e6))
    lags.append(int(max(0.0, t_last - t_done) * 1e6))
    rates.append(msgs / wall if wall > 0 else 0)
    cpus.append(cpu * 1000 / msgs if msgs else 0)  # us of CPU per notification
    print(f"resync {k + 1}: {msgs} notifications, gen {last_gen}, marker gen {marker['generation']}, "
          f"{len(batch)} lines, {resyncs} lost-notification re-reads; restore {(t_done - t0) * 1000:.0f} ms, "
          f"last line {wall * 1000:.0f} ms after its start ({(t_last - t_done) * 1000:.0f} ms after it ended); "
          f"monitor CPU {cpu:.0f} ms: {'kept up' if ok else 'FELL BEHIND'}", flush=True)
out("resync.wall.us", walls)
out("resync.lag.us", lags)
out("resync.rate", [f"{r:.0f}" for r in rates])
out("resync.cpu_us", [f"{c:.3f}" for c in cpus])
out("resync.behind", [f"{behind} {lost}"])


def latency(mon, argv_of, match_of, undo_of, n, name):
    samples, own = [], []
    for i in range(n):
        t0 = time.time()
        run(argv_of(i))
        own.append(int((time.time() - t0) * 1e6))
        t, j = mon.wait(match_of(i))
        if j["verdict"] != "wrong-backend":
            die(f"write {i}: verdict {j['verdict']}, expected wrong-backend")
        samples.append(int((t - t0) * 1e6))
        run(undo_of(i))
    out(f"lat.{name}.us", samples)
    out(f"lat.{name}.write.us", own)  # the writer's own run, start to exit


def legacy_rule(i, op):
    return ["iptables-legacy", "-w", op, "INPUT", "-s", f"10.250.{i // 250}.{i % 250 + 1}/32", "-j", "ACCEPT"]


def wrote(backend):
    return lambda i: (lambda j: j["event"] == "write" and j["backend"] == backend and j["chain"] == "INPUT"
                      and j["rules_added"] > 0)


n = 4 * runs
latency(mon, lambda i: legacy_rule(i, "-A"), wrote("legacy"), lambda i: legacy_rule(i, "-D"), n, "legacy")
mon2 = Monitor("legacy")
nft_rule = lambda i, op: ["iptables-nft", op, "INPUT", "-s", f"10.251.{i // 250}.{i % 250 + 1}/32", "-j", "ACCEPT"]
latency(mon2, lambda i: nft_rule(i, "-A"), wrote("nft"), lambda i: nft_rule(i, "-D"), n, "nft")
mon2.stop()

out("rss", [f"{mon.status('VmHWM')} {mon.status('VmRSS')}"])
mon.stop()
EOF

ip netns exec "$ns" python3 "$tmp/driver.py" "$IPTMODE" "$tmp" "$RUNS" "$PERIOD" "$IDLE" "$RCVBUF" ||
  fail "the driver failed (above)"
echo

# p95_ms FILE: the 95th percentile (nearest rank) of a file of microseconds, in ms.
p95_ms() {
  sort -n "$1" | awk '{ v[NR] = $1 } END { if (NR == 0) { print "nan"; exit }
    r = int(NR * 0.95 + 0.999999); if (r > NR) r = NR; printf "%.2f\n", v[r] / 1000 }'
}
# median FILE: the median of a file of plain numbers.
median() {
  sort -g "$1" | awk '{ v[NR] = $1 } END { if (NR == 0) { print "nan"; exit }
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f\n", m }'
}

read -r behind lost <"$tmp/resync.behind"
rate=$(median "$tmp/resync.rate")
cpu=$(median "$tmp/resync.cpu_us")
echo "(a) resync of $RULES rules every $PERIOD s, median of $RUNS: $rate notifications/s handled, $cpu us CPU per notification"
echo "    (capacity $(awk -v c="$cpu" 'BEGIN { if (c > 0) printf "%.0f", 1e6 / c; else print "nan" }') notifications per CPU second),"
echo "    last line $(median_ms "$tmp/resync.wall.us") ms after the restore's start, $(median_ms "$tmp/resync.lag.us") ms after its end"
echo "    fell behind in $behind of $RUNS resyncs ($lost lost-notification re-reads) (goal: 0): $(at_most "$behind" 0)"
for b in legacy nft; do
  med=$(median_ms "$tmp/lat.$b.us")
  r=$(ratio "$med" "$GOAL_LATENCY_MS")
  what="iptables-legacy -w -A, decision nft"
  [[ $b == nft ]] && what="iptables-nft -A, decision legacy"
  echo "(b) wrong-backend write to its line ($what), $(wc -l <"$tmp/lat.$b.us") writes: median $med ms, p95 $(p95_ms "$tmp/lat.$b.us") ms;"
  echo "    median / goal ($GOAL_LATENCY_MS ms) = $r (goal < 1): $(at_most "$r" 0.99); the write itself (start to exit): median $(median_ms "$tmp/lat.$b.write.us") ms"
done
read -r idle_ms idle_lines <"$tmp/idle"
share=$(awk -v c="$idle_ms" -v s="$IDLE" 'BEGIN { printf "%.3f", c / (s * 10) }')
echo "(c) idle $IDLE s: $idle_ms ms CPU ($share% of one CPU), $idle_lines lines (goal: ~0 CPU, no line): $(at_most "$idle_lines" 0)"
read -r hwm rss <"$tmp/rss"
echo "(d) peak RSS (VmHWM) $(awk -v k="$hwm" 'BEGIN { printf "%.1f", k / 1024 }') MiB, RSS at the end $(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }') MiB"
exit 0
