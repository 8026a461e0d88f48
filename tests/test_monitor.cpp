// iptmode monitor against the real kernel: a fresh network namespace per
// case, a component rooted in a real Debian root (bookworm, iptables 1.8.9)
// that runs the real iptables-legacy -w and iptables-nft, and the monitor's
// JSON lines read as they come (no sleeps: a bounded read until the line).
// Each case points iptables and the monitor at its own lock file
// (XTABLES_LOCKFILE, which iptables 1.8.9 honours), never the host's.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "tests/support/as_nobody.h"
#include "tests/support/kernel_snapshot.h"
#include "tests/support/netns.h"
#include "tests/support/real_roots.h"
#include "tests/support/rooted_process.h"
#include "tests/support/run.h"
#include "tests/support/temp_dir.h"
#include "tests/support/validate_json.h"

using namespace iptmode::test;
using nlohmann::json;

namespace {

constexpr auto kLineWait = std::chrono::seconds(20);

// Every complete line the monitor printed against
// docs/schema/monitor-v1.schema.json, in one validator run (one file a line).
void check_lines_schema(const std::string& out) {
  TempDir dir{"iptmode-monitor-lines"};
  std::vector<std::string> argv{"/usr/bin/python3", kValidateJson, "--schema",
                                "iptmode.monitor/v1"};
  std::size_t n = 0;
  for (const auto& l : lines(out.substr(0, out.rfind('\n') + 1)))
    argv.push_back(dir.file("line" + std::to_string(n++) + ".json", l));
  if (n == 0) return;
  RunOptions o;
  o.timeout = std::chrono::seconds(60);
  const RunResult r = run(argv, o);
  if (r.exit_code == 77) {
    MESSAGE("monitor lines not checked against their schema: " << r.err);
    return;
  }
  CHECK_MESSAGE(r.exit_code == 0, "monitor lines do not match docs/schema/monitor-v1.schema.json:\n"
                                      << r.out << r.err);
}

// A running `iptmode monitor --json` in a namespace, its lines parsed as read.
class Monitor {
 public:
  Monitor(const Netns& ns, const std::string& lock, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{IPTMODE_BIN, "monitor", "--json", "--interval", "3600"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    std::vector<std::string> env{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "XTABLES_LOCKFILE=" + lock};
    child_ = spawn(ns.wrap(argv), env);
    wait_for([](const json& j) { return j.value("event", "") == "watch"; });
  }
  ~Monitor() {
    if (child_.pid > 0 && !stopped_) {
      ::kill(child_.pid, SIGKILL);
      buf_ += collect(child_, Clock::now() + std::chrono::seconds(10)).out;
    }
    check_lines_schema(buf_);
  }
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;

  pid_t pid() const { return child_.pid; }

  // The first event from the next unread one on that `match`es; the events
  // before it stay read (they are in `events()`).
  json wait_for(const std::function<bool(const json&)>& match) {
    for (;;) {
      for (; next_ < events_.size(); ++next_)
        if (match(events_[next_])) return events_[next_++];
      const std::size_t have = buf_.size();
      const bool more = read_until(
          child_.out.get(), buf_,
          [&](const std::string& t) { return t.find('\n', have) != std::string::npos; },
          Clock::now() + kLineWait);
      REQUIRE_MESSAGE(more, "monitor: no matching line; read so far:\n" << buf_);
      for (auto nl = buf_.find('\n', parsed_); nl != std::string::npos;
           nl = buf_.find('\n', parsed_)) {
        events_.push_back(json::parse(buf_.substr(parsed_, nl - parsed_)));
        parsed_ = nl + 1;
      }
    }
  }

  // SIGTERM, then the exit code and stderr.
  RunResult stop() {
    ::kill(child_.pid, SIGTERM);
    RunResult r = collect(child_, Clock::now() + std::chrono::seconds(20));
    buf_ += r.out;
    stopped_ = true;
    return r;
  }

  const std::string& out() const { return buf_; }
  const std::vector<json>& events() const { return events_; }

 private:
  Spawned child_;
  std::string buf_;
  std::size_t parsed_ = 0;
  std::vector<json> events_;
  std::size_t next_ = 0;
  bool stopped_ = false;
};

// A per-test lock file, visible inside a component's root through
// /proc/<our pid>/root (the same inode, so the same fanotify mark).
struct LockFile {
  TempDir dir{"iptmode-monitor-lock"};
  std::string path = dir.file("xtables.lock", "");
  std::string from_inside() const { return "/proc/" + std::to_string(::getpid()) + "/root" + path; }
};

// A write run inside the component (its mount and network namespace) as a
// component runs iptables: a child of a process of its own, reaped when
// the test has seen the monitor's line (kube-proxy reaps its
// iptables-restore only after reading its output). The monitor names a
// writer still running, or a zombie through its parent.
class WriteIn {
 public:
  WriteIn(const RootedProcess& c, const std::vector<std::string>& argv) {
    argv_ = {"nsenter",
             "-t",
             std::to_string(c.pid()),
             "-m",
             "-n",
             "sh",
             "-c",
             "\"$@\" & echo $!; read x; wait $!",
             "sh"};
    argv_.insert(argv_.end(), argv.begin(), argv.end());
    child_ = spawn(argv_);
    std::string out;
    REQUIRE(read_until(
        child_.out.get(), out,
        [](const std::string& t) { return t.find('\n') != std::string::npos; },
        Clock::now() + kLineWait));
    pid_ = std::stoi(out);
  }
  ~WriteIn() {
    if (child_.pid > 0) (void)collect(child_, Clock::now() + std::chrono::seconds(30));
  }
  WriteIn(const WriteIn&) = delete;
  WriteIn& operator=(const WriteIn&) = delete;

  pid_t pid() const { return pid_; }
  // Lets the shell reap the write; it must have succeeded.
  void finish() {
    RunResult r = collect(child_, Clock::now() + std::chrono::seconds(30), "\n");
    CHECK_MESSAGE(r.exit_code == 0, describe(argv_) << ": " << r.err);
  }

 private:
  std::vector<std::string> argv_;
  Spawned child_;
  pid_t pid_ = -1;
};

auto write_to(std::string backend, std::string chain) {
  return [=](const json& j) {
    return j.value("event", "") == "write" && j.value("backend", "") == backend &&
           j["chain"].is_string() && j["chain"] == chain && j.value("rules_added", 0) > 0;
  };
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("monitor: each write names its writer, component, backend and chain, in order") {
  if (!require_root()) return;
  auto root = real_root("bookworm");
  if (!root) return;
  Netns ns;
  LockFile lock;
  TempDir prom{"iptmode-monitor-prom"};
  const std::string textfile = (prom / "iptmode.prom").string();
  RootedProcess kp(*root, ns, "kube-proxy");
  Monitor m(ns, lock.path, {"--mode", "nft", "--prometheus", textfile});
  const json& first = m.events().front();
  CHECK(first["event"] == "start");
  CHECK(first["schema"] == "iptmode.monitor/v1");
  CHECK(first["text"].get<std::string>().starts_with("decision: nft (override)"));
  CHECK(m.events().at(1)["text"].get<std::string>().starts_with("audit: "));

  const std::string env = "XTABLES_LOCKFILE=" + lock.from_inside();
  // 1. The decided backend: ok.
  WriteIn w1(kp, {"env", env, "iptables-nft", "-A", "INPUT", "-s", "10.1.0.0/16", "-j", "ACCEPT"});
  const pid_t nft_pid = w1.pid();
  json e = m.wait_for(write_to("nft", "INPUT"));
  w1.finish();
  INFO("the stream: " << m.out());
  CHECK(e["pid"] == nft_pid);
  CHECK(e["comm"] == "iptables-nft");
  CHECK(e["component"] == "kube-proxy");
  // Read live, by its mount namespace; or, when it had already exited, as a
  // zombie through its parent's.
  CHECK((e["component_via"] == "mount-ns" || e["component_via"] == "parent-mount-ns"));
  CHECK(e["family"] == "ip");
  CHECK(e["table"] == "filter");
  CHECK(e["source"] == "netlink");
  CHECK(e["iptables_table"] == true);
  CHECK(e["verdict"] == "ok");
  CHECK(e["generation"].is_number());

  // 2. The stale backend, under the lock: wrong-backend, by that pid.
  WriteIn w2(kp, {"env", env, "iptables-legacy", "-w", "-A", "OUTPUT", "-j", "ACCEPT"});
  const pid_t legacy_pid = w2.pid();
  e = m.wait_for(write_to("legacy", "OUTPUT"));
  w2.finish();
  CHECK(e["pid"] == legacy_pid);
  CHECK(e["comm"] == "iptables-legacy");
  CHECK(e["component"] == "kube-proxy");
  CHECK(e["component_via"] == "mount-ns");  // the open waited for the monitor: read live
  CHECK(e["exited"] == false);
  CHECK(e["table"] == "filter");
  CHECK(e["source"] == "lock");
  CHECK(e["verdict"] == "wrong-backend");
  const std::string metrics = slurp(textfile);
  CHECK(metrics.find("iptmode_wrong_backend_writes_total{component=\"kube-proxy\"} ") !=
        std::string::npos);

  // 3. A new chain by iptables-nft: ok. Then a native nftables table (the
  // host's nft): ok, and not an iptables table.
  WriteIn w3(kp, {"env", env, "iptables-nft", "-t", "nat", "-N", "KUBE-X"});
  const pid_t chain_pid = w3.pid();
  e = m.wait_for([](const json& j) {
    return j.value("event", "") == "write" && j.value("operation", "") == "add-chain" &&
           j["chain"] == "KUBE-X";
  });
  w3.finish();
  CHECK(e["pid"] == chain_pid);
  CHECK(e["table"] == "nat");
  CHECK(e["verdict"] == "ok");
  ns.exec_ok({"nft", "add table inet native"});
  e = m.wait_for([](const json& j) {
    return j.value("operation", "") == "add-table" && j["table"] == "native";
  });
  CHECK(e["family"] == "inet");
  CHECK(e["comm"] == "nft");
  CHECK(e["iptables_table"] == false);
  CHECK(e["verdict"] == "ok");

  // 4. Legacy again, nat: wrong-backend again; the stream kept the order.
  WriteIn w4(
      kp, {"env", env, "iptables-legacy", "-w", "-t", "nat", "-A", "POSTROUTING", "-j", "RETURN"});
  const pid_t legacy2 = w4.pid();
  e = m.wait_for(write_to("legacy", "POSTROUTING"));
  w4.finish();
  CHECK(e["pid"] == legacy2);
  CHECK(e["verdict"] == "wrong-backend");

  const std::vector<pid_t> ours{nft_pid, legacy_pid, chain_pid, legacy2};
  std::vector<pid_t> order;
  for (const auto& j : m.events())
    if (j.value("event", "") == "write" && j["pid"].is_number()) {
      const pid_t p = j["pid"].get<pid_t>();
      if (std::ranges::find(ours, p) != ours.end() && (order.empty() || order.back() != p))
        order.push_back(p);
    }
  CHECK(order == ours);

  RunResult r = m.stop();
  CHECK(r.exit_code == 0);
  CHECK(m.out().find("\"event\":\"stop\"") != std::string::npos);
}

TEST_CASE("monitor: a native nft rule in an iptables-nft table is a foreign-rule, by its writer") {
  if (!require_root()) return;
  Netns ns;
  LockFile lock;
  Monitor m(ns, lock.path, {"--mode", "nft"});
  // iptables-nft's own rule: ok (it also makes the table and chain).
  ns.exec_ok({"iptables-nft", "-A", "INPUT", "-s", "10.9.0.0/16", "-j", "ACCEPT"});
  json e = m.wait_for(write_to("nft", "INPUT"));
  CHECK(e["comm"] == "iptables-nft");
  CHECK(e["verdict"] == "ok");
  CHECK(e["foreign"].is_null());
  // A native rule there (ip netns exec execs nft: the spawned pid is nft's).
  Spawned nft = spawn(
      ns.wrap({"nft", "add rule ip filter INPUT ct state established,related counter accept"}));
  const pid_t nft_pid = nft.pid;
  e = m.wait_for(write_to("nft", "INPUT"));
  const RunResult r = collect(nft, Clock::now() + std::chrono::seconds(30));
  INFO("the stream: " << m.out());
  CHECK(r.exit_code == 0);
  CHECK(e["pid"] == nft_pid);
  CHECK(e["comm"] == "nft");
  CHECK(e["operation"] == "add-rule");
  CHECK(e["iptables_table"] == true);
  CHECK(e["verdict"] == "foreign-rule");
  REQUIRE(e["foreign"].is_object());
  CHECK(e["foreign"]["expr"] == "ct");
  CHECK(e["foreign"]["outcome"].is_string());
  CHECK(e["foreign"]["outcome"] != "ok");
  CHECK(e["foreign"]["rules"] == 1);
  // The same rule in a native table is nobody's business but nft's: ok.
  ns.exec_ok(
      {"nft", "add table ip own; add chain ip own c; add rule ip own c ct state new accept"});
  e = m.wait_for(
      [](const json& j) { return j.value("operation", "") == "add-rule" && j["table"] == "own"; });
  CHECK(e["verdict"] == "ok");
  CHECK(e["foreign"].is_null());
  CHECK(m.stop().exit_code == 0);
}

TEST_CASE("monitor: a legacy writer that bypasses the lock is found by the periodic check") {
  if (!require_root()) return;
  Netns ns;
  LockFile lock, elsewhere;
  Monitor m(ns, lock.path, {"--mode", "nft"});
  ns.exec_ok({"env", "XTABLES_LOCKFILE=" + elsewhere.path, "iptables-legacy", "-w", "-A", "FORWARD",
              "-j", "DROP"});
  // SIGUSR1 runs the periodic check now (--interval is an hour here).
  ::kill(m.pid(), SIGUSR1);
  json e = m.wait_for(write_to("legacy", "FORWARD"));
  CHECK(e["source"] == "periodic");
  CHECK(e["pid"].is_null());
  CHECK(e["component"].is_null());
  CHECK(e["verdict"] == "wrong-backend");
  CHECK(m.stop().exit_code == 0);
}

TEST_CASE("monitor: a burst that overflows the socket buffer gives one re-read and the state") {
  if (!require_root()) return;
  Netns ns;
  LockFile lock;
  Monitor m(ns, lock.path, {"--mode", "nft", "--netlink-rcvbuf", "4096"});
  constexpr int kRules = 5000;
  std::string restore = "*filter\n:BURST - [0:0]\n";
  for (int i = 0; i < kRules; ++i)
    restore += "-A BURST -s 10." + std::to_string(i / 250) + "." + std::to_string(i % 250) +
               ".1/32 -j ACCEPT\n";
  restore += "COMMIT\n";
  RunOptions with_input;
  with_input.stdin_text = restore;
  ns.exec_ok({"iptables-nft-restore", "--noflush"}, with_input);
  json resync = m.wait_for([](const json& j) { return j.value("event", "") == "resync"; });
  CHECK(resync["nft_rules"] == kRules);
  // A marker after the burst: everything up to it has been handled.
  ns.exec_ok({"iptables-nft", "-N", "MARKER"});
  (void)m.wait_for([](const json& j) {
    return j.value("operation", "") == "add-chain" && j["chain"] == "MARKER";
  });
  const auto resyncs = std::ranges::count_if(
      m.events(), [](const json& j) { return j.value("event", "") == "resync"; });
  CHECK(resyncs == 1);
  // What the re-read reported is what the kernel holds.
  const auto saved = lines(ns.exec_ok({"iptables-nft-save"}).out);
  CHECK(std::ranges::count_if(saved, [](const std::string& l) { return l.starts_with("-A "); }) ==
        kRules);
  CHECK(m.stop().exit_code == 0);
}

TEST_CASE("monitor: read-only, exit 0 on SIGTERM") {
  if (!require_root()) return;
  Netns ns;
  LockFile lock;
  ns.exec_ok({"iptables-nft", "-A", "INPUT", "-j", "ACCEPT"});
  ns.exec_ok({"iptables-legacy", "-w", "-t", "mangle", "-A", "OUTPUT", "-j", "ACCEPT"});
  ns.exec_ok({"nft", "add table inet mine; add chain inet mine c"});
  struct stat before_lock {};
  REQUIRE(::stat(lock.path.c_str(), &before_lock) == 0);
  const std::string before = kernel_snapshot(ns);
  {
    Monitor m(ns, lock.path);
    ::kill(m.pid(), SIGUSR1);  // a periodic check too, before SIGTERM (signalfd: lowest first)
    RunResult r = m.stop();
    CHECK(r.exit_code == 0);
    CHECK(r.err.empty());
  }
  CHECK(kernel_snapshot(ns) == before);
  struct stat after_lock {};
  REQUIRE(::stat(lock.path.c_str(), &after_lock) == 0);
  CHECK(after_lock.st_mtim.tv_nsec == before_lock.st_mtim.tv_nsec);
  CHECK(after_lock.st_size == 0);
}

TEST_CASE("monitor: without CAP_NET_ADMIN it cannot subscribe: exit 2, one line") {
  if (!require_root()) return;
  Netns ns;
  RunnableCopies copies;
  RunResult r = ns.exec(as_nobody({copies(IPTMODE_BIN), "monitor"}));
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK(lines(r.err).size() == 1);
  CHECK(r.err.find("cannot subscribe to nf_tables notifications") != std::string::npos);
  CHECK(r.err.find("CAP_NET_ADMIN") != std::string::npos);
}
