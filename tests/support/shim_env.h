// What the shim's root tests share: file helpers, fake backends of any
// version, a k0s-style bin dir of the test's own, a counting detector, and a
// child that is stopped however the test leaves. Header-only.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <doctest/doctest.h>

#include "shim/files.h"
#include "shim/names.h"
#include "shim/state.h"
#include "tests/support/run.h"
#include "tests/support/temp_dir.h"

namespace iptmode::test {

namespace fs = std::filesystem;

// ---------------------------------------------------------------- files

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline bool exists_nofollow(const fs::path& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0;
}

// Writes `bytes` to `p` as root with `mode`, replacing any file by rename (a
// new inode), the way k0s and package managers replace files.
inline void put_file(const fs::path& p, std::string_view bytes, mode_t mode = 0644) {
  const fs::path tmp = p.string() + ".test-tmp";
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) throw std::runtime_error("create " + tmp.string() + ": " + std::strerror(errno));
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      ::close(fd);
      throw std::runtime_error("write " + tmp.string() + ": " + std::strerror(errno));
    }
    done += static_cast<std::size_t>(w);
  }
  ::fchmod(fd, mode);  // whatever the umask made of it
  ::close(fd);
  if (::rename(tmp.c_str(), p.c_str()) != 0)
    throw std::runtime_error("rename " + tmp.string() + ": " + std::strerror(errno));
}

inline struct stat lstat_of(const fs::path& p) {
  struct stat st {};
  REQUIRE_MESSAGE(::lstat(p.c_str(), &st) == 0,
                  "lstat " << p.string() << ": " << std::strerror(errno));
  return st;
}

inline struct stat stat_of(const fs::path& p) {
  struct stat st {};
  REQUIRE_MESSAGE(::stat(p.c_str(), &st) == 0,
                  "stat " << p.string() << ": " << std::strerror(errno));
  return st;
}

// The target of symlink `p`, or "" when it is not one.
inline std::string link_of(const fs::path& p) {
  char buf[4096];
  ssize_t n = ::readlink(p.c_str(), buf, sizeof buf);
  return n < 0 ? std::string() : std::string(buf, static_cast<std::size_t>(n));
}

// ---------------------------------------------------------------- fake backends

inline constexpr std::string_view kFakeMarker = "@@IPTMODE_FAKE_VERSION@@";
inline constexpr std::size_t kFakeVersionAt = 32;  // as in fake_backend.c
inline constexpr std::size_t kFakeVersionMax = 64;

// FAKE_BACKEND_BIN's bytes carrying `version`, e.g. "1.8.10 (nf_tables)";
// "" leaves it unset (a build that names no version).
inline std::string fake_backend_bytes(std::string_view version) {
  std::string bytes = slurp(FAKE_BACKEND_BIN);
  const auto at = bytes.find(kFakeMarker);
  REQUIRE_MESSAGE(at != std::string::npos, "no version marker in " << FAKE_BACKEND_BIN);
  REQUIRE_MESSAGE(bytes.find(kFakeMarker, at + 1) == std::string::npos,
                  "the version marker occurs twice in " << FAKE_BACKEND_BIN);
  REQUIRE(version.size() < kFakeVersionMax);
  REQUIRE(at + kFakeVersionAt + kFakeVersionMax <= bytes.size());
  std::string field(kFakeVersionMax, '\0');
  field.replace(0, version.size(), version);
  bytes.replace(at + kFakeVersionAt, kFakeVersionMax, field);
  return bytes;
}

// A fake backend of `version` at `p` (replaced by rename: a new inode).
inline void put_fake_backend(const fs::path& p, std::string_view version) {
  put_file(p, fake_backend_bytes(version), 0755);
}

// What a fake backend prints first when it ran as `argv0`.
inline std::string fake_ran(std::string_view argv0, std::string_view version) {
  return "fake-backend argv0=" + std::string(argv0) + " version=" + std::string(version);
}

// ---------------------------------------------------------------- the bin dir

inline std::vector<std::string> six_names() {
  return {std::begin(shim::kNames), std::end(shim::kNames)};
}

inline std::vector<std::string> install_argv(const fs::path& dir) {
  return {IPTMODE_BIN,  "shim",   "install", "--bin-dir",
          dir.string(), "--shim", SHIM_BIN,  "--names-only"};
}

// install_argv is the names-only form: the shim tests are about dispatch with
// the backends beside the names (the zero-bypass form has tests of its own).

// A bin dir as k0s stages it: copies of the host's xtables-nft-multi and
// xtables-legacy-multi, the six names linked to xtables-nft-multi; then, unless
// told otherwise, `iptmode shim install` over it.
class BinDir {
 public:
  explicit BinDir(bool install = true) {
    for (const char* b : {"xtables-nft-multi", "xtables-legacy-multi"}) {
      fs::copy_file(fs::path("/usr/sbin") / b, dir_ / b);
      fs::permissions(dir_ / b, fs::perms(0755));
    }
    for (const auto& n : six_names()) fs::create_symlink("xtables-nft-multi", dir_ / n);
    if (install) {
      RunResult r = run_ok(install_argv(dir_.path()));
      REQUIRE_MESSAGE(r.out.find("installed") != std::string::npos, r.out);
    }
  }

  const fs::path& path() const { return dir_.path(); }
  fs::path operator/(std::string_view name) const { return dir_ / name; }
  std::string str(std::string_view name) const { return (dir_ / name).string(); }

  fs::path state_path() const { return dir_ / shim::kStateFile; }
  fs::path settings_path() const { return dir_ / shim::kSettingsFile; }

  // The state on disk as the shim reads it (shim/files.h), or nullopt when
  // it is missing, not valid or not trusted.
  std::optional<shim::State> state() const {
    const int dirfd = ::open(path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    REQUIRE(dirfd >= 0);
    shim::State s;
    const bool ok = shim::read_state(dirfd, s).load == shim::Load::ok;
    ::close(dirfd);
    if (!ok) return std::nullopt;
    return s;
  }
  std::string state_text() const { return slurp(state_path()); }

  void write_state(const shim::State& s) const { put_file(state_path(), format(s), 0644); }

  static std::string format(const shim::State& s) {
    char buf[shim::kStateMax];
    const std::size_t n = shim::format_state(s, buf, sizeof buf);
    REQUIRE(n > 0);
    return std::string(buf, n);
  }

  // Replaces the settings whole.
  void write_settings(const std::string& detector, const std::string& backend_dir = "",
                      std::string_view version_check = "warn") const {
    std::string text = "detector = " + detector + "\n";
    if (!backend_dir.empty()) text += "backend-dir = " + backend_dir + "\n";
    text += "version-check = " + std::string(version_check) + "\n";
    put_file(settings_path(), text, 0644);
  }

 private:
  TempDir dir_{"iptmode-bindir"};
};

inline shim::State make_state(Mode mode, std::optional<Version> nft_writer = std::nullopt) {
  shim::State s;
  s.mode = mode;
  std::strcpy(s.rule, "override");
  if (nft_writer) {
    s.has_nft_writer = true;
    s.nft_writer = *nft_writer;
  }
  return s;
}

// A detector that counts its runs: a root-owned 0755 script that appends a
// line to `count_file()` and then execs the real iptmode with its arguments.
class CountingDetector {
 public:
  CountingDetector() {
    put_file(dir_ / "detector",
             "#!/bin/sh\necho run >> '" + count_file().string() + "'\nexec '" +
                 std::string(IPTMODE_BIN) + "' \"$@\"\n",
             0755);
  }
  fs::path path() const { return dir_ / "detector"; }
  fs::path count_file() const { return dir_ / "runs"; }
  int runs() const {
    if (!exists_nofollow(count_file())) return 0;
    return static_cast<int>(lines(slurp(count_file())).size());
  }

 private:
  TempDir dir_{"iptmode-detector"};
};

// ---------------------------------------------------------------- children

// A spawned child that is killed (SIGTERM) and reaped when the test leaves,
// however it leaves.
class Child {
 public:
  explicit Child(const std::vector<std::string>& argv) : child_(spawn(argv)) {}
  ~Child() { stop(); }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  Spawned& get() { return child_; }
  // SIGTERM, then the exit code (128+15 when it did not handle the signal).
  int stop() {
    if (child_.pid < 0) return exit_;
    ::kill(child_.pid, SIGTERM);
    child_.in.reset();
    exit_ = wait_exit(child_.pid);
    child_.pid = -1;
    return exit_;
  }

 private:
  Spawned child_;
  int exit_ = -1;
};

inline bool contains(std::string_view hay, std::string_view needle) {
  return hay.find(needle) != std::string_view::npos;
}

}  // namespace iptmode::test
