#include "tests/support/test_root.h"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <doctest/doctest.h>

#include "tests/support/netns.h"

namespace fs = std::filesystem;

namespace iptmode::test {
namespace {

constexpr auto kReadyTimeout = std::chrono::seconds(30);
constexpr auto kExitTimeout = std::chrono::seconds(30);

std::string relative_inside(std::string_view inside) {
  if (inside.empty() || inside.front() != '/')
    throw std::invalid_argument("test root path must be absolute: " + std::string(inside));
  while (!inside.empty() && inside.front() == '/') inside.remove_prefix(1);
  return std::string(inside);
}

}  // namespace

fs::path TestRoot::host_path(std::string_view inside) const {
  return dir_ / relative_inside(inside);
}

void TestRoot::copy_in(const fs::path& host_file, std::string_view inside) {
  fs::path to = host_path(inside);
  fs::create_directories(to.parent_path());
  fs::copy_file(host_file, to, fs::copy_options::overwrite_existing);
  fs::permissions(to, fs::status(host_file).permissions());
}

void TestRoot::symlink(std::string_view inside, std::string_view target) {
  fs::path at = host_path(inside);
  fs::create_directories(at.parent_path());
  fs::create_symlink(fs::path(target), at);
}

void TestRoot::write_file(std::string_view inside, std::string_view bytes, mode_t mode) {
  fs::path to = host_path(inside);
  fs::create_directories(to.parent_path());
  {
    std::ofstream f(to, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!f) throw std::runtime_error("cannot write " + to.string());
  }
  fs::permissions(to, fs::perms(mode));
}

FakeProcess::FakeProcess(TestRoot& root, std::string name, const Netns* netns,
                         std::vector<std::string> env, std::vector<std::string> args,
                         std::string run_as)
    : name_(std::move(name)) {
  const std::string exe = "/usr/local/bin/" + name_;
  root.copy_in(FAKE_COMPONENT_BIN, exe);

  std::vector<std::string> argv{"/usr/bin/unshare",
                                "--mount",
                                "--fork",
                                "--kill-child",
                                "--root=" + root.dir().string(),
                                exe};
  argv.insert(argv.end(), args.begin(), args.end());
  if (!run_as.empty()) {
    argv = {"/usr/bin/setpriv", "--reuid=" + run_as, "--regid=nogroup", "--clear-groups",
            root.host_path(exe).string()};
    argv.insert(argv.end(), args.begin(), args.end());
  }
  if (netns != nullptr) argv = netns->wrap(argv);
  child_ = spawn(argv, env);

  std::string out;
  bool ready = read_until(
      child_.out.get(), out,
      [](const std::string& text) { return text.find('\n') != std::string::npos; },
      Clock::now() + kReadyTimeout);
  if (ready && out.starts_with("ready ")) {
    std::string_view num(out);
    num.remove_prefix(6);
    num = num.substr(0, num.find('\n'));
    auto [end, ec] = std::from_chars(num.data(), num.data() + num.size(), pid_);
    if (ec != std::errc() || end != num.data() + num.size() || pid_ <= 0) pid_ = -1;
  }
  if (pid_ <= 0) {
    RunResult rest = collect(child_, Clock::now() + kExitTimeout);
    FAIL("fake component " << name_ << " did not report ready: " << describe(argv)
                           << "\nstdout: " << out << rest.out << "\nstderr: " << rest.err);
  }

  // The pid is the fake's, not unshare's: /proc says so.
  std::ifstream comm("/proc/" + std::to_string(pid_) + "/comm");
  std::string comm_name;
  std::getline(comm, comm_name);
  if (comm_name != name_.substr(0, 15)) {
    stop();
    FAIL("pid " << pid_ << " reported by fake " << name_ << " has comm '" << comm_name << "'");
  }
}

FakeProcess::~FakeProcess() {
  stop();
}

void FakeProcess::stop() noexcept {
  if (child_.pid <= 0) return;
  // EOF on the fake's stdin: it exits, then unshare does. Both hold the
  // stdout pipe, so its end means both are gone.
  try {
    const RunResult r = collect(child_, Clock::now() + kExitTimeout);
    if (!r.timed_out) return;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "warning: stopping fake %s: %s\n", name_.c_str(), e.what());
  }
  // unshare was killed, which (--kill-child) kills the fake; make sure.
  std::fprintf(stderr, "warning: fake %s (pid %d) did not exit on EOF; killed it\n", name_.c_str(),
               pid_);
  if (pid_ > 0) ::kill(pid_, SIGKILL);
}

}  // namespace iptmode::test
