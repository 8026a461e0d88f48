// `iptmode shim install | uninstall | watch` on a k0s-style bin dir of the
// test's own: names are replaced by renaming a new link over them (kubelet
// and kube-proxy call iptables at any moment and must never find a name
// missing), a second install changes nothing, uninstall puts back what k0s
// links, and watch puts the shim back after k0s relinks the names.
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "detect/config.h"
#include "shim/names.h"
#include "shim/settings.h"
#include "shim/state.h"
#include "tests/support/as_nobody.h"
#include "tests/support/netns.h"
#include "tests/support/run.h"
#include "tests/support/shim_env.h"

namespace iptmode::test {
namespace {

std::vector<std::string> uninstall_argv(const fs::path& dir) {
  return {IPTMODE_BIN, "shim", "uninstall", "--bin-dir", dir.string()};
}

// Everything about a directory's entries that an install could change.
struct Entry {
  ino_t ino;
  mode_t mode;
  uid_t uid;
  off_t size;
  long mtime_sec, mtime_nsec, ctime_sec, ctime_nsec;
  std::string link;
  bool operator==(const Entry&) const = default;
};

std::map<std::string, Entry> snapshot(const fs::path& dir) {
  std::map<std::string, Entry> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const struct stat st = lstat_of(e.path());
    out[e.path().filename().string()] = {st.st_ino,         st.st_mode,         st.st_uid,
                                         st.st_size,        st.st_mtim.tv_sec,  st.st_mtim.tv_nsec,
                                         st.st_ctim.tv_sec, st.st_ctim.tv_nsec, link_of(e.path())};
  }
  return out;
}

void check_same(const std::map<std::string, Entry>& before,
                const std::map<std::string, Entry>& after) {
  for (const auto& [name, e] : before) {
    CAPTURE(name);
    auto it = after.find(name);
    REQUIRE_MESSAGE(it != after.end(), name << " went away");
    CHECK(it->second == e);
  }
  for (const auto& [name, e] : after) CHECK_MESSAGE(before.contains(name), name << " appeared");
}

void check_installed(const BinDir& dir) {
  for (const auto& n : six_names()) {
    CAPTURE(n);
    CHECK(link_of(dir / n) == shim::kShimFile);
  }
  const struct stat st = lstat_of(dir / shim::kShimFile);
  CHECK(S_ISREG(st.st_mode));
  CHECK(st.st_uid == 0);
  CHECK((st.st_mode & 07777) == 0755);
  CHECK(slurp(dir / shim::kShimFile) == slurp(SHIM_BIN));
  const struct stat conf = lstat_of(dir.settings_path());
  CHECK(S_ISREG(conf.st_mode));
  CHECK((conf.st_mode & 07777) == 0644);
}

void check_k0s_links(const BinDir& dir, const std::string& target) {
  for (const auto& n : six_names()) {
    CAPTURE(n);
    CHECK(link_of(dir / n) == target);
  }
  for (const char* f : {shim::kShimFile, shim::kSettingsFile, shim::kStateFile, shim::kLockFile}) {
    CAPTURE(f);
    CHECK_FALSE(exists_nofollow(dir / f));
  }
}

}  // namespace

TEST_CASE("shim install: replaces the six names and records its settings") {
  if (!require_root()) return;
  BinDir dir(false);
  RunResult r = run_ok(install_argv(dir.path()));
  CHECK(contains(r.out, "installed ("));
  for (const auto& n : six_names()) CHECK(contains(r.out, n));
  check_installed(dir);
  // The detector is the iptmode that installed it; no backend-dir: beside the shim.
  shim::Settings s;
  int bad = 0;
  REQUIRE(shim::parse_settings(slurp(dir.settings_path()), s, &bad));
  CHECK(std::string(s.detector) == fs::canonical(IPTMODE_BIN).string());
  CHECK(s.backend_dir[0] == '\0');
  CHECK(s.version_check == VersionCheck::warn);
  // The backends k0s staged are left as they were.
  CHECK(slurp(dir / "xtables-nft-multi") == slurp("/usr/sbin/xtables-nft-multi"));
  // No state yet: the first call decides.
  CHECK_FALSE(exists_nofollow(dir.state_path()));

  // --backend-dir is recorded, and kept by a later install that does not say.
  run_ok({IPTMODE_BIN, "shim", "install", "--bin-dir", dir.path().string(), "--shim", SHIM_BIN,
          "--names-only", "--backend-dir", "/usr/sbin"});
  REQUIRE(shim::parse_settings(slurp(dir.settings_path()), s, &bad));
  CHECK(std::string(s.backend_dir) == "/usr/sbin");
  run_ok(install_argv(dir.path()));
  REQUIRE(shim::parse_settings(slurp(dir.settings_path()), s, &bad));
  CHECK(std::string(s.backend_dir) == "/usr/sbin");

  // A relative --backend-dir is refused.
  r = run({IPTMODE_BIN, "shim", "install", "--bin-dir", dir.path().string(), "--shim", SHIM_BIN,
           "--names-only", "--backend-dir", "usr/sbin"});
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "absolute"));

  // Paths the shim would refuse or cut when reading them back are refused at
  // install, and the settings on disk stay as they were.
  for (std::string bad_dir : {"/usr/../sbin", "/opt/bin#x"}) {
    CAPTURE(bad_dir);
    r = run({IPTMODE_BIN, "shim", "install", "--bin-dir", dir.path().string(), "--shim", SHIM_BIN,
             "--names-only", "--backend-dir", bad_dir});
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "could not read these settings back"));
    REQUIRE(shim::parse_settings(slurp(dir.settings_path()), s, &bad));
    CHECK(std::string(s.backend_dir) == "/usr/sbin");
  }
}

TEST_CASE("shim install: the names never go missing while installing and uninstalling") {
  if (!require_root()) return;
  BinDir dir(false);
  std::vector<fs::path> names;
  for (const auto& n : six_names()) names.push_back(dir / n);

  std::atomic<long> looks{0}, missing{0}, unexpected{0}, dangling{0};
  // Bumped before and after each install; odd while one runs.
  std::atomic<long> install_gen{0};
  std::jthread reader([&](std::stop_token stop) {
    char buf[256];
    while (!stop.stop_requested()) {
      for (const auto& p : names) {
        const long gen = install_gen.load();
        ssize_t n = ::readlink(p.c_str(), buf, sizeof buf);
        ++looks;
        if (n < 0) {
          ++(errno == ENOENT ? missing : unexpected);
          continue;
        }
        const std::string_view target(buf, static_cast<std::size_t>(n));
        if (target != shim::kShimFile && target != "xtables-nft-multi") {
          ++unexpected;
          continue;
        }
        // During an install, a name that points at the shim finds it there:
        // the binary goes in before any name points at it.
        struct stat st {};
        if (target == shim::kShimFile && ::stat(p.c_str(), &st) != 0 && gen % 2 == 1 &&
            install_gen.load() == gen)
          ++dangling;
      }
    }
  });

  constexpr int kRounds = 20;
  for (int round = 0; round < kRounds; ++round) {
    CAPTURE(round);
    ++install_gen;
    run_ok(install_argv(dir.path()));
    ++install_gen;
    check_installed(dir);
    dir.write_state(make_state(Mode::nft));
    run_ok(uninstall_argv(dir.path()));
    check_k0s_links(dir, "xtables-nft-multi");
  }
  reader.request_stop();
  reader.join();
  CHECK(looks.load() > 0);
  CHECK(missing.load() == 0);
  CHECK(unexpected.load() == 0);
  CHECK(dangling.load() == 0);
  // Neither left a temporary behind.
  for (const auto& e : fs::directory_iterator(dir.path()))
    CHECK_MESSAGE(!e.path().filename().string().starts_with("."), e.path().string());
}

TEST_CASE("shim install: a second install changes nothing") {
  if (!require_root()) return;
  BinDir dir;
  dir.write_state(make_state(Mode::nft));
  const auto before = snapshot(dir.path());
  for (int i = 0; i < 2; ++i) {
    RunResult r = run_ok(install_argv(dir.path()));
    CHECK(contains(r.out, "installed already"));
    check_same(before, snapshot(dir.path()));
  }
  // One name relinked by someone else: only that one is replaced.
  fs::remove(dir / "ip6tables-save");
  fs::create_symlink("xtables-nft-multi", dir / "ip6tables-save");
  const auto iptables = lstat_of(dir / "iptables");
  RunResult r = run_ok(install_argv(dir.path()));
  CHECK(r.out == dir.path().string() + ": installed (ip6tables-save)\n");
  check_installed(dir);
  CHECK(lstat_of(dir / "iptables").st_ino == iptables.st_ino);
  // A changed shim binary is copied again, and nothing else moves.
  put_file(dir / shim::kShimFile, "not the shim", 0755);
  r = run_ok(install_argv(dir.path()));
  CHECK(r.out == dir.path().string() + ": installed (iptmode-shim)\n");
  check_installed(dir);
}

TEST_CASE("shim install: --dry-run changes nothing") {
  if (!require_root()) return;
  BinDir dir(false);
  auto before = snapshot(dir.path());
  RunResult r = run_ok({IPTMODE_BIN, "shim", "install", "--bin-dir", dir.path().string(), "--shim",
                        SHIM_BIN, "--names-only", "--dry-run"});
  check_same(before, snapshot(dir.path()));
  CHECK(contains(r.out, "copy " + std::string(SHIM_BIN)));
  for (const auto& n : six_names())
    CHECK(contains(r.out, "link " + dir.str(n) + " -> iptmode-shim (was xtables-nft-multi)"));

  run_ok(install_argv(dir.path()));
  dir.write_state(make_state(Mode::legacy));
  before = snapshot(dir.path());
  r = run_ok({IPTMODE_BIN, "shim", "install", "--bin-dir", dir.path().string(), "--shim", SHIM_BIN,
              "--names-only", "--dry-run"});
  CHECK(contains(r.out, "nothing to change"));
  check_same(before, snapshot(dir.path()));

  r = run_ok({IPTMODE_BIN, "shim", "uninstall", "--bin-dir", dir.path().string(), "--dry-run"});
  for (const auto& n : six_names())
    CHECK(contains(r.out, "link " + dir.str(n) + " -> xtables-legacy-multi"));
  check_same(before, snapshot(dir.path()));
}

TEST_CASE("shim uninstall: puts back k0s-style links and removes the shim's files") {
  if (!require_root()) return;
  SUBCASE("mode from the state") {
    for (Mode mode : {Mode::nft, Mode::legacy}) {
      CAPTURE(to_string(mode));
      BinDir dir;
      dir.write_state(make_state(mode));
      // The shim has run: its lock file exists too.
      put_file(dir / shim::kLockFile, "", 0600);
      const std::string target = "xtables-" + std::string(to_string(mode)) + "-multi";
      RunResult r = run_ok(uninstall_argv(dir.path()));
      CHECK(contains(r.out, "uninstalled"));
      check_k0s_links(dir, target);
      // The backends are still there, and the names work as k0s set them.
      Netns ns;
      r = ns.exec({dir.str("iptables"), "-S"});
      CHECK_MESSAGE(r.exit_code == 0, r.err);
      CHECK(contains(r.out, "-P INPUT ACCEPT"));
      r = ns.exec({dir.str("iptables"), "-V"});
      CHECK(contains(r.out, mode == Mode::nft ? "(nf_tables)" : "(legacy)"));
    }
  }
  SUBCASE("mode detected when there is no state") {
    Netns ns;
    BinDir dir;
    ns.exec_ok({"iptables-legacy", "-t", "mangle", "-N", "KUBE-IPTABLES-HINT"});
    REQUIRE_FALSE(exists_nofollow(dir.state_path()));
    ns.exec_ok(uninstall_argv(dir.path()));
    check_k0s_links(dir, "xtables-legacy-multi");
  }
  SUBCASE("backend-dir: absolute links to it") {
    BinDir dir;
    run_ok({IPTMODE_BIN, "shim", "install", "--bin-dir", dir.path().string(), "--shim", SHIM_BIN,
            "--names-only", "--backend-dir", "/usr/sbin"});
    dir.write_state(make_state(Mode::nft));
    run_ok(uninstall_argv(dir.path()));
    check_k0s_links(dir, "/usr/sbin/xtables-nft-multi");
  }
  SUBCASE("names relinked by someone else are left alone") {
    BinDir dir;
    dir.write_state(make_state(Mode::nft));
    fs::remove(dir / "iptables-save");
    fs::create_symlink("xtables-legacy-multi", dir / "iptables-save");
    run_ok(uninstall_argv(dir.path()));
    CHECK(link_of(dir / "iptables-save") == "xtables-legacy-multi");
    for (const char* n :
         {"iptables", "iptables-restore", "ip6tables", "ip6tables-save", "ip6tables-restore"})
      CHECK(link_of(dir / n) == "xtables-nft-multi");
    CHECK_FALSE(exists_nofollow(dir / shim::kShimFile));
  }
}

TEST_CASE("shim install: a reinstall keeps the operator's version-check") {
  if (!require_root()) return;
  // With no /etc/iptmode/iptmode.conf saying otherwise, an operator's
  // `version-check = enforce` in DIR/iptmode-shim.conf (which settings.h calls
  // "editable by the operator") must survive `shim install` -- which `shim
  // watch` runs after every k0s restart.
  REQUIRE_FALSE(exists_nofollow(std::string(kDefaultConfigPath)));
  BinDir dir;
  shim::Settings s;
  int bad = 0;
  REQUIRE(shim::parse_settings(slurp(dir.settings_path()), s, &bad));
  dir.write_settings(s.detector, "", "enforce");
  run_ok(install_argv(dir.path()));
  REQUIRE(shim::parse_settings(slurp(dir.settings_path()), s, &bad));
  CHECK_MESSAGE(s.version_check == VersionCheck::enforce,
                "shim install reverted version-check = enforce:\n"
                    << slurp(dir.settings_path()));
}

TEST_CASE("shim watch: puts the shim back after k0s relinks the names") {
  if (!require_root()) return;
  BinDir dir;
  Child watcher({IPTMODE_BIN, "shim", "watch", "--bin-dir", dir.path().string(), "--shim", SHIM_BIN,
                 "--names-only"});
  std::string out;
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  auto has_line = [](std::string_view prefix) {
    return [prefix](const std::string& text) {
      for (const auto& l : lines(text))
        if (l.starts_with(prefix)) return true;
      return false;
    };
  };
  REQUIRE_MESSAGE(read_until(watcher.get().out.get(), out, has_line("watching "), deadline), out);
  CHECK(contains(out, "watching " + dir.path().string()));
  // Installed already: nothing to say before watching.
  CHECK_FALSE(contains(out, "reinstalled:"));
  out.clear();

  // A k0s restart: each name removed and linked again to its backend.
  for (const auto& n : six_names()) {
    REQUIRE(::unlink(dir.str(n).c_str()) == 0);
    REQUIRE(::symlink("xtables-nft-multi", dir.str(n).c_str()) == 0);
  }
  auto covers_all = [](const std::string& text) {
    std::set<std::string> seen;
    for (const auto& l : lines(text)) {
      if (!l.starts_with("reinstalled: ")) continue;
      std::string rest = l.substr(13);
      std::size_t from = 0;
      while (from <= rest.size()) {
        auto comma = rest.find(", ", from);
        seen.insert(
            rest.substr(from, comma == std::string::npos ? std::string::npos : comma - from));
        if (comma == std::string::npos) break;
        from = comma + 2;
      }
    }
    for (const auto& n : six_names())
      if (!seen.contains(n)) return false;
    return true;
  };
  REQUIRE_MESSAGE(read_until(watcher.get().out.get(), out, covers_all, deadline), out);
  check_installed(dir);

  // Stopped, it was killed by the signal, having said nothing on stderr.
  CHECK(watcher.stop() == 128 + SIGTERM);
  std::string err;
  read_until(
      watcher.get().err.get(), err, [](const std::string&) { return false; },
      Clock::now() + std::chrono::seconds(5));
  CHECK(err.empty());
}

TEST_CASE("shim watch: installs first when the shim is not in place") {
  if (!require_root()) return;
  BinDir dir(false);
  Child watcher({IPTMODE_BIN, "shim", "watch", "--bin-dir", dir.path().string(), "--shim", SHIM_BIN,
                 "--names-only"});
  std::string out;
  REQUIRE_MESSAGE(read_until(
                      watcher.get().out.get(), out,
                      [](const std::string& t) { return contains(t, "watching "); },
                      Clock::now() + std::chrono::seconds(30)),
                  out);
  const auto ls = lines(out);
  REQUIRE(ls.size() == 2);
  CHECK(ls[0] ==
        "reinstalled: iptmode-shim, iptables, iptables-save, iptables-restore, ip6tables, "
        "ip6tables-save, ip6tables-restore");
  check_installed(dir);
}

TEST_CASE("shim install, uninstall and watch need root") {
  if (!require_root()) return;
  BinDir dir(false);
  const auto before = snapshot(dir.path());
  const RunnableCopies runnable;
  const std::string iptmode = runnable(IPTMODE_BIN), shim = runnable(SHIM_BIN);
  const std::string bin_dir = dir.path().string();
  auto as_nobody_run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), iptmode);
    return run(as_nobody(args));
  };
  RunResult r = as_nobody_run({"shim", "install", "--bin-dir", bin_dir, "--shim", shim});
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "needs root"));
  r = as_nobody_run({"shim", "uninstall", "--bin-dir", bin_dir});
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "needs root"));
  r = as_nobody_run({"shim", "watch", "--bin-dir", bin_dir, "--shim", shim});
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "needs root"));
  // Looking is allowed: --dry-run prints the plan and changes nothing.
  r = as_nobody_run({"shim", "install", "--bin-dir", bin_dir, "--shim", shim, "--dry-run"});
  CHECK_MESSAGE(r.exit_code == 0, r.err);
  CHECK(contains(r.out, "link " + dir.str("iptables") + " -> iptmode-shim"));
  check_same(before, snapshot(dir.path()));
}

TEST_CASE("shim install: a file that is not an iptmode-shim is refused (12.2)") {
  if (!require_root()) return;
  BinDir dir(false);
  const auto before = snapshot(dir.path());
  // A text file, iptmode itself, the real iptables: none of them is the shim.
  for (const std::string& bad : {std::string("/etc/hostname"), std::string(IPTMODE_BIN),
                                 std::string("/usr/sbin/xtables-nft-multi")}) {
    CAPTURE(bad);
    for (bool dry : {false, true}) {
      std::vector<std::string> argv{IPTMODE_BIN,         "shim",   "install", "--bin-dir",
                                    dir.path().string(), "--shim", bad};
      if (dry) argv.push_back("--dry-run");
      RunResult r = run(argv);
      CHECK(r.exit_code == 2);
      CHECK(contains(r.err, bad + ": not an iptmode-shim"));
      CHECK(lines(r.err).size() == 1);
    }
  }
  check_same(before, snapshot(dir.path()));
  // The real one still goes in.
  CHECK(run(install_argv(dir.path())).exit_code == 0);
}

}  // namespace iptmode::test

namespace iptmode::test {
namespace {

bool has_text(int fd, std::string& text, std::string_view needle) {
  return read_until(
      fd, text, [needle](const std::string& t) { return contains(t, needle); },
      Clock::now() + std::chrono::seconds(30));
}

// k0s restarting: each name removed and linked again to its backend.
void k0s_relinks(const BinDir& dir) {
  for (const auto& n : six_names()) {
    REQUIRE(::unlink(dir.str(n).c_str()) == 0);
    REQUIRE(::symlink("xtables-nft-multi", dir.str(n).c_str()) == 0);
  }
}

}  // namespace

TEST_CASE("shim install: a backend-dir others could write is refused (12.6)") {
  if (!require_root()) return;
  BinDir dir(false);
  const auto before = snapshot(dir.path());
  TempDir up{"iptmode-backend-up"};
  const fs::path backends = up / "backends";
  fs::create_directory(backends);
  for (const char* b : {"xtables-nft-multi", "xtables-legacy-multi"})
    fs::copy_file(fs::path("/usr/sbin") / b, backends / b);
  auto install = [&](bool dry) {
    std::vector<std::string> argv = install_argv(dir.path());
    argv.insert(argv.end(), {"--backend-dir", backends.string()});
    if (dry) argv.push_back("--dry-run");
    return run(argv);
  };
  for (const auto& [writable, mode] :
       {std::pair{backends, mode_t{0777}}, std::pair{backends, mode_t{0775}},
        std::pair{up.path(), mode_t{0757}}}) {
    CAPTURE(writable.string());
    CAPTURE(mode);
    REQUIRE(::chmod(writable.c_str(), mode) == 0);
    for (bool dry : {false, true}) {
      RunResult r = install(dry);
      CHECK(r.exit_code == 2);
      CHECK(lines(r.err).size() == 1);
      CHECK(contains(r.err, "backend-dir " + backends.string()));
      CHECK(contains(r.err, writable.string() + ": a directory on the way"));
      CHECK(contains(r.err, "chmod go-w " + writable.string()));
    }
    REQUIRE(::chmod(writable.c_str(), 0755) == 0);
  }
  check_same(before, snapshot(dir.path()));
  RunResult ok = install(false);
  CHECK_MESSAGE(ok.exit_code == 0, ok.err);
}

TEST_CASE("shim watch: an install error is one line, and the next change is tried again (12.10)") {
  if (!require_root()) return;
  BinDir dir;
  Child watcher({IPTMODE_BIN, "shim", "watch", "--bin-dir", dir.path().string(), "--shim", SHIM_BIN,
                 "--names-only"});
  std::string out, err;
  REQUIRE_MESSAGE(has_text(watcher.get().out.get(), out, "watching "), out);
  const std::string good = slurp(dir.settings_path());
  // Settings the install cannot read back: it fails, the watch says so.
  put_file(dir.settings_path(), "version-check = maybe\n");
  REQUIRE_MESSAGE(has_text(watcher.get().err.get(), err, "trying again on the next change"), err);
  CHECK(lines(err).size() == 1);
  CHECK(contains(err, dir.settings_path().string()));
  // Still watching: fixed, and k0s relinking, the shim goes back.
  put_file(dir.settings_path(), good);
  out.clear();
  k0s_relinks(dir);
  REQUIRE_MESSAGE(has_text(watcher.get().out.get(), out, "ip6tables-restore"), out);
  check_installed(dir);
}

TEST_CASE("shim watch: a manual uninstall is not undone, and says how to go on (12.10)") {
  if (!require_root()) return;
  BinDir dir;
  dir.write_state(make_state(Mode::nft));
  Child watcher({IPTMODE_BIN, "shim", "watch", "--bin-dir", dir.path().string(), "--shim", SHIM_BIN,
                 "--names-only"});
  std::string out, err;
  REQUIRE_MESSAGE(has_text(watcher.get().out.get(), out, "watching "), out);

  run_ok(uninstall_argv(dir.path()));
  // The watch saw the names change (its line comes after its quiet moment,
  // when it would have reinstalled) and left them.
  REQUIRE_MESSAGE(has_text(watcher.get().err.get(), err, "not reinstalling"), err);
  CHECK(contains(err, "iptmode shim install"));
  CHECK(contains(err, "systemctl stop iptmode-shim-watch"));
  check_k0s_links(dir, "xtables-nft-multi");
  CHECK(exists_nofollow(dir / shim::kUninstalledFile));

  // `shim install` by hand ends it: the marker goes, the watch resumes.
  RunResult r = run_ok(install_argv(dir.path()));
  CHECK(contains(r.out, std::string(shim::kUninstalledFile) + " removed"));
  CHECK_FALSE(exists_nofollow(dir / shim::kUninstalledFile));
  REQUIRE_MESSAGE(has_text(watcher.get().out.get(), out, "watching again"), out);
  out.clear();
  k0s_relinks(dir);
  REQUIRE_MESSAGE(has_text(watcher.get().out.get(), out, "ip6tables-restore"), out);
  check_installed(dir);
}

}  // namespace iptmode::test
