// iptmode-shim as k0s's iptables: each test stages its own bin dir (copies of
// the host's xtables binaries, the six names linked as k0s links them),
// installs the shim over it and calls the names inside a network namespace of
// its own. Where the test must see which backend ran without touching a packet
// filter, the backends are fake_backend copies that say so on stdout.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <deque>
#include <fstream>
#include <functional>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "shim/names.h"
#include "shim/state.h"
#include "tests/support/as_nobody.h"
#include "tests/support/netns.h"
#include "tests/support/run.h"
#include "tests/support/shim_env.h"

extern char** environ;

namespace iptmode::test {
namespace {

std::vector<std::string> with_args(const BinDir& dir, std::string_view name,
                                   std::vector<std::string> args) {
  args.insert(args.begin(), dir.str(name));
  return args;
}

// `ip netns exec NS DIR/<name> args...`
RunResult call(const Netns& ns, const BinDir& dir, std::string_view name,
               std::vector<std::string> args, const RunOptions& opts = {}) {
  return ns.exec(with_args(dir, name, std::move(args)), opts);
}

// This process's environment plus `extra` ("KEY=value").
std::vector<std::string> env_with(std::initializer_list<std::string> extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) env.emplace_back(*e);
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

void add_hint(const Netns& ns, Mode mode) {
  ns.exec_ok(
      {"iptables-" + std::string(to_string(mode)), "-t", "mangle", "-N", "KUBE-IPTABLES-HINT"});
}

std::string save(const Netns& ns, Mode mode, bool v6 = false) {
  return ns
      .exec_ok(
          {std::string(v6 ? "ip6tables-" : "iptables-") + std::string(to_string(mode)) + "-save"})
      .out;
}

// The shim refused: exit 1, nothing ran (stdout empty), and stderr is one
// line starting "iptmode-shim:" that contains every `needle`.
void check_refused(const RunResult& r, std::initializer_list<std::string_view> needles) {
  CAPTURE(r.err);
  CAPTURE(r.out);
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  const auto ls = lines(r.err);
  REQUIRE(ls.size() == 1);
  CHECK(ls[0].starts_with("iptmode-shim: "));
  CHECK_FALSE(ls[0].starts_with("iptmode-shim: warning:"));
  for (auto n : needles) CHECK_MESSAGE(contains(ls[0], n), "missing \"" << n << "\"");
}

// A directory of fake backends that say which one ran: the trap for tests
// where the real one must not run, or another version is needed.
struct FakeBackends {
  TempDir dir{"iptmode-fake-backends"};
  FakeBackends(std::string_view nft_version = "1.8.9 (nf_tables)",
               std::string_view legacy_version = "1.8.9 (legacy)") {
    put_fake_backend(dir / "xtables-nft-multi", nft_version);
    put_fake_backend(dir / "xtables-legacy-multi", legacy_version);
  }
  fs::path nft() const { return dir / "xtables-nft-multi"; }
  fs::path legacy() const { return dir / "xtables-legacy-multi"; }
  std::string str() const { return dir.path().string(); }
};

}  // namespace

TEST_CASE("shim: a first call decides, and rules land in the decided backend") {
  if (!require_root()) return;
  for (Mode mode : {Mode::legacy, Mode::nft}) {
    CAPTURE(to_string(mode));
    Netns ns;
    BinDir dir;
    add_hint(ns, mode);
    REQUIRE_FALSE(exists_nofollow(dir.state_path()));

    RunResult r = call(ns, dir, "iptables", {"-A", "INPUT", "-s", "10.1.2.3", "-j", "ACCEPT"});
    CHECK_MESSAGE(r.exit_code == 0, r.err);
    CHECK(r.err.empty());

    // The decision is recorded, from the hint.
    auto st = dir.state();
    REQUIRE(st.has_value());
    CHECK(st->mode == mode);
    CHECK(std::string(st->rule) == "hint");
    CHECK(contains(dir.state_text(), "\nmode " + std::string(to_string(mode)) + "\n"));

    // The rule is in that backend and not in the other.
    CHECK(contains(save(ns, mode), "-A INPUT -s 10.1.2.3/32 -j ACCEPT"));
    CHECK_FALSE(contains(save(ns, other(mode)), "10.1.2.3"));

    // The other names follow the same state: ip6tables and iptables-save.
    r = call(ns, dir, "ip6tables", {"-A", "INPUT", "-s", "2001:db8::7", "-j", "ACCEPT"});
    CHECK_MESSAGE(r.exit_code == 0, r.err);
    CHECK(contains(save(ns, mode, true), "-A INPUT -s 2001:db8::7/128 -j ACCEPT"));
    CHECK_FALSE(contains(save(ns, other(mode), true), "2001:db8::7"));
    r = call(ns, dir, "iptables-save", {"-t", "filter"});
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, "-A INPUT -s 10.1.2.3/32 -j ACCEPT"));
    r = call(ns, dir, "ip6tables-save", {"-t", "filter"});
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, "-A INPUT -s 2001:db8::7/128 -j ACCEPT"));

    // The decision stands once made: a hint for the other backend added now
    // does not move later calls.
    add_hint(ns, other(mode));
    r = call(ns, dir, "iptables", {"-A", "INPUT", "-s", "10.4.5.6", "-j", "ACCEPT"});
    CHECK(r.exit_code == 0);
    CHECK(contains(save(ns, mode), "-A INPUT -s 10.4.5.6/32 -j ACCEPT"));
    CHECK(dir.state()->mode == mode);
  }
}

TEST_CASE("shim: iptables-restore reads its stdin on the very first call") {
  if (!require_root()) return;
  const std::string rules =
      "*filter\n"
      ":IPTMODE-T - [0:0]\n"
      "-A IPTMODE-T -s 10.9.8.7/32 -j ACCEPT\n"
      "-A INPUT -j IPTMODE-T\n"
      "COMMIT\n";
  for (Mode mode : {Mode::legacy, Mode::nft}) {
    CAPTURE(to_string(mode));
    Netns ns;
    BinDir dir;
    add_hint(ns, mode);
    REQUIRE_FALSE(exists_nofollow(dir.state_path()));
    RunOptions opts;
    opts.stdin_text = rules;
    RunResult r = call(ns, dir, "iptables-restore", {}, opts);
    CHECK_MESSAGE(r.exit_code == 0, r.err);
    REQUIRE(dir.state().has_value());
    CHECK(dir.state()->mode == mode);
    const std::string saved = save(ns, mode);
    CHECK(contains(saved, "-A IPTMODE-T -s 10.9.8.7/32 -j ACCEPT"));
    CHECK(contains(saved, "-A INPUT -j IPTMODE-T"));
    CHECK_FALSE(contains(save(ns, other(mode)), "IPTMODE-T"));
  }
}

TEST_CASE("shim: argv, stdin, environment and exit status reach the backend") {
  if (!require_root()) return;
  Netns ns;
  BinDir dir;
  FakeBackends fake;
  CountingDetector det;
  dir.write_settings(det.path().string(), fake.str());
  add_hint(ns, Mode::legacy);

  // The first call detects (the detector must not eat stdin), then restore
  // gets every byte: more than a pipe holds.
  std::string input(200000, 'x');
  for (std::size_t i = 0; i < input.size(); i += 80) input[i] = '\n';
  RunOptions opts;
  opts.stdin_text = input;
  RunResult r = call(ns, dir, "iptables-restore", {"--noflush", "-v"}, opts);
  CHECK_MESSAGE(r.exit_code == 0, r.err);
  CHECK(det.runs() == 1);
  CHECK(r.out == fake_ran("iptables-restore", "1.8.9 (legacy)") +
                     "\nargs: --noflush -v\nstdin=" + std::to_string(input.size()) + "\n");

  // Arguments as given (one with a space stays one argument: the fake prints
  // them space-separated, so count them through -V's position instead).
  r = call(ns, dir, "ip6tables", {"-m", "comment", "--comment", "two words", "-V"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == fake_ran("ip6tables", "1.8.9 (legacy)") +
                     "\nargs: -m comment --comment two words -V\nip6tables v1.8.9 (legacy)\n");

  // The environment passes (FAKE_EXIT is read by the backend), and the
  // backend's exit status is the caller's.
  for (int code : {0, 1, 2, 4, 111}) {
    CAPTURE(code);
    RunOptions env;
    env.env = env_with({"FAKE_EXIT=" + std::to_string(code)});
    r = call(ns, dir, "iptables-save", {}, env);
    CHECK(r.exit_code == code);
    CHECK(r.err.empty());
    CHECK(r.out.starts_with(fake_ran("iptables-save", "1.8.9 (legacy)")));
  }
  CHECK(det.runs() == 1);
}

TEST_CASE("shim: exit codes are the real backend's") {
  if (!require_root()) return;
  struct Row {
    std::vector<std::string> args;
    int want;
  };
  const std::vector<Row> rows = {
      {{"-S"}, 0},
      {{"-L", "NO-SUCH-CHAIN"}, 1},
      {{"--no-such-option"}, 2},
      {{"-A", "INPUT", "-j", "NO-SUCH-TARGET-X"}, 2},
  };
  for (Mode mode : {Mode::legacy, Mode::nft}) {
    CAPTURE(to_string(mode));
    Netns ns;
    BinDir dir;
    add_hint(ns, mode);
    for (const Row& row : rows) {
      CAPTURE(describe(row.args));
      std::vector<std::string> direct_argv = row.args;
      direct_argv.insert(direct_argv.begin(), "iptables-" + std::string(to_string(mode)));
      const RunResult direct = ns.exec(direct_argv);
      const RunResult via = call(ns, dir, "iptables", row.args);
      CHECK(direct.exit_code == row.want);
      CHECK(via.exit_code == direct.exit_code);
      CHECK_FALSE(contains(via.err, "iptmode-shim"));
      if (row.want != 0) CHECK_FALSE(via.err.empty());
    }
    CHECK(dir.state()->mode == mode);
  }
}

TEST_CASE("shim: a held xtables lock gives exit 4 through the shim, as without it") {
  if (!require_root()) return;
  Netns ns;
  BinDir dir;
  add_hint(ns, Mode::legacy);
  REQUIRE(call(ns, dir, "iptables", {"-S"}).exit_code == 0);
  REQUIRE(dir.state()->mode == Mode::legacy);

  // Our own lock file, named by XTABLES_LOCKFILE: that the shim's backend
  // honours it shows the environment passes through the shim.
  TempDir tmp{"iptmode-lock"};
  const fs::path lockfile = tmp / "xtables.lock";
  UniqueFd lock(::open(lockfile.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  REQUIRE(lock);
  REQUIRE(::flock(lock.get(), LOCK_EX | LOCK_NB) == 0);
  RunOptions opts;
  opts.env = env_with({"XTABLES_LOCKFILE=" + lockfile.string()});

  // iptables-legacy 1.8.9 waits for the lock without end unless told how
  // long (-w 0 waits forever too): -w 1 is the shortest refusal.
  const std::vector<std::string> args = {"-w", "1",        "-A", "INPUT",
                                         "-s", "10.3.3.3", "-j", "ACCEPT"};
  std::vector<std::string> direct_argv = args;
  direct_argv.insert(direct_argv.begin(), "iptables-legacy");
  const RunResult direct = ns.exec(direct_argv, opts);
  const RunResult via = call(ns, dir, "iptables", args, opts);
  CHECK(direct.exit_code == 4);
  CHECK(via.exit_code == direct.exit_code);
  CHECK(contains(via.err, "xtables lock"));
  CHECK_FALSE(contains(via.err, "iptmode-shim"));
  CHECK_FALSE(contains(save(ns, Mode::legacy), "10.3.3.3"));

  // Released, the same call goes through.
  lock.reset();
  const RunResult after = call(ns, dir, "iptables", args, opts);
  CHECK_MESSAGE(after.exit_code == 0, after.err);
  CHECK(contains(save(ns, Mode::legacy), "-A INPUT -s 10.3.3.3/32 -j ACCEPT"));
}

TEST_CASE("shim: 64 parallel first calls detect once and agree") {
  if (!require_root()) return;
  Netns ns;
  BinDir dir;
  CountingDetector det;
  dir.write_settings(det.path().string());
  add_hint(ns, Mode::legacy);
  REQUIRE_FALSE(exists_nofollow(dir.state_path()));

  constexpr int kCalls = 64;
  std::vector<Spawned> kids;
  kids.reserve(kCalls);
  // Whatever fails below, no child is left running or unreaped.
  struct Reaper {
    std::vector<Spawned>& kids;
    ~Reaper() {
      for (Spawned& k : kids)
        if (k.pid > 0) {
          ::kill(k.pid, SIGKILL);
          wait_exit(k.pid);
        }
    }
  } reaper{kids};
  for (int i = 0; i < kCalls; ++i) kids.push_back(spawn(ns.wrap({dir.str("iptables"), "-S"})));
  std::vector<RunResult> results;
  const auto deadline = Clock::now() + std::chrono::seconds(120);
  for (Spawned& k : kids) {
    results.push_back(collect(k, deadline));
    k.pid = -1;
  }

  for (int i = 0; i < kCalls; ++i) {
    CAPTURE(i);
    CAPTURE(results[i].err);
    CHECK(results[i].exit_code == 0);
    CHECK(results[i].err.empty());
    CHECK(results[i].out == results[0].out);
  }
  CHECK(contains(results[0].out, "-P INPUT ACCEPT"));
  CHECK(det.runs() == 1);
  auto st = dir.state();
  REQUIRE(st.has_value());
  CHECK(st->mode == Mode::legacy);
  // No temporary file was left behind by the writers.
  for (const auto& e : fs::directory_iterator(dir.path()))
    CHECK_MESSAGE(!e.path().filename().string().starts_with("."), e.path().string());
}

TEST_CASE("shim: a tampered state is refused or re-detected, never trusted") {
  if (!require_root()) return;
  Netns ns;
  BinDir dir;
  FakeBackends fake;  // whatever runs says so; no real packet filter is touched
  CountingDetector det;
  dir.write_settings(det.path().string(), fake.str());
  add_hint(ns, Mode::legacy);

  const std::string legacy_ran = fake_ran("iptables", "1.8.9 (legacy)") + "\nargs: -S\n";
  const std::string nft_ran = fake_ran("iptables", "1.8.9 (nf_tables)") + "\nargs: -S\n";
  RunResult r = call(ns, dir, "iptables", {"-S"});
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  CHECK(r.out == legacy_ran);
  REQUIRE(det.runs() == 1);
  const std::string valid = dir.state_text();
  const std::string path = dir.state_path().string();

  SUBCASE("world-writable: refused, with the fix") {
    REQUIRE(::chmod(path.c_str(), 0666) == 0);
    check_refused(call(ns, dir, "iptables", {"-S"}), {path, "writable", "chmod go-w"});
    REQUIRE(::chmod(path.c_str(), 0664) == 0);
    check_refused(call(ns, dir, "iptables", {"-S"}), {path, "chmod"});
    // The ip6tables and save names refuse alike.
    check_refused(call(ns, dir, "ip6tables-save", {}), {path});
    REQUIRE(::chmod(path.c_str(), 0644) == 0);
    CHECK(call(ns, dir, "iptables", {"-S"}).out == legacy_ran);
    CHECK(det.runs() == 1);
  }
  SUBCASE("not root's: refused, with the fix") {
    REQUIRE(::chown(path.c_str(), 65534, 65534) == 0);
    check_refused(call(ns, dir, "iptables", {"-S"}), {path, "not owned by root", "chown"});
    REQUIRE(::chown(path.c_str(), 0, 65534) == 0);  // root's, a group's: still fine
    CHECK(call(ns, dir, "iptables", {"-S"}).out == legacy_ran);
    CHECK(det.runs() == 1);
  }
  SUBCASE("a symlink, even to a valid state: refused") {
    TempDir elsewhere;
    put_file(elsewhere / "state", valid);
    fs::remove(dir.state_path());
    fs::create_symlink(elsewhere / "state", dir.state_path());
    check_refused(call(ns, dir, "iptables", {"-S"}), {path, "not a regular file"});
    CHECK(det.runs() == 1);
  }
  SUBCASE("a directory: refused") {
    fs::remove(dir.state_path());
    fs::create_directory(dir.state_path());
    check_refused(call(ns, dir, "iptables", {"-S"}), {path, "not a regular file"});
    CHECK(det.runs() == 1);
  }
  SUBCASE("damaged: detected again") {
    std::mt19937 rng(1632);
    std::string garbage(300, '\0');
    for (char& c : garbage) c = static_cast<char>(rng());
    std::string big;
    while (big.size() < (1 << 20)) big += valid;
    std::string edited = valid;  // mode changed, sum not: an edit by hand
    edited.replace(edited.find("mode legacy"), 11, "mode nft   ");
    const std::vector<std::pair<const char*, std::string>> damage = {
        {"garbage", garbage},
        {"truncated to half", valid.substr(0, valid.size() / 2)},
        {"truncated by one byte", valid.substr(0, valid.size() - 1)},
        {"1 MiB", big},
        {"empty", ""},
        {"edited without the sum", edited},
    };
    int runs = det.runs();
    for (const auto& [what, bytes] : damage) {
      CAPTURE(what);
      put_file(dir.state_path(), bytes);
      r = call(ns, dir, "iptables", {"-S"});
      CHECK_MESSAGE(r.exit_code == 0, r.err);
      CHECK(r.out == legacy_ran);
      CHECK(r.err.empty());
      CHECK(det.runs() == ++runs);
      auto st = dir.state();
      REQUIRE(st.has_value());
      CHECK(st->mode == Mode::legacy);
      CHECK(fs::file_size(dir.state_path()) <= shim::kStateMax);
      CHECK((lstat_of(dir.state_path()).st_mode & 0777) == 0644);
    }
  }
  SUBCASE("a valid state root wrote is the authority") {
    // Re-summed by root: trusted, so nft runs although the hint says legacy.
    auto st = dir.state();
    REQUIRE(st.has_value());
    st->mode = Mode::nft;
    dir.write_state(*st);
    CHECK(call(ns, dir, "iptables", {"-S"}).out == nft_ran);
    CHECK(det.runs() == 1);
  }
}

TEST_CASE("shim: a missing, untrusted or self-referencing backend is refused") {
  if (!require_root()) return;
  Netns ns;
  BinDir dir;
  dir.write_state(make_state(Mode::nft));
  const fs::path backend = dir / "xtables-nft-multi";
  const std::string bpath = backend.string();
  auto restore = [&] {
    fs::remove(backend);
    fs::copy_file("/usr/sbin/xtables-nft-multi", backend);
    fs::permissions(backend, fs::perms(0755));
  };
  REQUIRE(call(ns, dir, "iptables", {"-S"}).exit_code == 0);

  SUBCASE("missing") {
    fs::remove(backend);
    check_refused(call(ns, dir, "iptables", {"-S"}), {bpath, "No such file"});
    // A dangling link is missing too.
    fs::create_symlink("/nonexistent/xtables-nft-multi", backend);
    check_refused(call(ns, dir, "iptables", {"-S"}), {bpath});
  }
  SUBCASE("group- or world-writable") {
    for (mode_t m : {0775, 0757, 0777}) {
      CAPTURE(m);
      REQUIRE(::chmod(bpath.c_str(), m) == 0);
      check_refused(call(ns, dir, "iptables", {"-S"}), {bpath, "writable"});
    }
  }
  SUBCASE("not root's") {
    REQUIRE(::chown(bpath.c_str(), 65534, 0) == 0);
    check_refused(call(ns, dir, "iptables", {"-S"}), {bpath, "not owned by root"});
  }
  SUBCASE("a directory") {
    fs::remove(backend);
    fs::create_directory(backend);
    check_refused(call(ns, dir, "iptables", {"-S"}), {bpath, "not a regular file"});
  }
  SUBCASE("the shim itself: a symlink, a hard link, a copy") {
    fs::remove(backend);
    fs::create_symlink(shim::kShimFile, backend);
    check_refused(call(ns, dir, "iptables", {"-S"}), {bpath, "the shim itself"});
    fs::remove(backend);
    fs::create_hard_link(dir / shim::kShimFile, backend);
    check_refused(call(ns, dir, "iptables", {"-S"}), {bpath, "the shim itself"});
    // A copy is another file, and not an xtables binary by its bytes (with
    // version-check = off, the copy would find itself as its own backend and
    // refuse: no loop).
    fs::remove(backend);
    fs::copy_file(dir / shim::kShimFile, backend);
    check_refused(call(ns, dir, "iptables", {"-S"}), {bpath, "not an xtables-nft-multi binary"});
  }
  SUBCASE("the other backend's binary under this name") {
    fs::remove(backend);
    fs::copy_file("/usr/sbin/xtables-legacy-multi", backend);
    check_refused(call(ns, dir, "iptables", {"-S"}), {bpath, "iptables-legacy binary"});
  }
  restore();
  RunResult r = call(ns, dir, "iptables", {"-S"});
  CHECK_MESSAGE(r.exit_code == 0, r.err);
  CHECK(contains(r.out, "-P INPUT ACCEPT"));
}

TEST_CASE("shim: an untrusted bin dir, settings or detector is refused") {
  if (!require_root()) return;
  Netns ns;
  BinDir dir;
  add_hint(ns, Mode::legacy);
  const std::string conf = dir.settings_path().string();
  const std::string dpath = dir.path().string();

  SUBCASE("a group-writable bin dir") {
    dir.write_state(make_state(Mode::legacy));
    REQUIRE(::chmod(dpath.c_str(), 0775) == 0);
    check_refused(call(ns, dir, "iptables", {"-S"}), {dpath, "shim's directory", "chmod go-w"});
    REQUIRE(::chmod(dpath.c_str(), 0755) == 0);
    CHECK(call(ns, dir, "iptables", {"-S"}).exit_code == 0);
  }
  SUBCASE("settings: writable, not root's, not understood, missing") {
    dir.write_state(make_state(Mode::legacy));
    REQUIRE(::chmod(conf.c_str(), 0646) == 0);
    check_refused(call(ns, dir, "iptables", {"-S"}), {conf, "writable", "chmod"});
    REQUIRE(::chmod(conf.c_str(), 0644) == 0);
    REQUIRE(::chown(conf.c_str(), 65534, 65534) == 0);
    check_refused(call(ns, dir, "iptables", {"-S"}), {conf, "not owned by root"});
    put_file(dir.settings_path(), "# fine\nversion-check = maybe\n");
    check_refused(call(ns, dir, "iptables", {"-S"}), {conf + ":2:", "not understood"});
    put_file(dir.settings_path(), "backend-dir = relative/dir\n");
    check_refused(call(ns, dir, "iptables", {"-S"}), {conf + ":1:"});
    // No settings: the defaults (backends beside the shim).
    fs::remove(dir.settings_path());
    RunResult r = call(ns, dir, "iptables", {"-S"});
    CHECK_MESSAGE(r.exit_code == 0, r.err);
    CHECK(contains(r.out, "-P INPUT ACCEPT"));
  }
  SUBCASE("a detector that is missing, untrusted, failing or says nonsense") {
    TempDir tmp{"iptmode-bad-detector"};
    const std::string missing = (tmp / "no-such-iptmode").string();
    dir.write_settings(missing);
    check_refused(call(ns, dir, "iptables", {"-S"}), {dir.state_path().string(), missing});

    put_file(tmp / "writable", "#!/bin/sh\nexec '" + std::string(IPTMODE_BIN) + "' \"$@\"\n", 0775);
    dir.write_settings((tmp / "writable").string());
    check_refused(call(ns, dir, "iptables", {"-S"}), {(tmp / "writable").string(), "writable"});

    put_file(tmp / "failing", "#!/bin/sh\nexit 3\n", 0755);
    dir.write_settings((tmp / "failing").string());
    check_refused(call(ns, dir, "iptables", {"-S"}), {(tmp / "failing").string(), "failed"});

    put_file(tmp / "nonsense", "#!/bin/sh\necho 'mode legacy'\n", 0755);
    dir.write_settings((tmp / "nonsense").string());
    check_refused(call(ns, dir, "iptables", {"-S"}), {"printed no valid state"});

    // Nothing was recorded from any of them.
    CHECK_FALSE(exists_nofollow(dir.state_path()));
  }
}

TEST_CASE("shim: a failing detector is refused even when the caller ignores SIGCHLD") {
  if (!require_root()) return;
  // A caller may run iptables with SIGCHLD ignored (the disposition survives
  // exec). Then the kernel reaps the detector itself and waitpid() fails with
  // ECHILD: the shim must not take that for "exited 0".
  Netns ns;
  BinDir dir;
  FakeBackends fake;
  TempDir tmp{"iptmode-detector"};
  // Prints a valid state, then fails.
  put_file(tmp / "detector", "#!/bin/sh\n'" + std::string(IPTMODE_BIN) + "' \"$@\"\nexit 1\n",
           0755);
  dir.write_settings((tmp / "detector").string(), fake.str());
  add_hint(ns, Mode::legacy);

  check_refused(call(ns, dir, "iptables", {"-S"}), {"failed"});
  CHECK_FALSE(exists_nofollow(dir.state_path()));

  RunResult r = ns.exec({"env", "--ignore-signal=CHLD", dir.str("iptables"), "-S"});
  check_refused(r, {"failed"});
  CHECK_FALSE(exists_nofollow(dir.state_path()));

  // A detector that succeeds works for such a caller too.
  dir.write_settings(IPTMODE_BIN, fake.str());
  r = ns.exec({"env", "--ignore-signal=CHLD", dir.str("iptables"), "-S"});
  CHECK_MESSAGE(r.exit_code == 0, r.err);
  CHECK(r.out.starts_with(fake_ran("iptables", "1.8.9 (legacy)")));
  REQUIRE(dir.state().has_value());
  CHECK(dir.state()->mode == Mode::legacy);
}

TEST_CASE("shim: only the iptables names run anything") {
  if (!require_root()) return;
  Netns ns;
  BinDir dir;
  dir.write_state(make_state(Mode::nft));
  for (const char* name : {"ebtables", "iptables-foo", "xtables-nft-multi-x", "nft"}) {
    CAPTURE(name);
    fs::create_symlink(shim::kShimFile, dir / name);
    check_refused(call(ns, dir, name, {"-S"}), {std::string("\"") + name + "\""});
  }
  RunResult r = run({dir.str(shim::kShimFile), "--version"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.starts_with("iptmode-shim "));
  r = run({dir.str(shim::kShimFile), "-S"});
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK(r.err.starts_with("iptmode-shim: "));
}

TEST_CASE("shim: -nft and -legacy names bypass the recorded mode") {
  if (!require_root()) return;
  Netns ns;
  BinDir dir;
  CountingDetector det;
  dir.write_settings(det.path().string());
  add_hint(ns, Mode::legacy);
  for (const char* name : {"iptables-nft", "iptables-nft-save", "ip6tables-nft", "iptables-legacy",
                           "iptables-legacy-save"})
    fs::create_symlink(shim::kShimFile, dir / name);

  // Before any decision, a forced name runs its backend and decides nothing.
  RunResult r = call(ns, dir, "iptables-nft", {"-A", "INPUT", "-s", "10.7.7.7", "-j", "ACCEPT"});
  CHECK_MESSAGE(r.exit_code == 0, r.err);
  CHECK(det.runs() == 0);
  CHECK_FALSE(exists_nofollow(dir.state_path()));

  // Now the plain name decides legacy (the hint)...
  r = call(ns, dir, "iptables", {"-A", "INPUT", "-s", "10.8.8.8", "-j", "ACCEPT"});
  CHECK_MESSAGE(r.exit_code == 0, r.err);
  REQUIRE(dir.state().has_value());
  CHECK(dir.state()->mode == Mode::legacy);
  // ...and the nft names still go to nft.
  r = call(ns, dir, "iptables-nft", {"-A", "INPUT", "-s", "10.7.7.8", "-j", "ACCEPT"});
  CHECK(r.exit_code == 0);
  r = call(ns, dir, "ip6tables-nft", {"-A", "INPUT", "-s", "2001:db8::8", "-j", "ACCEPT"});
  CHECK(r.exit_code == 0);
  CHECK(det.runs() == 1);

  const std::string nft = save(ns, Mode::nft), legacy = save(ns, Mode::legacy);
  CHECK(contains(nft, "-A INPUT -s 10.7.7.7/32 -j ACCEPT"));
  CHECK(contains(nft, "-A INPUT -s 10.7.7.8/32 -j ACCEPT"));
  CHECK_FALSE(contains(nft, "10.8.8.8"));
  CHECK(contains(legacy, "-A INPUT -s 10.8.8.8/32 -j ACCEPT"));
  CHECK_FALSE(contains(legacy, "10.7.7."));
  CHECK(contains(save(ns, Mode::nft, true), "2001:db8::8/128"));

  r = call(ns, dir, "iptables-nft-save", {"-t", "filter"});
  CHECK(contains(r.out, "10.7.7.7"));
  CHECK_FALSE(contains(r.out, "10.8.8.8"));
  r = call(ns, dir, "iptables-legacy-save", {"-t", "filter"});
  CHECK(contains(r.out, "10.8.8.8"));
  CHECK_FALSE(contains(r.out, "10.7.7.7"));
}

TEST_CASE("shim: version checks warn, enforce or stay quiet") {
  if (!require_root()) return;
  Netns ns;
  BinDir dir;
  FakeBackends fake("1.8.10 (nf_tables)");
  dir.write_state(make_state(Mode::nft));
  const std::string bpath = fake.nft().string();
  const std::string ran = fake_ran("iptables", "1.8.10 (nf_tables)") + "\nargs: -S\n";

  SUBCASE("warn: one line, then the backend runs") {
    dir.write_settings(IPTMODE_BIN, fake.str(), "warn");
    RunResult r = call(ns, dir, "iptables", {"-S"});
    CHECK(r.exit_code == 0);
    CHECK(r.out == ran);
    const auto ls = lines(r.err);
    REQUIRE(ls.size() == 1);
    CHECK(ls[0].starts_with("iptmode-shim: warning: "));
    CHECK(contains(ls[0], bpath));
    CHECK(contains(ls[0], "1.8.10"));
    CHECK(contains(ls[0], dir.settings_path().string()));
  }
  SUBCASE("enforce: refused, nothing runs") {
    dir.write_settings(IPTMODE_BIN, fake.str(), "enforce");
    check_refused(call(ns, dir, "iptables", {"-S"}), {bpath, "1.8.10", "enforce"});
    // The forced name is checked the same way.
    fs::create_symlink(shim::kShimFile, dir / "iptables-nft");
    check_refused(call(ns, dir, "iptables-nft", {"-S"}), {bpath, "enforce"});
  }
  SUBCASE("off: no line") {
    dir.write_settings(IPTMODE_BIN, fake.str(), "off");
    RunResult r = call(ns, dir, "iptables", {"-S"});
    CHECK(r.exit_code == 0);
    CHECK(r.out == ran);
    CHECK(r.err.empty());
  }
  SUBCASE("each row of the table, and its neighbours") {
    dir.write_settings(IPTMODE_BIN, fake.str(), "warn");
    for (auto [version, bad] :
         std::initializer_list<std::pair<const char*, bool>>{{"1.7.9", false},
                                                             {"1.8.0", true},
                                                             {"1.8.3", true},
                                                             {"1.8.4", false},
                                                             {"1.8.9", false},
                                                             {"1.8.10", true},
                                                             {"1.8.11", false}}) {
      CAPTURE(version);
      put_fake_backend(fake.nft(), std::string(version) + " (nf_tables)");
      RunResult r = call(ns, dir, "iptables", {"-S"});
      CHECK(r.exit_code == 0);
      CHECK(r.out.starts_with(fake_ran("iptables", std::string(version) + " (nf_tables)")));
      CHECK(lines(r.err).size() == (bad ? 1u : 0u));
      if (bad) CHECK(r.err.starts_with("iptmode-shim: warning: "));
    }
  }
  SUBCASE("legacy: the table is about nft") {
    dir.write_settings(IPTMODE_BIN, fake.str(), "enforce");
    dir.write_state(make_state(Mode::legacy, Version{1, 8, 10}));
    put_fake_backend(fake.legacy(), "1.8.10 (legacy)");
    RunResult r = call(ns, dir, "iptables", {"-S"});
    CHECK(r.exit_code == 0);
    CHECK(r.out.starts_with(fake_ran("iptables", "1.8.10 (legacy)")));
    CHECK(r.err.empty());
  }
  SUBCASE("a build that names no version, only its names, is not judged") {
    dir.write_settings(IPTMODE_BIN, fake.str(), "enforce");
    put_fake_backend(fake.nft(), "xtables-nft-multi");
    RunResult r = call(ns, dir, "iptables", {"-S"});
    CHECK(r.exit_code == 0);
    CHECK(r.out.starts_with(fake_ran("iptables", "xtables-nft-multi")));
    CHECK(r.err.empty());
  }
  SUBCASE("a legacy build staged as nft is refused, whatever the policy says") {
    dir.write_settings(IPTMODE_BIN, fake.str(), "warn");
    put_fake_backend(fake.nft(), "1.8.9 (legacy)");
    check_refused(call(ns, dir, "iptables", {"-S"}), {bpath, "iptables-legacy binary"});
  }
}

TEST_CASE("shim: an nft backend older than the components' writer is reported (bugzilla 1632)") {
  if (!require_root()) return;
  Netns ns;
  BinDir dir;
  FakeBackends fake("1.8.7 (nf_tables)");
  dir.write_settings(IPTMODE_BIN, fake.str(), "warn");

  dir.write_state(make_state(Mode::nft, Version{1, 8, 9}));
  RunResult r = call(ns, dir, "iptables", {"-S"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.starts_with(fake_ran("iptables", "1.8.7 (nf_tables)")));
  auto ls = lines(r.err);
  REQUIRE(ls.size() == 1);
  CHECK(ls[0].starts_with("iptmode-shim: warning: "));
  CHECK(contains(ls[0], "1632"));
  CHECK(contains(ls[0], "1.8.7"));
  CHECK(contains(ls[0], "1.8.9"));

  // Not older: quiet. 1.8.8 reads what 1.8.9 writes; 1.8.7 reads 1.8.7's.
  put_fake_backend(fake.nft(), "1.8.8 (nf_tables)");
  CHECK(call(ns, dir, "iptables", {"-S"}).err.empty());
  put_fake_backend(fake.nft(), "1.8.7 (nf_tables)");
  dir.write_state(make_state(Mode::nft, Version{1, 8, 7}));
  CHECK(call(ns, dir, "iptables", {"-S"}).err.empty());
  // No writer known: nothing to compare with.
  dir.write_state(make_state(Mode::nft));
  CHECK(call(ns, dir, "iptables", {"-S"}).err.empty());

  // Enforced: refused.
  dir.write_state(make_state(Mode::nft, Version{1, 8, 8}));
  dir.write_settings(IPTMODE_BIN, fake.str(), "enforce");
  check_refused(call(ns, dir, "iptables", {"-S"}), {"1632", "enforce"});
}

TEST_CASE("shim: the version cache follows the backend file") {
  if (!require_root()) return;
  Netns ns;
  BinDir dir;
  FakeBackends fake("1.8.10 (nf_tables)");
  dir.write_settings(IPTMODE_BIN, fake.str(), "warn");
  dir.write_state(make_state(Mode::nft));

  auto identity = [&] {
    const struct stat st = stat_of(fake.nft());
    return shim::BackendIdentity{
        static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino),
        static_cast<std::uint64_t>(st.st_size), st.st_mtim.tv_sec, st.st_mtim.tv_nsec};
  };
  auto cached = [&]() -> shim::CacheEntry {
    auto st = dir.state();
    REQUIRE(st.has_value());
    return st->cache[shim::cache_index(Mode::nft)];
  };
  auto warned = [&] {
    RunResult r = call(ns, dir, "iptables", {"-S"});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    return !r.err.empty();
  };

  // The first call reads the file and records what it found.
  CHECK(warned());
  CHECK(contains(dir.state_text(), "\ncache nft "));
  shim::CacheEntry e = cached();
  CHECK(e.valid);
  CHECK(e.id == identity());
  REQUIRE(e.has_version);
  CHECK(to_string(e.version) == "1.8.10");
  CHECK_FALSE(cached().id == shim::BackendIdentity{});
  // The legacy backend was not looked at.
  CHECK_FALSE(dir.state()->cache[shim::cache_index(Mode::legacy)].valid);

  // The cache is what later calls go by: recorded as 1.8.9 for this very
  // file, the warning goes, though the bytes still say 1.8.10.
  auto st = *dir.state();
  st.cache[shim::cache_index(Mode::nft)].version = Version{1, 8, 9};
  dir.write_state(st);
  CHECK_FALSE(warned());
  CHECK_FALSE(warned());

  // A new file (a new inode) is read again: 1.8.9 in its bytes, no warning,
  // and the entry now describes it...
  put_fake_backend(fake.nft(), "1.8.9 (nf_tables)");
  CHECK_FALSE(warned());
  e = cached();
  CHECK(e.id == identity());
  CHECK(to_string(e.version) == "1.8.9");
  // ...and 1.8.10 again brings the warning back.
  put_fake_backend(fake.nft(), "1.8.10 (nf_tables)");
  CHECK(warned());
  CHECK(to_string(cached().version) == "1.8.10");
  CHECK(cached().id == identity());

  // `iptmode detect --write` keeps the cache it finds: the binaries did not change.
  const auto before = cached();
  ns.exec_ok({IPTMODE_BIN, "detect", "--write", "--mode", "nft", "--bin-dir", dir.path().string()});
  CHECK(cached().id == before.id);
  CHECK(warned());
}

// ---------------------------------------------------------------- bounded waits

namespace {

// Settings with a short detector timeout (and so a short lock wait: the
// timeout plus 2 s), fake backends, and `detector`.
void short_settings(const BinDir& dir, const fs::path& detector, const FakeBackends& fake,
                    int timeout_s) {
  put_file(dir.settings_path(),
           "detector = " + detector.string() + "\nbackend-dir = " + fake.str() +
               "\nversion-check = warn\ndetector-timeout = " + std::to_string(timeout_s) + "\n");
}

// /proc/PID/stat's state letter, or 0 when the process is gone.
char proc_state(pid_t pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/stat";
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return 0;
  char buf[512];
  const ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);  // fails once it is reaped
  if (n <= 0) return 0;
  const std::string_view text(buf, static_cast<std::size_t>(n));
  const auto close = text.rfind(')');
  return close == std::string_view::npos || close + 2 >= text.size() ? 0 : text[close + 2];
}

// Dead: gone, or a zombie (its parent, init, reaps it in its own time).
bool dead(pid_t pid) {
  const char st = proc_state(pid);
  return st == 0 || st == 'Z';
}

// Waits (polling /proc, bounded) until `cond` holds; false at the deadline.
bool eventually(const std::function<bool()>& cond,
                std::chrono::seconds limit = std::chrono::seconds(20)) {
  const auto deadline = Clock::now() + limit;
  while (!cond())
    if (Clock::now() > deadline) return false;
  return true;
}

bool has_open(pid_t pid, const fs::path& file) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
    std::error_code ec2;
    if (fs::read_symlink(e.path(), ec2) == file) return true;
  }
  return false;
}

// Kills and reaps spawned children however the test leaves.
struct Reaped {
  std::deque<Spawned> kids;  // a deque: references stay valid as it grows
  ~Reaped() {
    for (Spawned& k : kids)
      if (k.pid > 0) {
        ::kill(k.pid, SIGKILL);
        wait_exit(k.pid);
      }
  }
  Spawned& add(Spawned s) { return kids.emplace_back(std::move(s)); }
};

}  // namespace

TEST_CASE("shim: the detector's deadline holds whatever the caller's signal state (12.5)") {
  if (!require_root()) return;
  BinDir dir(false);
  REQUIRE(run({IPTMODE_BIN, "shim", "install", "--bin-dir", dir.path().string(), "--shim", SHIM_BIN,
               "--names-only"})
              .exit_code == 0);
  FakeBackends fake;
  TempDir tmp{"iptmode-hung-detector"};
  // Hangs, and leaves a process of its own behind that holds the pipe too.
  const fs::path pids = tmp / "pids";
  put_file(tmp / "detector",
           "#!/bin/sh\nsleep 1000 &\necho $$ $! > '" + pids.string() + "'\nwait\n", 0755);
  short_settings(dir, tmp / "detector", fake, 1);

  // The shim used alarm(): a caller that ignores SIGALRM (it survives exec)
  // hung the first call forever, and every other call with it.
  for (const std::string caller : {"", "trap '' ALRM TERM HUP INT; "}) {
    CAPTURE(caller);
    fs::remove(pids);
    const auto t0 = Clock::now();
    RunOptions opts;
    opts.timeout = std::chrono::seconds(30);
    RunResult r = run({"sh", "-c", caller + "exec '" + dir.str("iptables") + "' -S"}, opts);
    CHECK_FALSE(r.timed_out);
    CHECK(Clock::now() - t0 < std::chrono::seconds(10));
    check_refused(r, {"timed out after 1 s", dir.state_path().string()});
    // The detector's whole process group is gone (the test's own pipes
    // ended, so nothing held them either).
    std::ifstream in(pids);
    pid_t sh = 0, sleeper = 0;
    in >> sh >> sleeper;
    REQUIRE(sh > 0);
    REQUIRE(sleeper > 0);
    CHECK(eventually([&] { return dead(sh) && dead(sleeper); }));
    CHECK_FALSE(exists_nofollow(dir.state_path()));
  }
}

TEST_CASE("shim: a detector that exits while its child holds stdout is not waited for (12.5)") {
  if (!require_root()) return;
  Netns ns;
  BinDir dir;
  FakeBackends fake;
  add_hint(ns, Mode::legacy);
  TempDir tmp{"iptmode-leaky-detector"};
  // Prints the state and exits 0, leaving a sleeper with the pipe open.
  put_file(tmp / "detector",
           "#!/bin/sh\n'" + std::string(IPTMODE_BIN) + "' \"$@\" || exit 1\nsleep 1000 &\nexit 0\n",
           0755);
  // A long timeout: waiting for the pipe to end would show as a refusal.
  short_settings(dir, tmp / "detector", fake, 60);
  RunOptions opts;
  opts.timeout = std::chrono::seconds(50);
  RunResult r = call(ns, dir, "iptables", {"-S"}, opts);
  CHECK_FALSE(r.timed_out);
  CHECK_MESSAGE(r.exit_code == 0, r.err);
  CHECK(r.out.starts_with(fake_ran("iptables", "1.8.9 (legacy)")));
  REQUIRE(dir.state().has_value());
  CHECK(dir.state()->mode == Mode::legacy);
}

TEST_CASE("shim: a read-only bin dir still dispatches, with one warning (12.7)") {
  if (!require_root()) return;
  Netns ns;
  BinDir dir;
  FakeBackends fake;
  add_hint(ns, Mode::legacy);
  dir.write_settings(IPTMODE_BIN, fake.str());
  const std::string d = dir.path().string();
  // In a mount namespace of its own, the bin dir bound read-only over itself.
  auto read_only = [&](const std::string& name) {
    return ns.exec({"unshare", "-m", "sh", "-c",
                    "mount --bind '" + d + "' '" + d + "' && mount -o remount,bind,ro '" + d +
                        "' && exec '" + d + "/" + name + "' -S"});
  };
  SUBCASE("no state yet: detected, not recorded") {
    RunResult r = read_only("iptables");
    CHECK_MESSAGE(r.exit_code == 0, r.err);
    CHECK(r.out.starts_with(fake_ran("iptables", "1.8.9 (legacy)")));
    const auto ls = lines(r.err);
    REQUIRE(ls.size() == 1);
    CHECK(ls[0].starts_with("iptmode-shim: warning: " + d + ": read-only file system"));
    CHECK_FALSE(exists_nofollow(dir.state_path()));
  }
  SUBCASE("a state whose version cache needs a refresh: dispatched, quietly") {
    dir.write_state(make_state(Mode::legacy));  // no cache entry: the shim would record one
    RunResult r = read_only("iptables");
    CHECK_MESSAGE(r.exit_code == 0, r.err);
    CHECK(r.err.empty());
    CHECK(r.out.starts_with(fake_ran("iptables", "1.8.9 (legacy)")));
    CHECK_FALSE(dir.state()->cache[shim::cache_index(Mode::legacy)].valid);
  }
}

TEST_CASE("shim: a lock held by a stopped caller is waited for a bounded time, naming it (12.9)") {
  if (!require_root()) return;
  BinDir dir;
  FakeBackends fake;
  TempDir tmp{"iptmode-stopping-detector"};
  // The detector stops the shim that runs it: a caller frozen while it holds the lock.
  put_file(tmp / "detector", "#!/bin/sh\nkill -STOP $PPID\nexit 1\n", 0755);
  short_settings(dir, tmp / "detector", fake, 1);
  Reaped kids;
  Spawned& holder = kids.add(spawn({dir.str("iptables"), "-S"}));
  REQUIRE(eventually([&] { return proc_state(holder.pid) == 'T'; }));

  const auto t0 = Clock::now();
  RunOptions opts;
  opts.timeout = std::chrono::seconds(30);
  RunResult r = run({dir.str("iptables"), "-S"}, opts);
  const auto waited = Clock::now() - t0;
  CHECK_FALSE(r.timed_out);
  check_refused(r, {dir.str(shim::kLockFile), "still held after 3 s",
                    "by pid " + std::to_string(holder.pid) + " (iptables)", "resume or kill it"});
  CHECK(waited >= std::chrono::seconds(3));
  CHECK(waited < std::chrono::seconds(10));
}

TEST_CASE("shim: callers that waited for a failed detection reuse its failure (12.1, 12.9)") {
  if (!require_root()) return;
  BinDir dir;
  FakeBackends fake;
  TempDir tmp{"iptmode-failing-detector"};
  const fs::path fifo = tmp / "go", runs = tmp / "runs";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  // Counts its runs, waits for the test, fails.
  put_file(
      tmp / "detector",
      "#!/bin/sh\necho run >> '" + runs.string() + "'\nread x < '" + fifo.string() + "'\nexit 3\n",
      0755);
  short_settings(dir, tmp / "detector", fake, 30);
  // Whatever fails below, the detector (in a process group of its own, not
  // killed with the shim) is let go: it reads EOF and exits.
  struct LetGo {
    fs::path fifo;
    ~LetGo() { ::close(::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC)); }
  } let_go{fifo};
  Reaped kids;
  Spawned& first = kids.add(spawn({dir.str("iptables"), "-S"}));
  REQUIRE(eventually([&] { return exists_nofollow(runs); }));  // it holds the lock, detecting
  std::vector<Spawned*> waiters;
  for (int i = 0; i < 3; ++i) waiters.push_back(&kids.add(spawn({dir.str("iptables"), "-S"})));
  // Each waiter has begun once it has the lock file open.
  for (Spawned* w : waiters) {
    const bool began = eventually([&] { return has_open(w->pid, dir / shim::kLockFile); });
    if (!began) {
      RunResult wr = collect(*w, Clock::now() + std::chrono::seconds(5));
      w->pid = -1;
      MESSAGE("waiter: " << wr.exit_code << " " << wr.err << wr.out);
    }
    REQUIRE(began);
  }
  {
    UniqueFd go(::open(fifo.c_str(), O_WRONLY | O_CLOEXEC));  // the detector may go on: it fails
    REQUIRE(go);
  }
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  RunResult r = collect(first, deadline);
  first.pid = -1;
  check_refused(r, {"failed (exit 3)"});
  for (Spawned* w : waiters) {
    RunResult wr = collect(*w, deadline);
    w->pid = -1;
    check_refused(wr, {"failed (exit 3)", "the detection this call waited for"});
  }
  // One detection for four callers, not one each in turn.
  CHECK(lines(slurp(runs)).size() == 1);

  // A later call is not bound by an old failure: it detects again.
  put_file(tmp / "detector", "#!/bin/sh\nexec '" + std::string(IPTMODE_BIN) + "' \"$@\"\n", 0755);
  Netns ns;
  add_hint(ns, Mode::legacy);
  RunResult later = call(ns, dir, "iptables", {"-S"});
  CHECK_MESSAGE(later.exit_code == 0, later.err);
  CHECK(later.out.starts_with(fake_ran("iptables", "1.8.9 (legacy)")));
}

}  // namespace iptmode::test

namespace iptmode::test {
namespace {

// A backend-dir of its own two levels under /tmp (TempDir: root's, 0755):
// copies of the host's xtables binaries, and the settings pointing at it.
struct BackendDir {
  TempDir up{"iptmode-backend-up"};
  fs::path dir = up / "backends";
  explicit BackendDir(const BinDir& bin, std::string_view version_check = "warn") {
    fs::create_directory(dir);
    fs::permissions(dir, fs::perms(0755));
    for (const char* b : {"xtables-nft-multi", "xtables-legacy-multi"}) {
      fs::copy_file(fs::path("/usr/sbin") / b, dir / b);
      fs::permissions(dir / b, fs::perms(0755));
    }
    bin.write_settings(IPTMODE_BIN, dir.string(), version_check);
  }
  std::string nft() const { return (dir / "xtables-nft-multi").string(); }
};

}  // namespace

TEST_CASE("shim: nobody cannot swap the backend through a directory others can write (12.6)") {
  if (!require_root()) return;
  Netns ns;
  BinDir dir;
  dir.write_state(make_state(Mode::nft));
  BackendDir b(dir);
  const std::string backend = b.nft();
  RunResult ok = call(ns, dir, "iptables", {"-V"});
  REQUIRE_MESSAGE(ok.exit_code == 0, ok.err);
  REQUIRE(contains(ok.out, "nf_tables"));

  SUBCASE("a world-writable backend-dir: nobody links the backend to bash") {
    REQUIRE(::chmod(b.dir.c_str(), 0777) == 0);
    // The attack itself, as nobody: it works, the directory lets it.
    RunResult swap = run(as_nobody({"ln", "-sfn", "/bin/bash", backend}));
    REQUIRE_MESSAGE(swap.exit_code == 0, swap.err);
    REQUIRE(link_of(backend) == "/bin/bash");
    // Before 12.6 this ran bash as root: "GNU bash, version ..." on stdout.
    check_refused(call(ns, dir, "iptables", {"-V"}), {backend, b.dir.string(), "chmod go-w"});
  }
  SUBCASE("a world-writable directory above it") {
    REQUIRE(::chmod(b.up.path().c_str(), 0777) == 0);
    check_refused(call(ns, dir, "iptables", {"-V"}), {backend, b.up.path().string(), "chmod go-w"});
  }
  SUBCASE("a sticky directory above it keeps root's entries, not others'") {
    REQUIRE(::chmod(b.up.path().c_str(), 01777) == 0);  // as /tmp
    RunResult r = call(ns, dir, "iptables", {"-V"});
    CHECK_MESSAGE(r.exit_code == 0, r.err);
    REQUIRE(::chown(b.dir.c_str(), 65534, 65534) == 0);
    check_refused(call(ns, dir, "iptables", {"-V"}), {backend, "not root's", "chown root"});
  }
  SUBCASE("a link into a directory others can write") {
    TempDir other{"iptmode-backend-other"};
    fs::copy_file("/usr/sbin/xtables-nft-multi", other / "xtables-nft-multi");
    REQUIRE(::chmod(other.path().c_str(), 0777) == 0);
    fs::remove(backend);
    fs::create_symlink(other / "xtables-nft-multi", backend);
    check_refused(call(ns, dir, "iptables", {"-V"}),
                  {backend, other.path().string(), "chmod go-w"});
  }
}

TEST_CASE("shim: a backend that is not an xtables binary by its bytes is refused (12.6, 12.10)") {
  if (!require_root()) return;
  Netns ns;
  BinDir dir;
  dir.write_state(make_state(Mode::nft));
  BackendDir b(dir);
  const std::string backend = b.nft();

  SUBCASE("root's own /bin/bash, linked in by root") {
    fs::remove(backend);
    fs::create_symlink("/bin/bash", backend);
    check_refused(call(ns, dir, "iptables", {"-V"}),
                  {backend, "not an xtables-nft-multi binary", "stage the real one"});
    // version-check = off is the operator's word that it is one: it runs.
    dir.write_settings(IPTMODE_BIN, b.dir.string(), "off");
    RunResult r = call(ns, dir, "iptables", {"--version"});
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, "bash"));
  }
  SUBCASE("a #! script: refused, naming the fix, whatever version-check says") {
    put_file(backend, "#!/bin/sh\nexec /usr/sbin/xtables-nft-multi \"$@\"\n", 0755);
    for (const char* policy : {"warn", "off"}) {
      CAPTURE(policy);
      dir.write_settings(IPTMODE_BIN, b.dir.string(), policy);
      // Before 12.10 this said only "exec: No such file or directory".
      check_refused(call(ns, dir, "iptables", {"-V"}),
                    {backend, "#! script", "stage the real xtables-nft-multi"});
    }
  }
  SUBCASE("the cache does not keep a file it would refuse") {
    // A warm cache for the real binary, then the same name replaced.
    REQUIRE(call(ns, dir, "iptables", {"-V"}).exit_code == 0);
    put_file(backend, "#!/bin/sh\necho hello\n", 0755);
    check_refused(call(ns, dir, "iptables", {"-V"}), {backend, "#! script"});
  }
}

TEST_CASE("shim: control bytes in argv[0] or a path are escaped in its refusal (12.10)") {
  if (!require_root()) return;
  Netns ns;
  BinDir dir;
  dir.write_state(make_state(Mode::nft));
  const std::string name = "ipt\x1b]0;owned\x07\rables\x1b[2J";
  fs::create_symlink(shim::kShimFile, dir / name);
  RunResult r = call(ns, dir, name, {"-S"});
  CAPTURE(r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find('\x1b') == std::string::npos);
  CHECK(r.err.find('\r') == std::string::npos);
  CHECK(r.err.find('\x07') == std::string::npos);
  CHECK(contains(r.err, "ipt\\x1b]0;owned\\x07\\x0dables\\x1b[2J"));
  CHECK(lines(r.err).size() == 1);
}

}  // namespace iptmode::test
