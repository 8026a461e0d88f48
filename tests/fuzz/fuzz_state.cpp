// libFuzzer target: shim::parse_state on arbitrary bytes, and on the same
// bytes as a body with the right checksum line appended. Whatever parses
// must format back (format_state) to text that parses to the same state.
// The bytes also go through the file reader the shim uses (shim/files.h's
// read_state) as DIR/iptmode-shim.state, which must agree with the parser.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string_view>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "shim/files.h"
#include "shim/names.h"
#include "shim/state.h"

using namespace iptmode;
using namespace iptmode::shim;

namespace {

bool same_entry(const CacheEntry& a, const CacheEntry& b) {
  if (a.valid != b.valid) return false;
  if (!a.valid) return true;
  if (!(a.id == b.id) || a.has_version != b.has_version) return false;
  return !a.has_version || a.version == b.version;
}

bool same(const State& a, const State& b) {
  if (a.mode != b.mode) return false;
  // The rule is a C string: format_state writes it with %s.
  if (std::strncmp(a.rule, b.rule, sizeof a.rule) != 0) return false;
  if (a.has_nft_writer != b.has_nft_writer) return false;
  if (a.has_nft_writer && !(a.nft_writer == b.nft_writer)) return false;
  return same_entry(a.cache[0], b.cache[0]) && same_entry(a.cache[1], b.cache[1]);
}

// Parses `text`; whatever parses must round-trip through format_state.
void check(std::string_view text) {
  State s;
  if (parse_state(text, s) != StateError::none) return;
  // rule[] must stay NUL-terminated whatever was parsed.
  if (std::memchr(s.rule, '\0', sizeof s.rule) == nullptr) __builtin_trap();

  char buf[kStateMax];
  const std::size_t n = format_state(s, buf, sizeof buf);
  if (n == 0 || n > sizeof buf) __builtin_trap();  // a parsed state always fits
  State again;
  if (parse_state(std::string_view(buf, n), again) != StateError::none) __builtin_trap();
  if (!same(s, again)) __builtin_trap();

  // A buffer one byte short must give 0, never a partial file.
  char small[kStateMax];
  if (format_state(s, small, n - 1) != 0) __builtin_trap();
}

// A scratch directory of our own (under $TMPDIR), opened once.
int scratch_dir() {
  static int fd = [] {
    const char* base = std::getenv("TMPDIR");
    char path[512];
    std::snprintf(path, sizeof path, "%s/fuzz-state.XXXXXX", base && *base ? base : "/tmp");
    if (!::mkdtemp(path)) __builtin_trap();
    return ::open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  }();
  return fd;
}

// The file reader says what the parser says (for a file root trusts).
void check_file(std::string_view text) {
  const int dir = scratch_dir();
  const int fd = ::openat(dir, kStateFile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) __builtin_trap();
  if (::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) __builtin_trap();
  ::close(fd);
  State from_file, from_text;
  const StateRead r = read_state(dir, from_file);
  if (::geteuid() != 0) return;  // not root's: untrusted, whatever the bytes
  const StateError e = parse_state(text, from_text);
  if (text.size() > kStateMax) {
    if (r.load != Load::damaged) __builtin_trap();
    return;
  }
  if ((r.load == Load::ok) != (e == StateError::none)) __builtin_trap();
  if (r.load == Load::ok && !same(from_file, from_text)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check(text);
  check_file(text);
  // A fuzzer cannot forge FNV-1a sums: also take the input as the body of a
  // file and append the right sum line, so the line parser is reached.
  if (size + 1 + 21 <= kStateMax) {
    char file[kStateMax];
    std::memcpy(file, data, size);
    std::size_t len = size;
    if (len == 0 || file[len - 1] != '\n') file[len++] = '\n';
    const int n = std::snprintf(file + len, sizeof file - len, "sum %016llx\n",
                                static_cast<unsigned long long>(fnv1a64({file, len})));
    if (n == 21) check(std::string_view(file, len + 21));
  }
  return 0;
}
