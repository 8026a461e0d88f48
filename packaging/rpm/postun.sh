# iptmode %postun: after an erase ($1 = 0), remove what iptmode made at run
# time: the metrics file and any links that enabled its units outside
# systemctl's knowledge. rpm itself removes /etc/iptmode/iptmode.conf (kept
# as .rpmsave if edited). After an upgrade ($1 >= 1), as
# %systemd_postun_with_restart expands: a watch the operator runs restarts
# on the new binaries; a stopped watch stays stopped.
if [ "$1" -eq 0 ]; then
    textfile_dir=/var/lib/prometheus/node-exporter
    rm -f "$textfile_dir/iptmode.prom" "$textfile_dir"/.iptmode.prom.tmp.*
    for unit in iptmode-shim-watch.service iptmode-audit.timer iptmode-audit.service; do
        rm -f /etc/systemd/system/*.wants/"$unit"
    done
fi
if [ -x /usr/lib/systemd/systemd-update-helper ]; then
    # Marked here, restarted by systemd's file trigger once the transaction is done.
    if [ "$1" -ge 1 ]; then
        /usr/lib/systemd/systemd-update-helper mark-restart-system-units iptmode-shim-watch.service || :
    fi
elif [ -d /run/systemd/system ]; then
    systemctl --system daemon-reload >/dev/null 2>&1 || :
    if [ "$1" -ge 1 ]; then
        systemctl try-restart iptmode-shim-watch.service >/dev/null 2>&1 || :
    fi
fi
