#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "monitor/attribution.h"
#include "monitor/metrics.h"
#include "monitor/render.h"

using namespace iptmode;
using namespace iptmode::monitor;

namespace {

Event legacy_write() {
  Event e;
  e.time_us = 1764586140123456;  // 2025-12-01T10:49:00.123456Z
  e.backend = Mode::legacy;
  e.family = "ip";
  e.table = "filter";
  e.chain = "INPUT";
  e.op = Operation::change_rules;
  e.rules_added = 2;
  e.iptables_table = true;
  e.source = Source::lock;
  e.writer = {1234,
              "iptables-legacy",
              "/usr/sbin/xtables-legacy-multi",
              "kube-proxy",
              "mount-ns",
              4026532000,
              "/",
              false};
  e.verdict = Verdict::wrong_backend;
  return e;
}

}  // namespace

TEST_CASE("render: a write as one text line") {
  CHECK(format_time(1764586140123456) == "2025-12-01T10:49:00.123456Z");
  CHECK(event_text(legacy_write()) ==
        "2025-12-01T10:49:00.123456Z write legacy ip filter INPUT change-rules +2 by pid=1234 "
        "comm=iptables-legacy component=kube-proxy (mount-ns) mnt=4026532000 via lock "
        "verdict=wrong-backend\n");
  Event u = legacy_write();
  u.writer = {};
  u.source = Source::periodic;
  u.chain = "EVIL\x1b[2J";
  CHECK(event_text(u) ==
        "2025-12-01T10:49:00.123456Z write legacy ip filter EVIL\\x1b[2J change-rules +2 by "
        "unattributed via periodic verdict=wrong-backend\n");
}

TEST_CASE("render: JSON lines carry the schema and every field") {
  const std::string line = event_json(legacy_write());
  REQUIRE(line.ends_with("\n"));
  CHECK(line.find('\n') == line.size() - 1);
  const auto j = nlohmann::json::parse(line);
  CHECK(j["schema"] == "iptmode.monitor/v1");
  CHECK(j["event"] == "write");
  CHECK(j["backend"] == "legacy");
  CHECK(j["chain"] == "INPUT");
  CHECK(j["operation"] == "change-rules");
  CHECK(j["pid"] == 1234);
  CHECK(j["component"] == "kube-proxy");
  CHECK(j["component_via"] == "mount-ns");
  CHECK(j["mount_ns"] == 4026532000);
  CHECK(j["generation"].is_null());
  CHECK(j["verdict"] == "wrong-backend");
  CHECK(j["mode"] == "nft");
  Event s;
  s.kind = EventKind::resync;
  s.text = "lost";
  s.nft_rules = 5;
  s.legacy_rules = 0;
  const auto r = nlohmann::json::parse(event_json(s));
  CHECK(r["event"] == "resync");
  CHECK(r["text"] == "lost");
  CHECK(r["nft_rules"] == 5);
  CHECK(r["legacy_rules"] == 0);
}

TEST_CASE("render: a foreign rule names its expression and outcome") {
  Event e = legacy_write();
  e.backend = Mode::nft;
  e.op = Operation::add_rule;
  e.rules_added = 1;
  e.generation = 9;
  e.foreign = ReadbackVerdict{Readback::fail, "ct", "the save stops"};
  e.foreign_rules = 1;
  e.verdict = Verdict::foreign_rule;
  CHECK(event_text(e).ends_with("verdict=foreign-rule (1 of them fail: ct)\n"));
  const auto j = nlohmann::json::parse(event_json(e));
  CHECK(j["foreign"]["expr"] == "ct");
  CHECK(j["foreign"]["outcome"] == "fail");
  CHECK(j["foreign"]["rules"] == 1);
  CHECK(nlohmann::json::parse(event_json(legacy_write()))["foreign"].is_null());
}

TEST_CASE("metrics: wrong-backend writes by component, and the last time") {
  WrongBackendMetrics m;
  CHECK(m.text().find("iptmode_monitor_last_wrong_backend_timestamp_seconds 0.000000\n") !=
        std::string::npos);
  Event e = legacy_write();
  m.count(e);
  m.count(e);
  e.writer.component.clear();
  m.count(e);
  const std::string t = m.text();
  CHECK(t.find("iptmode_wrong_backend_writes_total{component=\"kube-proxy\"} 2\n") !=
        std::string::npos);
  CHECK(t.find("iptmode_wrong_backend_writes_total{component=\"none\"} 1\n") != std::string::npos);
  CHECK(t.find("iptmode_monitor_last_wrong_backend_timestamp_seconds 1764586140.123456\n") !=
        std::string::npos);
}

TEST_CASE("attribution: the parent pid from /proc/PID/stat, whatever the comm holds") {
  CHECK(parse_ppid("123 (iptables) S 45 123 123 0") == 45);
  CHECK(parse_ppid("123 (a) b) (c) R 7 1") == 7);
  CHECK(parse_ppid("123 (x") == 0);
  CHECK(parse_ppid("") == 0);
}
