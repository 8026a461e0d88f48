#!/usr/bin/env bash
# packaging/alerts: the Prometheus alert rules pass `promtool check rules`,
# and their unit tests (a healthy node, a split one) pass `promtool test rules`.
source "$(dirname "$0")/lib.sh"
require promtool
dir=$SRC/deploy/prometheus
promtool check rules "$dir/iptmode-alerts.yaml" || fail "promtool check rules"
(cd "$dir" && promtool test rules iptmode-alerts.test.yaml) || fail "promtool test rules"
echo "packaging/alerts: ok"
