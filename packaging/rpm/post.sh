# iptmode %post: tell a running systemd about the new units. Nothing is
# enabled or started, and /var/lib/k0s is not touched (see iptmode(8)).
if [ -d /run/systemd/system ]; then
    systemctl --system daemon-reload >/dev/null 2>&1 || :
fi
