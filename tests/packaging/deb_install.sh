#!/usr/bin/env bash
# packaging/deb-install: a real `dpkg -i` of the .deb on this machine. It
# leaves /var/lib/k0s alone, enables nothing, runs from /usr/sbin; an upgrade
# and a downgrade keep the shim and the units the operator enabled; removing
# it puts back k0s's own iptables links and keeps the units' enablement (the
# operator's configuration); purging it drops that too and leaves nothing
# behind.
#
# Where /var/lib/k0s does not exist, the check stages a k0s-like bin dir
# there (the host's xtables binaries, the six names linked to
# xtables-nft-multi) and removes it at the end. Where it exists (a real k0s
# node) the shim part is skipped and /var/lib/k0s is only read.
source "$(dirname "$0")/lib.sh"
require dpkg dpkg-query systemd-analyze man
require_root
deb=$(deb_file)

names=(iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore)
units=(iptmode-shim-watch.service iptmode-audit.service iptmode-audit.timer)
textfile_dir=/var/lib/prometheus/node-exporter
made=()
installed_by_us=0

cleanup() {
  local rc=$?
  if ((installed_by_us)) && dpkg-query -W iptmode >/dev/null 2>&1; then
    IPTMODE_KEEP_SHIM=1 dpkg --purge iptmode >/dev/null 2>&1 || true
  fi
  rm -f /etc/systemd/system/*.wants/iptmode-*
  local d
  for d in "${made[@]}"; do rm -rf "$d"; done
  exit $rc
}
trap cleanup EXIT

if dpkg-query -W -f='${Status}' iptmode 2>/dev/null | grep -c 'ok installed\|config-files' >/dev/null; then
  fail "iptmode is installed on this machine already; this check installs and purges it, so it will not run here"
fi

# What a real install may not change: everything outside dpkg's own books,
# logs and caches (and the trigger-rebuilt man index).
snapshot() {
  find /etc /usr /opt /srv /var -xdev \
    \( -path /var/lib/dpkg -o -path /var/log -o -path /var/cache -o -path /var/tmp \
    -o -path /var/lib/apt -o -path /var/backups -o -path /var/mail -o -path /var/spool \) -prune \
    -o -printf '%p %y %m %u:%g %l\n' | LC_ALL=C sort
}
bin_state() { (cd /var/lib/k0s && find . -printf '%p %y %m %l\n' | LC_ALL=C sort && find . -type f -exec sha256sum {} + | LC_ALL=C sort); }

fake_k0s=0
if [[ ! -e /var/lib/k0s ]]; then
  note "staging a k0s-like bin dir in /var/lib/k0s/bin"
  made+=(/var/lib/k0s)
  install -d -m 0755 /var/lib/k0s /var/lib/k0s/bin
  cp /usr/sbin/xtables-nft-multi /usr/sbin/xtables-legacy-multi /var/lib/k0s/bin/
  for n in "${names[@]}"; do ln -s xtables-nft-multi "/var/lib/k0s/bin/$n"; done
  fake_k0s=1
else
  note "/var/lib/k0s exists (a real k0s node?): it is only read, the shim part is skipped"
fi
if [[ ! -e $textfile_dir ]]; then
  made+=("$textfile_dir")
  install -d -m 0755 "$textfile_dir"
fi

snapshot >"$OUT/before.txt"
bin_state >"$OUT/k0s-before.txt"

note "dpkg -i $(basename "$deb")"
installed_by_us=1
dpkg -i "$deb" >"$OUT/dpkg-install.txt" 2>&1 || {
  cat "$OUT/dpkg-install.txt"
  fail "dpkg -i failed"
}
dpkg-query -W -f='${Status} ${Version}\n' iptmode | grep -cx "install ok installed $VERSION-$RELEASE" >/dev/null ||
  fail "dpkg says: $(dpkg-query -W -f='${Status} ${Version}' iptmode)"
bin_state | diff -u "$OUT/k0s-before.txt" - || fail "installing the package touched /var/lib/k0s"
[[ $(command -v iptmode) == /usr/sbin/iptmode ]] || fail "iptmode on PATH is $(command -v iptmode)"
[[ $(/usr/sbin/iptmode --version) == "$VERSION" ]] || fail "/usr/sbin/iptmode --version: $(/usr/sbin/iptmode --version)"
echo "/usr/sbin/iptmode --version: $(/usr/sbin/iptmode --version)"
for u in "${units[@]}"; do
  ! ls /etc/systemd/system/*.wants/"$u" 2>/dev/null || fail "installing the package enabled $u"
done
dpkg-query -W -f='${Conffiles}\n' iptmode | grep -c '^ /etc/iptmode/iptmode.conf [0-9a-f]\{32\}$' >/dev/null ||
  fail "/etc/iptmode/iptmode.conf is not a registered conffile"
diff -u <(dpkg -L iptmode | LC_ALL=C sort) <(dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's|^\./|/|; s|/$||; s|^$|/.|' | LC_ALL=C sort) ||
  fail "dpkg -L differs from the package's contents"

note "the installed config loads, the installed units verify"
/usr/sbin/iptmode detect --json >"$OUT/detect.json" || fail "iptmode detect fails with the installed /etc/iptmode/iptmode.conf"
$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["mode"] in ("nft","legacy"), d["mode"]; assert d["reasons"][0]["rule"] == "override" and not d["reasons"][0]["decided"], d["reasons"][0]' "$OUT/detect.json" ||
  fail "the installed config overrides the mode (it should say auto)"
out=$(cd / && systemd-analyze verify "${units[@]/#//usr/lib/systemd/system/}" 2>&1) || {
  echo "$out"
  fail "systemd-analyze verify fails on the installed units"
}
[[ -z $out ]] || {
  echo "$out"
  fail "systemd-analyze verify warns on the installed units"
}
man -w iptmode >/dev/null && man -w iptmode-shim >/dev/null || fail "man cannot find iptmode(8) and iptmode-shim(8)"

if ((fake_k0s)); then
  note "iptmode shim install puts /usr/libexec/iptmode/iptmode-shim in place"
  iptmode shim install >"$OUT/shim-install.txt" || fail "iptmode shim install failed: $(cat "$OUT/shim-install.txt")"
  for n in "${names[@]}"; do
    [[ $(readlink "/var/lib/k0s/bin/$n") == iptmode-shim ]] || fail "$n -> $(readlink "/var/lib/k0s/bin/$n")"
  done
  cmp -s /var/lib/k0s/bin/iptmode-shim /usr/libexec/iptmode/iptmode-shim || fail "the shim in the bin dir is not the package's"
  grep -qx 'detector = /usr/sbin/iptmode' /var/lib/k0s/bin/iptmode-shim.conf || fail "the shim's detector is not /usr/sbin/iptmode"
  /var/lib/k0s/bin/iptables -V | grep -c '(nf_tables)\|(legacy)' >/dev/null || fail "iptables through the shim does not run a backend"

  note "reinstalling (an upgrade) keeps the shim in place"
  dpkg -i "$deb" >"$OUT/dpkg-reinstall.txt" 2>&1 || {
    cat "$OUT/dpkg-reinstall.txt"
    fail "dpkg -i (again) failed"
  }
  [[ $(readlink /var/lib/k0s/bin/iptables) == iptmode-shim ]] || fail "an upgrade uninstalled the shim"
fi

note "the operator enables the units; an audit writes the textfile"
systemctl enable iptmode-shim-watch.service iptmode-audit.timer >/dev/null 2>&1 ||
  fail "systemctl enable failed"
ls /etc/systemd/system/*.wants/iptmode-shim-watch.service >/dev/null || fail "enabling made no link"
enabled_links=(/etc/systemd/system/multi-user.target.wants/iptmode-shim-watch.service
  /etc/systemd/system/timers.target.wants/iptmode-audit.timer)

note "an upgrade to a newer revision and a downgrade back keep the units enabled and the shim in place"
# The newer revision: this package with only its version raised.
newer=$OUT/iptmode_$VERSION-$RELEASE.1.deb
rm -rf "$OUT/newer-tree"
dpkg-deb -R "$deb" "$OUT/newer-tree"
sed -i "s/^Version: .*/Version: $VERSION-$RELEASE.1/" "$OUT/newer-tree/DEBIAN/control"
dpkg-deb --root-owner-group -b "$OUT/newer-tree" "$newer" >/dev/null
rm -rf "$OUT/newer-tree"
for step in "upgrade:$newer:$VERSION-$RELEASE.1" "downgrade:$deb:$VERSION-$RELEASE"; do
  IFS=: read -r what pkg want <<<"$step"
  dpkg -i "$pkg" >"$OUT/dpkg-$what.txt" 2>&1 || {
    cat "$OUT/dpkg-$what.txt"
    fail "dpkg -i ($what) failed"
  }
  [[ $(dpkg-query -W -f='${Status} ${Version}' iptmode) == "install ok installed $want" ]] ||
    fail "after the $what, dpkg says: $(dpkg-query -W -f='${Status} ${Version}' iptmode)"
  for l in "${enabled_links[@]}"; do
    [[ -L $l && -e $l ]] || fail "the $what disabled ${l##*/} ($l)"
  done
  if ((fake_k0s)); then
    [[ $(readlink /var/lib/k0s/bin/iptables) == iptmode-shim ]] || fail "the $what uninstalled the shim"
  fi
done
rm -f "$newer"
set +e
iptmode audit --prometheus "$textfile_dir/iptmode.prom" >"$OUT/audit.txt" 2>&1
rc=$?
set -e
((rc == 0 || rc == 1)) || fail "iptmode audit exit $rc: $(cat "$OUT/audit.txt")"
grep -qx 'iptmode_last_run_success 1' "$textfile_dir/iptmode.prom" || fail "no iptmode_last_run_success 1 in the textfile"
# What an audit killed mid-write would leave.
echo partial >"$textfile_dir/.iptmode.prom.tmp.99999"
echo "# edited by the operator" >>/etc/iptmode/iptmode.conf

note "dpkg -r: k0s's links back, the edited conffile and the units' enablement kept"
dpkg -r iptmode >"$OUT/dpkg-remove.txt" 2>&1 || {
  cat "$OUT/dpkg-remove.txt"
  fail "dpkg -r failed"
}
cat "$OUT/dpkg-remove.txt"
dpkg-query -W -f='${Status}\n' iptmode | grep -cx 'deinstall ok config-files' >/dev/null || fail "dpkg status after remove: $(dpkg-query -W -f='${Status}' iptmode)"
[[ ! -e /usr/sbin/iptmode ]] || fail "/usr/sbin/iptmode survived dpkg -r"
[[ -f /etc/iptmode/iptmode.conf ]] || fail "dpkg -r removed the conffile"
# Enabling is the operator's configuration: Debian keeps it over a remove
# (deb-systemd-helper's convention) and drops it at purge. The links dangle
# meanwhile; a reinstall finds them in place.
for l in "${enabled_links[@]}"; do
  [[ -L $l ]] || fail "dpkg -r disabled ${l##*/} ($l is gone)"
done
if ((fake_k0s)); then
  for n in "${names[@]}"; do
    [[ $(readlink "/var/lib/k0s/bin/$n") == xtables-nft-multi ]] || fail "after dpkg -r, $n -> $(readlink "/var/lib/k0s/bin/$n")"
  done
  ! ls /var/lib/k0s/bin/iptmode-shim* 2>/dev/null || fail "the shim's files survived dpkg -r"
fi

note "dpkg -i over the removed package: the units are enabled as before"
dpkg -i "$deb" >"$OUT/dpkg-reinstall-removed.txt" 2>&1 || {
  cat "$OUT/dpkg-reinstall-removed.txt"
  fail "dpkg -i after dpkg -r failed"
}
for l in "${enabled_links[@]}"; do
  [[ -L $l && -e $l ]] || fail "after a reinstall, ${l##*/} is not enabled ($l)"
done
if ((fake_k0s)); then
  # The reinstall put no shim in place; the removal below has none to take out.
  [[ $(readlink /var/lib/k0s/bin/iptables) == xtables-nft-multi ]] || fail "a reinstall touched the bin dir"
fi
dpkg -r iptmode >"$OUT/dpkg-remove-2.txt" 2>&1 || {
  cat "$OUT/dpkg-remove-2.txt"
  fail "dpkg -r (again) failed"
}

note "dpkg --purge: the units' enablement and everything else gone"
dpkg --purge iptmode >"$OUT/dpkg-purge.txt" 2>&1 || {
  cat "$OUT/dpkg-purge.txt"
  fail "dpkg --purge failed"
}
installed_by_us=0
for l in "${enabled_links[@]}"; do
  [[ ! -L $l ]] || fail "dpkg --purge left ${l##*/} enabled ($l)"
done
! dpkg-query -W iptmode >/dev/null 2>&1 || fail "dpkg still knows iptmode: $(dpkg-query -W -f='${Status}' iptmode)"
snapshot >"$OUT/after.txt"
diff -u "$OUT/before.txt" "$OUT/after.txt" || fail "install, remove and purge left changes behind (- before, + after)"
bin_state | diff -u "$OUT/k0s-before.txt" - || fail "/var/lib/k0s is not as it was before the install"
echo "packaging/deb-install: ok"
