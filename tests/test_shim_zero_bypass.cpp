// The zero-bypass form of a k0s bin dir (docs/shim.md): `iptmode shim
// install` keeps k0s's staged xtables-*-multi in iptmode-backend/ and writes
// in their place `#!<bin dir>/iptmode-shim` scripts of their size, mode and
// mtime. So k0s's stage check re-uses them, and whatever k0s links the six
// names to at its start, every call runs the shim: checked here by doing
// what k0s does, call by call, with no timing involved.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <map>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "shim/names.h"
#include "shim/padded.h"
#include "shim/settings.h"
#include "tests/support/netns.h"
#include "tests/support/run.h"
#include "tests/support/shim_env.h"

namespace iptmode::test {
namespace {

const std::array<std::string, 2> kStaged = {"xtables-nft-multi", "xtables-legacy-multi"};

struct StagedFile {
  std::string bytes;
  off_t size;
  mode_t mode;
  timespec mtime;
};

// As k0s stages them: mode 0750, the k0s executable's mtime (to the
// nanosecond), which its next start compares against.
std::map<std::string, StagedFile> stage_as_k0s(const BinDir& dir) {
  std::map<std::string, StagedFile> out;
  for (const auto& n : kStaged) {
    REQUIRE(::chmod(dir.str(n).c_str(), 0750) == 0);
    const std::array<timespec, 2> t{timespec{1700000000, 123456789},
                                    timespec{1700000000, 123456789}};
    REQUIRE(::utimensat(AT_FDCWD, dir.str(n).c_str(), t.data(), 0) == 0);
    const struct stat st = lstat_of(dir / n);
    out[n] = {slurp(dir / n), st.st_size, st.st_mode, st.st_mtim};
  }
  return out;
}

// k0s's stage check (pkg/assets/stage.go): stat, following links; same size
// and same mtime means the file is re-used.
void check_k0s_reuses(const BinDir& dir, const std::map<std::string, StagedFile>& want) {
  for (const auto& [n, f] : want) {
    CAPTURE(n);
    const struct stat st = stat_of(dir / n);
    CHECK(st.st_size == f.size);
    CHECK(st.st_mtim.tv_sec == f.mtime.tv_sec);
    CHECK(st.st_mtim.tv_nsec == f.mtime.tv_nsec);
    CHECK(st.st_mode == f.mode);
  }
}

std::vector<std::string> default_install(const BinDir& dir) {
  return {IPTMODE_BIN, "shim", "install", "--bin-dir", dir.path().string(), "--shim", SHIM_BIN};
}

}  // namespace

TEST_CASE("shim install: the staged binaries become padded scripts k0s re-uses, and come back") {
  if (!require_root()) return;
  BinDir dir(false);
  const auto staged = stage_as_k0s(dir);
  const std::string canon = fs::canonical(dir.path()).string();
  const fs::path store = dir / shim::kBackendStore;

  RunResult r = run_ok({IPTMODE_BIN, "shim", "install", "--bin-dir", dir.path().string(), "--shim",
                        SHIM_BIN, "--dry-run"});
  for (const auto& n : kStaged) CHECK(contains(r.out, "keep " + dir.str(n) + " in "));
  CHECK_FALSE(exists_nofollow(store));
  CHECK(slurp(dir / "xtables-nft-multi") == staged.at("xtables-nft-multi").bytes);

  r = run_ok(default_install(dir));
  CHECK(contains(r.out, "xtables-nft-multi kept in iptmode-backend/"));
  check_k0s_reuses(dir, staged);
  for (const auto& [n, f] : staged) {
    CAPTURE(n);
    const std::string script = slurp(dir / n);
    CHECK(script.starts_with("#!" + canon + "/iptmode-shim\n"));
    CHECK(shim::padded_interpreter(script) == canon + "/iptmode-shim");
    CHECK(slurp(store / n) == f.bytes);
    CHECK(stat_of(store / n).st_mtim.tv_nsec == f.mtime.tv_nsec);
  }
  shim::Settings s;
  int bad = 0;
  REQUIRE(shim::parse_settings(slurp(dir.settings_path()), s, &bad));
  CHECK(std::string(s.backend_dir) == canon + "/" + shim::kBackendStore);
  for (const auto& n : six_names()) CHECK(link_of(dir / n) == shim::kShimFile);

  // Idempotent: the scripts are recognised, never moved into the store.
  r = run_ok(default_install(dir));
  CHECK(contains(r.out, "installed already"));
  for (const auto& [n, f] : staged) CHECK(slurp(store / n) == f.bytes);
  check_k0s_reuses(dir, staged);

  // Uninstall: what k0s staged, byte for byte, size and mtime kept.
  r = run_ok({IPTMODE_BIN, "shim", "uninstall", "--bin-dir", dir.path().string()});
  for (const auto& [n, f] : staged) {
    CAPTURE(n);
    CHECK(slurp(dir / n) == f.bytes);
  }
  check_k0s_reuses(dir, staged);
  CHECK_FALSE(exists_nofollow(store));
  for (const auto& n : six_names()) CHECK(link_of(dir / n).starts_with("xtables-"));
}

// iptmode-backend/ on a filesystem of its own (a mount there): no hard link
// and no rename reaches it, so the binaries are copied both ways, each
// bounded by the size it had when checked and written with its mode and
// mtime to the nanosecond. In a mount namespace of the shell's own, so the
// tmpfs is gone when it ends; the copies in it are checked from inside.
TEST_CASE("shim install: a store on another filesystem gets copies, k0s's mtime kept both ways") {
  if (!require_root()) return;
  BinDir dir(false);
  const auto staged = stage_as_k0s(dir);
  const fs::path store = dir / shim::kBackendStore;
  fs::create_directory(store);
  TempDir orig("iptmode-orig");
  for (const auto& [n, f] : staged) orig.file(n, f.bytes);
  constexpr std::string_view kScript = R"sh(
store=$1 dir=$2 iptmode=$3 shim=$4 orig=$5
mount -t tmpfs -o mode=0755 iptmode-test-store "$store"
"$iptmode" shim install --bin-dir "$dir" --shim "$shim" >/dev/null
for n in xtables-nft-multi xtables-legacy-multi; do
  cmp "$orig/$n" "$store/$n"
  stat -c "$n %s %a %.9Y" "$store/$n"
done
"$iptmode" shim uninstall --bin-dir "$dir" >/dev/null
)sh";
  const RunResult r =
      run_ok({"unshare", "-m", "--propagation", "private", "sh", "-ec", std::string(kScript), "sh",
              store.string(), dir.path().string(), IPTMODE_BIN, SHIM_BIN, orig.str()});
  for (const auto& [n, f] : staged)
    CHECK(contains(r.out, n + " " + std::to_string(f.size) + " 750 1700000000.123456789\n"));
  // Back from the copy: what k0s staged, byte for byte, size, mode and mtime.
  for (const auto& [n, f] : staged) {
    CAPTURE(n);
    CHECK(slurp(dir / n) == f.bytes);
  }
  check_k0s_reuses(dir, staged);
  for (const auto& n : six_names()) CHECK(link_of(dir / n).starts_with("xtables-"));
}

TEST_CASE("shim: k0s's relink at start never bypasses the shim in the zero-bypass form") {
  if (!require_root()) return;
  Netns ns;
  BinDir dir(false);
  const auto staged = stage_as_k0s(dir);
  run_ok(default_install(dir));
  dir.write_state(make_state(Mode::nft));
  // A mark only the nft backend holds: a call that prints it ran nft.
  for (const char* n : {"iptables", "ip6tables"})
    ns.exec_ok({dir.str(n), "-w", "-t", "nat", "-N", "IPTM-NFT-MARK"});

  const std::string path = "PATH=" + dir.path().string();
  std::size_t calls = 0;
  // Every name there now, both ways kubelet reaches them (by PATH, as
  // kubelet and the CNI plugins do; by path, as keepalived does).
  // (The one name k0s has just removed is not there to call: no file in
  // the bin dir can stand in for a name that does not exist.)
  auto kubelet_calls = [&](const std::string& step) {
    for (const auto& n : six_names()) {
      if (!exists_nofollow(dir / n)) continue;
      CAPTURE(step);
      CAPTURE(n);
      RunResult v = ns.exec({"env", path, n, "-V"});
      CHECK_MESSAGE(contains(v.out, "(nf_tables)"), v.out << v.err);
      CHECK_FALSE(contains(v.out, "(legacy)"));
      ++calls;
      if (n == "iptables" || n == "ip6tables") {
        RunResult l = ns.exec({dir.str(n), "-w", "-t", "nat", "-S"});
        CHECK_MESSAGE(contains(l.out, "-N IPTM-NFT-MARK"), l.out << l.err);
        ++calls;
      }
    }
  };
  kubelet_calls("before");
  // k0s (pkg/component/iptables/iptables.go): for each name, remove it and
  // symlink it to xtables-<mode>-multi; here legacy, while the decision is nft.
  for (const auto& n : six_names()) {
    REQUIRE(::unlink(dir.str(n).c_str()) == 0);
    kubelet_calls("removed " + n);
    REQUIRE(::symlink("xtables-legacy-multi", dir.str(n).c_str()) == 0);
    kubelet_calls("linked " + n);
  }
  // 8 calls with all six names there, before and after each symlink; 6 or 7
  // after each remove.
  CHECK(calls == 8 + 6 * 8 + 2 * 6 + 4 * 7);
  // k0s's own detection runs the staged names: the real backends answer it.
  RunResult nft = ns.exec({dir.str("xtables-nft-multi"), "iptables-save", "-t", "nat"});
  CHECK(contains(nft.out, ":IPTM-NFT-MARK"));
  RunResult legacy = ns.exec({dir.str("xtables-legacy-multi"), "iptables-save"});
  CHECK_MESSAGE(legacy.exit_code == 0, legacy.err);
  CHECK_FALSE(contains(legacy.out, "IPTM-NFT-MARK"));
  RunResult lv = ns.exec({dir.str("xtables-legacy-multi"), "iptables", "-V"});
  CHECK(contains(lv.out, "(legacy)"));
  // And its next start re-uses the scripts.
  check_k0s_reuses(dir, staged);
}

TEST_CASE("shim: the interpreter form refuses what is not a name of its bin dir") {
  if (!require_root()) return;
  BinDir dir(false);
  run_ok(default_install(dir));
  dir.write_state(make_state(Mode::nft));
  const std::string shim = dir.str(shim::kShimFile);
  for (const std::string& bad :
       {std::string("/usr/sbin/iptables"), std::string("/etc/passwd"), dir.str("sh"),
        dir.str("iptmode-shim"), std::string("./iptables"), dir.str("xtables-multi")}) {
    CAPTURE(bad);
    RunResult r = run({shim, bad, "-V"});
    CHECK(r.exit_code == 1);
    CHECK(r.out.empty());
    CHECK(lines(r.err).size() == 1);
    CHECK(contains(r.err, "iptmode-shim: run as the interpreter of"));
  }
  // The bin dir reached through a link is the same directory.
  TempDir links("iptmode-bindir-link");
  fs::create_symlink(dir.path(), links / "bin");
  RunResult ok = run({shim, (links / "bin" / "iptables").string(), "-V"});
  CHECK_MESSAGE(ok.exit_code == 0, ok.err);
  CHECK(contains(ok.out, "(nf_tables)"));
}

}  // namespace iptmode::test
