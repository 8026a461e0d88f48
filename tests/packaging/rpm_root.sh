#!/usr/bin/env bash
# packaging/rpm-root: the .rpm installed with `rpm --root` into a scratch
# root: its files, modes and owners on disk and in rpm's database, %config
# only on /etc/iptmode/iptmode.conf; its scriptlets run (chrooted) and, on
# erase, put back k0s's own iptables links; after the erase nothing of it
# remains.
#
# The scratch root holds what the scriptlets and `iptmode shim uninstall`
# need to run chrooted: /bin/sh (dash), rm, rmdir, iptmode's shared
# libraries and /dev/null, and the directories a distribution's filesystem
# package owns. rpm's database there knows no other package, so the install
# and erase use --nodeps.
source "$(dirname "$0")/lib.sh"
require rpm dash ldd
require_root
rpmf=$(rpm_file)
[[ -x $DEBROOT/usr/sbin/iptmode ]] || fail "no unpacked .deb in $DEBROOT (did packaging/build pass?)"

root=$OUT/rpm-scratch
rm -rf "$root"
install -d -m 0755 "$root"
cleanup() { local rc=$?; rm -rf "$root"; exit $rc; }
trap cleanup EXIT
for d in bin dev etc usr usr/sbin usr/libexec usr/lib usr/lib/systemd usr/lib/systemd/system \
  usr/share usr/share/doc usr/share/licenses \
  usr/share/man usr/share/man/man8 var var/lib var/tmp var/lib/rpm tmp; do
  install -d -m 0755 "$root/$d"
done
chmod 1777 "$root/tmp" "$root/var/tmp"
mknod -m 0666 "$root/dev/null" c 1 3
cp "$(command -v dash)" "$root/bin/sh"
cp "$(command -v rm)" "$(command -v rmdir)" "$root/bin/"
for lib in $(ldd "$DEBROOT/usr/sbin/iptmode" "$(command -v dash)" "$(command -v rm)" |
  awk '/=> \// {print $3} /^\t\/.*ld-linux/ {print $1}' | sort -u); do
  install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
done
chroot "$root" /bin/sh -c 'rm --version >/dev/null' || fail "the scratch root cannot run rm"

# A k0s-like bin dir, the shim installed in it and a recorded decision.
bin=$root/var/lib/k0s/bin
install -d -m 0755 "$root/var/lib/k0s" "$bin"
cp /usr/sbin/xtables-nft-multi /usr/sbin/xtables-legacy-multi "$bin/"
names=(iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore)
for n in "${names[@]}"; do ln -s xtables-nft-multi "$bin/$n"; done

# Debian's rpm says on stderr that it should not be used to install packages.
rpmq() {
  rpm --root "$root" --dbpath /var/lib/rpm "$@" 2>&1 |
    { grep -v '^rpm: RPM should not be used directly\|^rpm: However assuming' || true; }
}
rpm --root "$root" --dbpath /var/lib/rpm --initdb
( cd "$root" && find . -path ./var/lib/rpm -prune -o -printf '%p %y %m %u:%g %l\n' | LC_ALL=C sort ) >"$OUT/rpm-before.txt"

note "rpm --root … -i $(basename "$rpmf")"
rpmq -i --nodeps "$rpmf" | tee "$OUT/rpm-install.txt"
rpm --root "$root" --dbpath /var/lib/rpm -q iptmode >/dev/null 2>&1 || fail "rpm did not install iptmode"
[[ $(chroot "$root" /usr/sbin/iptmode --version) == "$VERSION" ]] || fail "the installed iptmode does not run"

note "files on disk: modes and owners as the package says (rpm -V)"
out=$(rpmq -V --nodeps iptmode) || {
  echo "$out"
  fail "rpm -V iptmode reports differences"
}
[[ -z $out ]] || {
  echo "$out"
  fail "rpm -V iptmode reports differences"
}
rpmq -qlv iptmode | tee "$OUT/rpm-qlv.txt"
awk '{ if ($3 != "root" || $4 != "root") { print "not root:root: " $0; bad = 1 } } END { exit bad }' "$OUT/rpm-qlv.txt" ||
  fail "a file is not owned by root:root"
stat_of() { stat -c '%A %U:%G' "$root$1"; }
[[ $(stat_of /usr/sbin/iptmode) == "-rwxr-xr-x root:root" ]] || fail "/usr/sbin/iptmode: $(stat_of /usr/sbin/iptmode)"
[[ $(stat_of /usr/libexec/iptmode/iptmode-shim) == "-rwxr-xr-x root:root" ]] || fail "iptmode-shim: $(stat_of /usr/libexec/iptmode/iptmode-shim)"
[[ $(stat_of /etc/iptmode/iptmode.conf) == "-rw-r--r-- root:root" ]] || fail "iptmode.conf: $(stat_of /etc/iptmode/iptmode.conf)"
[[ $(stat_of /etc/iptmode) == "drwxr-xr-x root:root" ]] || fail "/etc/iptmode: $(stat_of /etc/iptmode)"
for f in "$root"/usr/lib/systemd/system/iptmode-* "$root"/usr/lib/firewalld/services/k0s-*.xml; do
  [[ $(stat -c '%a %U' "$f") == "644 root" ]] || fail "${f#"$root"}: $(stat -c '%a %U' "$f")"
done
[[ $(rpmq -qc iptmode) == /etc/iptmode/iptmode.conf ]] || fail "config files: $(rpmq -qc iptmode)"
[[ -z $(rpmq -ql iptmode | grep '^/var') ]] || fail "the package ships files under /var"
for d in /usr/sbin /var /var/lib /usr /etc /usr/libexec /usr/lib/systemd/system; do
  ! rpmq -qf "$d" | grep -c '^iptmode' >/dev/null || fail "the package claims $d"
done
# firewalld's directories: co-owned (no firewalld-filesystem on SUSE), so an
# erase takes them away where no other package has them.
for d in /usr/lib/firewalld /usr/lib/firewalld/services; do
  rpmq -qf "$d" | grep -c '^iptmode' >/dev/null || fail "the package does not own $d"
done
bin_links() { for n in "${names[@]}"; do echo "$n -> $(readlink "$bin/$n")"; done; ls "$bin" | LC_ALL=C sort; }
[[ $(readlink "$bin/iptables") == xtables-nft-multi ]] || fail "installing the package touched /var/lib/k0s/bin"

note "the shim in place, then rpm -e: k0s's links back"
"$DEBROOT/usr/sbin/iptmode" shim install --bin-dir "$bin" --shim "$root/usr/libexec/iptmode/iptmode-shim" >/dev/null ||
  fail "iptmode shim install failed"
"$DEBROOT/usr/sbin/iptmode" detect --write --bin-dir "$bin" >/dev/null || fail "iptmode detect --write failed"
mode=$(sed -n 's/^mode //p' "$bin/iptmode-shim.state")
[[ $mode == nft || $mode == legacy ]] || fail "no mode in the shim's state: $(cat "$bin/iptmode-shim.state")"
[[ $(readlink "$bin/iptables") == iptmode-shim ]] || fail "the shim is not in place"
install -d -m 0755 "$root/var/lib/prometheus" "$root/var/lib/prometheus/node-exporter"
echo 'iptmode_last_run_success 1' >"$root/var/lib/prometheus/node-exporter/iptmode.prom"
echo partial >"$root/var/lib/prometheus/node-exporter/.iptmode.prom.tmp.99999"
rpmq -e --nodeps iptmode | tee "$OUT/rpm-erase.txt"
! rpm --root "$root" --dbpath /var/lib/rpm -q iptmode >/dev/null 2>&1 || fail "rpm -e did not erase iptmode"
grep -q 'uninstalled; the names link to' "$OUT/rpm-erase.txt" || fail "%preun did not run iptmode shim uninstall"
for n in "${names[@]}"; do
  [[ $(readlink "$bin/$n") == "xtables-$mode-multi" ]] || fail "after rpm -e, $n -> $(readlink "$bin/$n")"
done
! ls "$bin"/iptmode-shim* 2>/dev/null || fail "the shim's files survived rpm -e"
[[ ! -e $root/var/lib/prometheus/node-exporter/iptmode.prom ]] || fail "%postun left iptmode.prom"
[[ ! -e $root/var/lib/prometheus/node-exporter/.iptmode.prom.tmp.99999 ]] || fail "%postun left a partial iptmode.prom"
rmdir "$root/var/lib/prometheus/node-exporter" "$root/var/lib/prometheus"
if [[ $mode == legacy ]]; then for n in "${names[@]}"; do ln -sfn xtables-nft-multi "$bin/$n"; done; fi

note "after the erase, the scratch root is as it was"
( cd "$root" && find . -path ./var/lib/rpm -prune -o -printf '%p %y %m %u:%g %l\n' | LC_ALL=C sort ) >"$OUT/rpm-after.txt"
diff -u "$OUT/rpm-before.txt" "$OUT/rpm-after.txt" || fail "rpm -i and rpm -e left changes behind (- before, + after)"
echo "packaging/rpm-root: ok"
