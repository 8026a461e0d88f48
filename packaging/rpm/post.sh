# iptmode %post, as %systemd_post expands (systemd's macros.systemd; cpack
# has no macros): on first install ($1 = 1) the distribution's presets
# decide whether the units start enabled (RHEL's and Fedora's say disabled
# for units they do not list). /var/lib/k0s is not touched (see iptmode(8)).
units="iptmode-shim-watch.service iptmode-audit.timer"
if [ "$1" -eq 1 ]; then
    if [ -x /usr/lib/systemd/systemd-update-helper ]; then
        /usr/lib/systemd/systemd-update-helper install-system-units $units || :
    elif command -v systemctl >/dev/null 2>&1; then
        systemctl --no-reload preset $units >/dev/null 2>&1 || :
    fi
fi
# systemd's own file trigger reloads it where it has one (systemd 249+);
# older ones need it here.
if [ -d /run/systemd/system ] && [ ! -x /usr/lib/systemd/systemd-update-helper ]; then
    systemctl --system daemon-reload >/dev/null 2>&1 || :
fi
