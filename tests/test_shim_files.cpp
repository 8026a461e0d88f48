// shim/files.h is the one reader, checker, lock and writer of the shim's
// state and settings: what it refuses is what the shim refuses, what it
// writes reads back as meant, and its lock is bounded and says who holds it.
#include "shim/files.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>

#include <doctest/doctest.h>

#include "shim/names.h"
#include "tests/support/temp_dir.h"

namespace iptmode::shim {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

class Dir {
 public:
  Dir() {
    fd_ = ::open(tmp_.str().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    REQUIRE(fd_ >= 0);
  }
  ~Dir() { ::close(fd_); }
  int fd() const { return fd_; }
  std::string at(std::string_view name) const { return tmp_.str() + "/" + std::string(name); }
  void put(std::string_view name, std::string_view bytes, mode_t mode = 0644) const {
    tmp_.file(name, bytes, mode);
  }

 private:
  TempDir tmp_;
  int fd_ = -1;
};

State some_state(Mode m) {
  State s;
  s.mode = m;
  std::strcpy(s.rule, "hint");
  return s;
}

void store(const Dir& d, const State& s) {
  StateLock lock;
  REQUIRE(lock.take(d.fd(), 1000) == LockStatus::ok);
  REQUIRE(write_state(d.fd(), lock, s) == 0);
}

// How many of this process's fds are open on `path`.
int fds_on(const std::string& path) {
  int n = 0;
  for (const auto& e : fs::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    if (fs::read_symlink(e.path(), ec) == path) ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("shim files: read_state trusts only a root-owned regular file nobody else can write") {
  const bool root = ::geteuid() == 0;
  Dir d;
  State s;
  CHECK(read_state(d.fd(), s).load == Load::missing);
  store(d, some_state(Mode::legacy));
  StateRead r = read_state(d.fd(), s);
  if (root) {
    REQUIRE(r.load == Load::ok);
    CHECK(s.mode == Mode::legacy);
  } else {
    CHECK(r.load == Load::untrusted);
    CHECK(r.trust == Trust::not_root);
    return;  // the rest needs root's files
  }
  SUBCASE("group- or world-writable") {
    for (mode_t m : {0664, 0646}) {
      REQUIRE(::chmod(d.at(kStateFile).c_str(), m) == 0);
      r = read_state(d.fd(), s);
      CHECK(r.load == Load::untrusted);
      CHECK(std::string(r.why()) == "writable by group or others");
      CHECK(std::string(r.fix()) == "chmod go-w it");
    }
  }
  SUBCASE("not root's") {
    REQUIRE(::chown(d.at(kStateFile).c_str(), 65534, 65534) == 0);
    CHECK(read_state(d.fd(), s).trust == Trust::not_root);
  }
  SUBCASE("a symlink to a valid state, a FIFO, a directory") {
    fs::rename(d.at(kStateFile), d.at("real"));
    fs::create_symlink(d.at("real"), d.at(kStateFile));
    CHECK(read_state(d.fd(), s).trust == Trust::not_regular);
    fs::remove(d.at(kStateFile));
    REQUIRE(::mkfifo(d.at(kStateFile).c_str(), 0644) == 0);
    CHECK(read_state(d.fd(), s).trust == Trust::not_regular);  // and it did not block
    fs::remove(d.at(kStateFile));
    fs::create_directory(d.at(kStateFile));
    CHECK(read_state(d.fd(), s).load == Load::untrusted);
  }
  SUBCASE("damaged: the parser's reason") {
    d.put(kStateFile, "iptmode-shim-state 1\nmode nft\n");
    r = read_state(d.fd(), s);
    CHECK(r.load == Load::damaged);
    CHECK(r.error == StateError::bad_sum);
    CHECK(std::string(r.why()) == describe(StateError::bad_sum));
  }
  SUBCASE("the refusal names the file and the fix") {
    REQUIRE(::chmod(d.at(kStateFile).c_str(), 0666) == 0);
    char why[512];
    refusal(read_state(d.fd(), s), "/bin/dir", why, sizeof why);
    CHECK(std::string(why) ==
          "/bin/dir/iptmode-shim.state: writable by group or others; chmod go-w it");
  }
}

TEST_CASE("shim files: a decision keeps the version cache, a cache update keeps the decision") {
  if (::geteuid() != 0) return;  // read_state trusts root's files only
  Dir d;
  State s = some_state(Mode::nft);
  CacheEntry e{true, {1, 2, 3, 4, 5}, true, {1, 8, 9}};
  {
    StateLock lock;
    REQUIRE(lock.take(d.fd(), 1000) == LockStatus::ok);
    CHECK(record_cache(d.fd(), lock, Mode::nft, e) == ENOENT);  // no state to add it to
    REQUIRE(record_decision(d.fd(), lock, s) == 0);
    REQUIRE(record_cache(d.fd(), lock, Mode::nft, e) == 0);
    REQUIRE(record_decision(d.fd(), lock, some_state(Mode::legacy)) == 0);
  }
  State back;
  REQUIRE(read_state(d.fd(), back).load == Load::ok);
  CHECK(back.mode == Mode::legacy);
  CHECK(back.cache[cache_index(Mode::nft)].valid);
  CHECK(back.cache[cache_index(Mode::nft)].id == e.id);
  struct stat st {};
  REQUIRE(::stat(d.at(kStateFile).c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0644);
}

TEST_CASE("shim files: write_atomic gives the file the times asked for, to the nanosecond") {
  Dir d;
  d.put("f", "old");
  // k0s's stage check compares the mtime with Go's Time.Equal: every
  // nanosecond counts.
  const timespec times[2] = {{1'600'000'000, 123'456'789}, {1'700'000'000, 987'654'321}};
  REQUIRE(write_atomic(d.fd(), "f", "new bytes", 9, 0750, times) == 0);
  struct stat st {};
  REQUIRE(::stat(d.at("f").c_str(), &st) == 0);
  CHECK(st.st_atim.tv_sec == times[0].tv_sec);
  CHECK(st.st_atim.tv_nsec == times[0].tv_nsec);
  CHECK(st.st_mtim.tv_sec == times[1].tv_sec);
  CHECK(st.st_mtim.tv_nsec == times[1].tv_nsec);
  CHECK((st.st_mode & 07777) == 0750);
  CHECK(st.st_size == 9);
  // Without times the file is as written now, whatever the old one's were.
  REQUIRE(write_atomic(d.fd(), "f", "x", 1, 0644) == 0);
  REQUIRE(::stat(d.at("f").c_str(), &st) == 0);
  CHECK(st.st_mtim.tv_sec > times[1].tv_sec);
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(d.at(""))) ++entries;
  CHECK(entries == 1);  // no temporary left beside it
}

TEST_CASE("shim files: temp_name is .NAME.tmp.PID, or false when no file could have it") {
  char out[NAME_MAX + 1];
  REQUIRE(temp_name("iptables", out, sizeof out));
  CHECK(std::string(out) == ".iptables.tmp." + std::to_string(::getpid()));
  // packaging's removal scripts match .iptmode.prom.tmp.*
  REQUIRE(temp_name("iptmode.prom", out, sizeof out));
  CHECK(std::string(out).starts_with(".iptmode.prom.tmp."));
  CHECK_FALSE(temp_name("iptables", out, 5));
  const std::string longest(NAME_MAX - 1, 'n');
  CHECK_FALSE(temp_name(longest.c_str(), out, sizeof out));
  CHECK(write_atomic(Dir().fd(), longest.c_str(), "x", 1, 0644) == ENAMETOOLONG);
}

TEST_CASE("shim files: settings are written as the shim reads them back, or not at all") {
  Dir d;
  Settings s = default_settings();
  std::strcpy(s.backend_dir, "/var/lib/k0s/bin");
  s.version_check = VersionCheck::enforce;
  s.detector_timeout = 7;
  int err = 0;
  REQUIRE(write_settings(d.fd(), s, &err) == SettingsWrite::written);
  if (::geteuid() == 0) {
    Settings back;
    REQUIRE(read_settings(d.fd(), back).load == SettingsLoad::ok);
    CHECK(back == s);
    struct stat before {
    }, after{};
    REQUIRE(::stat(d.at(kSettingsFile).c_str(), &before) == 0);
    CHECK(write_settings(d.fd(), s, &err) == SettingsWrite::unchanged);
    REQUIRE(::stat(d.at(kSettingsFile).c_str(), &after) == 0);
    CHECK(before.st_ino == after.st_ino);  // not rewritten: `shim watch` sees no event
  }
  // A value the shim would cut or refuse is never written.
  for (const char* bad : {"/opt/ip#tables", "/opt/../bin"}) {
    CAPTURE(bad);
    Settings b = s;
    std::strcpy(b.backend_dir, bad);
    CHECK(write_settings(d.fd(), b, &err) == SettingsWrite::unreadable_back);
  }
}

TEST_CASE("shim files: settings refused as the shim refuses them") {
  if (::geteuid() != 0) return;
  Dir d;
  Settings s;
  CHECK(read_settings(d.fd(), s).load == SettingsLoad::defaults);
  d.put(kSettingsFile, "version-check = warn\n", 0664);
  SettingsRead r = read_settings(d.fd(), s);
  CHECK(r.load == SettingsLoad::untrusted);
  CHECK(r.trust == Trust::writable);
  d.put(kSettingsFile, "# ok\ndetector-timeout = 0\n");
  r = read_settings(d.fd(), s);
  CHECK(r.load == SettingsLoad::bad_line);
  CHECK(r.bad_line == 2);
  char why[512];
  refusal(r, "/b", why, sizeof why);
  CHECK(std::string(why).starts_with("/b/iptmode-shim.conf:2: not understood"));
}

TEST_CASE("shim files: the lock is bounded and says who holds it") {
  Dir d;
  StateLock a;
  REQUIRE(a.take(d.fd(), 1000) == LockStatus::ok);
  StateLock b;
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(b.take(d.fd(), 200) == LockStatus::timed_out);
  CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(200));
  CHECK(b.holder() == ::getpid());
  char comm[32] = {};
  const int fd = ::open("/proc/self/comm", O_RDONLY);
  REQUIRE(fd >= 0);
  REQUIRE(::read(fd, comm, sizeof comm - 1) > 0);
  ::close(fd);
  *std::strchr(comm, '\n') = '\0';
  CHECK(std::string(b.holder_name()) == comm);
}

TEST_CASE(
    "shim files: a waiter gets the failure of the detection it waited for, not an older one") {
  Dir d;
  const std::string lock_path = d.at(kLockFile);
  {
    StateLock old;
    REQUIRE(old.take(d.fd(), 1000) == LockStatus::ok);
    old.record_failure("an old failure");
  }
  // Recorded before this caller began: it runs its own detection.
  std::optional<StateLock> first;
  first.emplace();
  REQUIRE(first->take(d.fd(), 1000) == LockStatus::ok);
  CHECK(first->failure() == nullptr);

  // A waiter that began while `first` held the lock sees what `first` records.
  std::optional<StateLock> waiter;
  waiter.emplace();
  LockStatus got = LockStatus::failed;
  std::thread t([&] { got = waiter->take(d.fd(), 10'000); });
  // The waiter has begun once it has the lock file open (a second fd on it).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (fds_on(lock_path) < 2 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  REQUIRE(fds_on(lock_path) >= 2);
  first->record_failure("`iptmode detect` failed (timed out after 30 s, killed)");
  first.reset();  // released
  t.join();
  REQUIRE(got == LockStatus::ok);
  REQUIRE(waiter->failure() != nullptr);
  CHECK(std::string(waiter->failure()) == "`iptmode detect` failed (timed out after 30 s, killed)");

  // A success clears it for whoever comes next.
  waiter->record_failure(nullptr);
  waiter.reset();
  StateLock next;
  REQUIRE(next.take(d.fd(), 1000) == LockStatus::ok);
  CHECK(next.failure() == nullptr);
}

}  // namespace iptmode::shim
