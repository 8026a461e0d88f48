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

// Reads what is there on `fd` into `sink` until `until` says stop, EOF, or the
// deadline. Returns false on EOF or timeout.
template <class Until>
bool read_until(UniqueFd& fd, UniqueFd& err_fd, std::string& sink, std::string& err_sink,
                std::chrono::steady_clock::time_point deadline, Until until) {
  char buf[4096];
  while (!until()) {
    if (!fd) return false;
    pollfd fds[2] = {{fd.get(), POLLIN, 0}, {err_fd ? err_fd.get() : -1, POLLIN, 0}};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    int n = ::poll(fds, 2, static_cast<int>(left.count()));
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (fds[1].revents) {
      ssize_t got = ::read(err_fd.get(), buf, sizeof buf);
      if (got > 0)
        err_sink.append(buf, static_cast<std::size_t>(got));
      else if (got == 0 || errno != EINTR)
        err_fd.reset();
    }
    if (fds[0].revents) {
      ssize_t got = ::read(fd.get(), buf, sizeof buf);
      if (got > 0)
        sink.append(buf, static_cast<std::size_t>(got));
      else if (got == 0 || errno != EINTR)
        fd.reset();
    }
  }
  return true;
}

}  // namespace

TestRoot::TestRoot() {
  std::string tmpl = (fs::temp_directory_path() / "iptmode-root-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr)
    throw std::runtime_error("mkdtemp " + tmpl + ": " + std::strerror(errno));
  dir_ = tmpl;
  // mkdtemp makes it 0700; a root directory is normally 0755.
  fs::permissions(dir_, fs::perms(0755));
}

TestRoot::~TestRoot() {
  std::error_code ec;
  fs::remove_all(dir_, ec);  // does not follow the symlinks inside
  if (ec) std::fprintf(stderr, "warning: removing %s: %s\n", dir_.c_str(), ec.message().c_str());
}

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
                         std::vector<std::string> env)
    : name_(std::move(name)) {
  const std::string exe = "/usr/local/bin/" + name_;
  root.copy_in(FAKE_COMPONENT_BIN, exe);

  std::vector<std::string> argv{"/usr/bin/unshare",
                                "--mount",
                                "--fork",
                                "--kill-child",
                                "--root=" + root.dir().string(),
                                exe};
  if (netns != nullptr) argv = netns->wrap(argv);
  child_ = spawn(argv, env);

  std::string out, err;
  bool ready =
      read_until(child_.out, child_.err, out, err, std::chrono::steady_clock::now() + kReadyTimeout,
                 [&] { return out.find('\n') != std::string::npos; });
  if (ready && out.starts_with("ready ")) {
    std::string_view num(out);
    num.remove_prefix(6);
    num = num.substr(0, num.find('\n'));
    auto [end, ec] = std::from_chars(num.data(), num.data() + num.size(), pid_);
    if (ec != std::errc() || end != num.data() + num.size() || pid_ <= 0) pid_ = -1;
  }
  if (pid_ <= 0) {
    stop();
    FAIL("fake component " << name_ << " did not report ready: " << describe(argv)
                           << "\nstdout: " << out << "\nstderr: " << err);
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
  child_.in.reset();  // EOF on the fake's stdin: it exits, then unshare does
  std::string out, err;
  // The fake and unshare both hold the stdout pipe: EOF there means both are
  // gone. read_until leaves the fd open only when the deadline passed.
  read_until(child_.out, child_.err, out, err, std::chrono::steady_clock::now() + kExitTimeout,
             [] { return false; });
  const bool eof = !child_.out;
  if (!eof) {
    std::fprintf(stderr, "warning: fake %s (pid %d) did not exit on EOF; killing it\n",
                 name_.c_str(), pid_);
    if (pid_ > 0) ::kill(pid_, SIGKILL);
    ::kill(child_.pid, SIGKILL);
  }
  child_.out.reset();
  child_.err.reset();
  wait_exit(child_.pid);
  child_.pid = -1;
}

}  // namespace iptmode::test
