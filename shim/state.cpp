#include "shim/state.h"

#include <charconv>
#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace iptmode::shim {
namespace {

// Splits off the next space-separated word of a line.
std::string_view next_word(std::string_view& line) {
  while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
  auto sp = line.find(' ');
  std::string_view w = line.substr(0, sp);
  line = sp == std::string_view::npos ? std::string_view{} : line.substr(sp + 1);
  return w;
}

template <class T>
bool number(std::string_view w, T& out, int base = 10) {
  if (w.empty()) return false;
  auto [p, ec] = std::from_chars(w.data(), w.data() + w.size(), out, base);
  return ec == std::errc{} && p == w.data() + w.size();
}

bool version_word(std::string_view w, Version& out) {
  if (auto v = parse_version(w)) {
    out = *v;
    return true;
  }
  return false;
}

std::optional<Mode> mode_word(std::string_view w) {
  return parse_mode(w);
}

bool parse_cache(std::string_view rest, State& s) {
  auto m = mode_word(next_word(rest));
  if (!m) return false;
  CacheEntry e;
  if (!number(next_word(rest), e.id.dev) || !number(next_word(rest), e.id.ino) ||
      !number(next_word(rest), e.id.size) || !number(next_word(rest), e.id.mtime_sec) ||
      !number(next_word(rest), e.id.mtime_nsec))
    return false;
  std::string_view v = next_word(rest);
  if (!rest.empty()) return false;
  if (v == "-") {
    e.has_version = false;
  } else if (version_word(v, e.version)) {
    e.has_version = true;
  } else {
    return false;
  }
  e.valid = true;
  s.cache[cache_index(*m)] = e;
  return true;
}

}  // namespace

const char* describe(StateError e) {
  switch (e) {
    case StateError::none:
      return "valid";
    case StateError::empty:
      return "empty";
    case StateError::bad_header:
      return "not an iptmode state file (bad first line)";
    case StateError::bad_line:
      return "damaged (a line is not understood)";
    case StateError::no_mode:
      return "damaged (no mode line)";
    case StateError::bad_sum:
      return "damaged or truncated (checksum missing or wrong)";
    case StateError::too_large:
      return "larger than 4096 bytes";
  }
  return "damaged";
}

std::uint64_t fnv1a64(std::string_view bytes) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

StateError parse_state(std::string_view text, State& out) {
  if (text.empty()) return StateError::empty;
  if (text.size() > kStateMax) return StateError::too_large;

  // The checksum line is last and covers everything before it.
  if (text.back() != '\n') return StateError::bad_sum;
  const auto sum_at = text.rfind("\nsum ", text.size() - 1);
  if (sum_at == std::string_view::npos) return StateError::bad_sum;
  const std::string_view body = text.substr(0, sum_at + 1);
  std::string_view sum_line = text.substr(sum_at + 5, text.size() - sum_at - 6);
  std::uint64_t sum = 0;
  if (sum_line.size() != 16 || !number(sum_line, sum, 16) || sum != fnv1a64(body))
    return StateError::bad_sum;

  State s;
  bool header = false, mode = false;
  std::string_view rest = body;
  while (!rest.empty()) {
    auto nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = rest.substr(nl + 1);  // body ends in '\n', so nl is found
    if (!header) {
      if (line != "iptmode-shim-state 1") return StateError::bad_header;
      header = true;
      continue;
    }
    std::string_view key = next_word(line);
    if (key == "mode") {
      auto m = mode_word(next_word(line));
      if (!m || !line.empty()) return StateError::bad_line;
      s.mode = *m;
      mode = true;
    } else if (key == "rule") {
      std::string_view r = next_word(line);
      if (r.empty() || r.size() >= sizeof s.rule || !line.empty()) return StateError::bad_line;
      std::memcpy(s.rule, r.data(), r.size());
      s.rule[r.size()] = '\0';
    } else if (key == "nft-writer") {
      std::string_view v = next_word(line);
      if (!line.empty()) return StateError::bad_line;
      if (v != "-") {
        if (!version_word(v, s.nft_writer)) return StateError::bad_line;
        s.has_nft_writer = true;
      }
    } else if (key == "cache") {
      if (!parse_cache(line, s)) return StateError::bad_line;
    } else {
      return StateError::bad_line;
    }
  }
  if (!header) return StateError::bad_header;
  if (!mode) return StateError::no_mode;
  out = s;
  return StateError::none;
}

namespace {

// Appends printf-style into a fixed buffer; once it is full, `len == cap`
// and nothing more is written. A function, not a lambda, so the format
// attribute lets the compiler check every call.
struct Appender {
  char* buf;
  std::size_t cap;
  std::size_t len = 0;

  [[gnu::format(printf, 2, 3)]] void put(const char* fmt, ...) {
    if (len >= cap) return;
    va_list ap;
    va_start(ap, fmt);
    int n = std::vsnprintf(buf + len, cap - len, fmt, ap);
    va_end(ap);
    len = (n < 0 || static_cast<std::size_t>(n) >= cap - len) ? cap
                                                              : len + static_cast<std::size_t>(n);
  }
};

}  // namespace

std::size_t format_state(const State& s, char* buf, std::size_t cap) {
  Appender out{buf, cap};
  auto put = [&out](const char* text) { out.put("%s", text); };
  std::size_t& len = out.len;
  out.put("iptmode-shim-state 1\nmode %s\n", to_string(s.mode).data());
  if (s.rule[0]) out.put("rule %s\n", s.rule);
  if (s.has_nft_writer)
    out.put("nft-writer %d.%d.%d\n", s.nft_writer.major, s.nft_writer.minor, s.nft_writer.patch);
  else
    put("nft-writer -\n");
  for (Mode m : {Mode::nft, Mode::legacy}) {
    const CacheEntry& e = s.cache[cache_index(m)];
    if (!e.valid) continue;
    out.put("cache %s %llu %llu %llu %lld %lld ", to_string(m).data(),
            static_cast<unsigned long long>(e.id.dev), static_cast<unsigned long long>(e.id.ino),
            static_cast<unsigned long long>(e.id.size), static_cast<long long>(e.id.mtime_sec),
            static_cast<long long>(e.id.mtime_nsec));
    if (e.has_version)
      out.put("%d.%d.%d\n", e.version.major, e.version.minor, e.version.patch);
    else
      put("-\n");
  }
  if (len >= cap) return 0;
  out.put("sum %016llx\n", static_cast<unsigned long long>(fnv1a64(std::string_view(buf, len))));
  return len >= cap ? 0 : len;
}

}  // namespace iptmode::shim
