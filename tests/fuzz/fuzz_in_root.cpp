// libFuzzer target: resolve_in_root, which_in_root and open_in_root over a
// small tree that the input describes, built in a fresh temporary directory
// for every input and removed after it. Whatever they are asked, they must
// return, and an open that succeeds must have opened one of the regular
// files made inside the tree: never anything outside the root.
//
// Input (every field optional; a short input just ends the description):
//   n                      entries: n % 17
//   per entry: kind        % 3: 0 directory, 1 file (bit 2: executable), 2 symlink
//              parent      % (directories so far + 1): 0 the root, i the i-th directory
//              name        1-2 letters of "abcd" (bit 2: a second letter, from bits 3-4)
//              [symlink] len % 201, then len bytes of target (cut at a NUL)
//   PATH                   len % 129, then len bytes (cut at a NUL; at most 8 entries)
//   command name           len % 9, then len bytes (cut at a NUL)
//   path                   the rest, at most 256 bytes (cut at a NUL)
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/fd.h"
#include "detect/in_root.h"

using namespace iptmode;

namespace {

struct Reader {
  const std::uint8_t* p;
  std::size_t left;
  bool empty() const { return left == 0; }
  std::uint8_t byte() {
    if (left == 0) return 0;
    --left;
    return *p++;
  }
  std::string bytes(std::size_t n) {
    n = std::min(n, left);
    std::string s(reinterpret_cast<const char*>(p), n);
    p += n;
    left -= n;
    return s;
  }
};

std::string cut_at_nul(std::string s) {
  if (auto nul = s.find('\0'); nul != std::string::npos) s.resize(nul);
  return s;
}

// At most `max` colon-separated entries.
std::string first_entries(std::string s, int max) {
  std::size_t at = 0;
  for (int i = 0; i < max; ++i) {
    at = s.find(':', at);
    if (at == std::string::npos) return s;
    if (i + 1 < max) ++at;
  }
  s.resize(at);
  return s;
}

struct Inode {
  dev_t dev;
  ino_t ino;
};

struct Tree {
  std::string dir;             // the temporary root, removed by ~Tree
  std::vector<UniqueFd> dirs;  // the directories made, as fds
  std::vector<Inode> files;    // every regular file made
  ~Tree() {
    dirs.clear();
    if (!dir.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  }
};

std::string temp_base() {
  const char* t = std::getenv("TMPDIR");
  return t && *t ? t : "/tmp";
}

[[noreturn]] void escaped() {
  // An open inside the root reached a file the tree does not hold.
  __builtin_trap();
}

void check_opened(const Tree& t, int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) __builtin_trap();
  if (!S_ISREG(st.st_mode)) __builtin_trap();  // open_in_root promises a regular file
  for (const auto& f : t.files)
    if (f.dev == st.st_dev && f.ino == st.st_ino) return;
  escaped();
}

bool same_file(int a, int b) {
  struct stat sa {
  }, sb{};
  return ::fstat(a, &sa) == 0 && ::fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

// A canonical path: absolute, no empty, "." or ".." component.
bool canonical(std::string_view p) {
  if (p.empty() || p.front() != '/') return false;
  if (p == "/") return true;
  p.remove_prefix(1);
  while (true) {
    auto slash = p.find('/');
    std::string_view c = p.substr(0, slash);
    if (c.empty() || c == "." || c == "..") return false;
    if (slash == std::string_view::npos) return true;
    p.remove_prefix(slash + 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Reader in{data, size};

  Tree t;
  std::string tmpl = temp_base() + "/fuzz_in_root.XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) return 0;  // not the code under test
  t.dir = tmpl;
  UniqueFd top(::open(t.dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!top) return 0;

  static constexpr char kLetters[] = "abcd";
  const int n = in.byte() % 17;
  for (int i = 0; i < n && !in.empty(); ++i) {
    const std::uint8_t kind_byte = in.byte();
    const int kind = kind_byte % 3;
    const std::size_t parent = in.byte() % (t.dirs.size() + 1);
    const std::uint8_t name_byte = in.byte();
    std::string name(1, kLetters[name_byte & 3]);
    if (name_byte & 4) name += kLetters[(name_byte >> 3) & 3];
    const int at = parent == 0 ? top.get() : t.dirs[parent - 1].get();
    if (kind == 0) {
      if (::mkdirat(at, name.c_str(), 0755) != 0) continue;
      UniqueFd d(::openat(at, name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (d) t.dirs.push_back(std::move(d));
    } else if (kind == 1) {
      const mode_t mode = (kind_byte & 4) ? 0755 : 0644;
      UniqueFd f(
          ::openat(at, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
      if (!f) continue;
      ::fchmod(f.get(), mode);  // the umask may have taken the execute bits
      struct stat st {};
      if (::fstat(f.get(), &st) == 0) t.files.push_back({st.st_dev, st.st_ino});
    } else {
      const std::string target = cut_at_nul(in.bytes(in.byte() % 201));
      if (!target.empty()) ::symlinkat(target.c_str(), at, name.c_str());
    }
  }
  // PATH, as a component's environment would carry it: bounded, so a lookup
  // stays cheap (docs/security.md: PATH resolution has no overall budget).
  const std::string path_var = first_entries(cut_at_nul(in.bytes(in.byte() % 129)), 8);
  const std::string command = cut_at_nul(in.bytes(in.byte() % 9));
  const std::string query = cut_at_nul(in.bytes(256));

  auto root = open_root(t.dir);
  if (!root) __builtin_trap();
  const int root_fd = root->get();

  // resolve_in_root: a canonical path to something that exists; opening it
  // succeeds exactly for a regular file, and reaches a file of the tree.
  if (auto r = resolve_in_root(root_fd, query)) {
    if (!canonical(r->path)) __builtin_trap();
    const std::string rel = r->path == "/" ? "." : r->path.substr(1);
    struct stat st {};
    if (::fstatat(top.get(), rel.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) __builtin_trap();
    if (S_ISLNK(st.st_mode)) __builtin_trap();  // no symlink left
    auto fd = open_in_root(root_fd, r->path);
    if (fd.has_value() != S_ISREG(st.st_mode)) __builtin_trap();
    if (fd) check_opened(t, fd->get());
  }

  // open_in_root on the path as given (not resolved first): still confined.
  if (auto fd = open_in_root(root_fd, query)) {
    check_opened(t, fd->get());
    // The kernel's walk and resolve_in_root's agree on where it leads, but
    // for resolve_in_root's step budget (kMaxSteps), which the kernel lacks.
    auto r = resolve_in_root(root_fd, query);
    if (!r) {
      if (r.error().errnum != ELOOP) __builtin_trap();
    } else {
      auto again = open_in_root(root_fd, r->path);
      if (!again || !same_file(fd->get(), again->get())) __builtin_trap();
    }
  }

  // which_in_root: an executable regular file of the tree, which opens.
  for (const std::string& name : {command, std::string("a"), std::string("b")}) {
    if (auto w = which_in_root(root_fd, path_var, name)) {
      if (!canonical(w->path)) __builtin_trap();
      auto fd = open_in_root(root_fd, w->path);
      if (!fd) __builtin_trap();
      check_opened(t, fd->get());
      struct stat st {};
      if (::fstat(fd->get(), &st) != 0 || !(st.st_mode & 0111)) __builtin_trap();
    }
  }
  return 0;
}
