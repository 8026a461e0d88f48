# iptmode %preun, as %systemd_preun expands: on erase ($1 = 0) disable and
# stop the units, then put back k0s's own iptables links in its bin dir
# while the iptmode binary is still here. Upgrades ($1 >= 1) keep
# everything in place.
if [ "$1" -eq 0 ]; then
    units="iptmode-shim-watch.service iptmode-audit.timer iptmode-audit.service"
    bin_dir=/var/lib/k0s/bin
    # The watch first (it would put the shim back at once): `disable --now`
    # stops it too.
    if [ -x /usr/lib/systemd/systemd-update-helper ]; then
        /usr/lib/systemd/systemd-update-helper remove-system-units $units || :
    elif command -v systemctl >/dev/null 2>&1; then
        if [ -d /run/systemd/system ]; then
            systemctl --no-reload disable --now $units >/dev/null 2>&1 || :
        else
            systemctl --no-reload disable $units >/dev/null 2>&1 || :
        fi
    fi
    if [ -e "$bin_dir/iptmode-shim" ] && [ -x /usr/sbin/iptmode ]; then
        if ! /usr/sbin/iptmode shim uninstall --bin-dir "$bin_dir"; then
            if [ "${IPTMODE_KEEP_SHIM:-}" = 1 ]; then
                echo "iptmode: IPTMODE_KEEP_SHIM=1: leaving the shim in $bin_dir" >&2
            else
                echo "iptmode: could not put back k0s's own iptables links in $bin_dir (see above)." >&2
                echo "iptmode: fix that and erase the package again, or erase it with" >&2
                echo "iptmode: IPTMODE_KEEP_SHIM=1 to leave the shim in place (k0s relinks the names at its next start)." >&2
                exit 1
            fi
        fi
        # The package goes, and its watch with it: the marker that tells a
        # running watch to leave the names alone has no reader any more.
        rm -f "$bin_dir/iptmode-shim.uninstalled"
    fi
fi
