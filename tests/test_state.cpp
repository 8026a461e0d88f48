// The shim's state file decides which backend every iptables call on the node
// runs. A file that is torn, edited or not ours must never parse as valid,
// and what format_state writes must read back as the same state.
#include "shim/state.h"

#include <array>
#include <cstring>
#include <string>

#include <doctest/doctest.h>

namespace iptmode::shim {
namespace {

std::string format(const State& s) {
  char buf[kStateMax];
  const std::size_t n = format_state(s, buf, sizeof buf);
  REQUIRE(n > 0);
  return std::string(buf, n);
}

// The sum line for `body` (every byte before it).
std::string with_sum(const std::string& body) {
  char line[32];
  std::snprintf(line, sizeof line, "sum %016llx\n", static_cast<unsigned long long>(fnv1a64(body)));
  return body + line;
}

std::string ver(const Version& v) {
  return to_string(v);
}

State full_state() {
  State s;
  s.mode = Mode::legacy;
  std::strcpy(s.rule, "rule-count");
  s.has_nft_writer = true;
  s.nft_writer = {1, 8, 10};
  CacheEntry& nft = s.cache[cache_index(Mode::nft)];
  nft.valid = true;
  nft.id = {64768, 1234567, 228512, 1700000000, 123456789};
  nft.has_version = true;
  nft.version = {1, 8, 9};
  CacheEntry& legacy = s.cache[cache_index(Mode::legacy)];
  legacy.valid = true;
  legacy.id = {18446744073709551615ULL, 1, 0, -5, 0};
  legacy.has_version = false;
  return s;
}

void check_same(const State& a, const State& b) {
  CHECK(a.mode == b.mode);
  CHECK(std::string(a.rule) == std::string(b.rule));
  CHECK(a.has_nft_writer == b.has_nft_writer);
  if (a.has_nft_writer && b.has_nft_writer) CHECK(ver(a.nft_writer) == ver(b.nft_writer));
  for (int i = 0; i < 2; ++i) {
    CAPTURE(i);
    CHECK(a.cache[i].valid == b.cache[i].valid);
    if (!a.cache[i].valid || !b.cache[i].valid) continue;
    CHECK(a.cache[i].id == b.cache[i].id);
    CHECK(a.cache[i].has_version == b.cache[i].has_version);
    if (a.cache[i].has_version && b.cache[i].has_version)
      CHECK(ver(a.cache[i].version) == ver(b.cache[i].version));
  }
}

}  // namespace

TEST_CASE("shim state: format and parse round trip") {
  const State s = full_state();
  const std::string text = format(s);
  CAPTURE(text);
  CHECK(
      text.starts_with("iptmode-shim-state 1\nmode legacy\nrule rule-count\nnft-writer 1.8.10\n"));
  CHECK(text.find("\ncache nft 64768 1234567 228512 1700000000 123456789 1.8.9\n") !=
        std::string::npos);
  CHECK(text.find("\ncache legacy 18446744073709551615 1 0 -5 0 -\n") != std::string::npos);

  State back;
  REQUIRE(parse_state(text, back) == StateError::none);
  check_same(s, back);
  // Formatting what was read gives the same bytes: nothing is lost or reordered.
  CHECK(format(back) == text);
}

TEST_CASE("shim state: the smallest state") {
  State s;
  s.mode = Mode::nft;
  const std::string text = format(s);
  CHECK(text == with_sum("iptmode-shim-state 1\nmode nft\nnft-writer -\n"));
  State back;
  back.has_nft_writer = true;  // must be cleared by the parse
  REQUIRE(parse_state(text, back) == StateError::none);
  CHECK(back.mode == Mode::nft);
  CHECK(back.rule[0] == '\0');
  CHECK_FALSE(back.has_nft_writer);
  CHECK_FALSE(back.cache[0].valid);
  CHECK_FALSE(back.cache[1].valid);
}

TEST_CASE("shim state: nft-writer \"-\" means none, a version means that version") {
  State s;
  REQUIRE(parse_state(with_sum("iptmode-shim-state 1\nmode nft\nnft-writer -\n"), s) ==
          StateError::none);
  CHECK_FALSE(s.has_nft_writer);
  REQUIRE(parse_state(with_sum("iptmode-shim-state 1\nmode nft\nnft-writer 1.8.8\n"), s) ==
          StateError::none);
  CHECK(s.has_nft_writer);
  CHECK(ver(s.nft_writer) == "1.8.8");
  // No nft-writer line at all is the same as "-".
  REQUIRE(parse_state(with_sum("iptmode-shim-state 1\nmode legacy\n"), s) == StateError::none);
  CHECK(s.mode == Mode::legacy);
  CHECK_FALSE(s.has_nft_writer);
  CHECK(parse_state(with_sum("iptmode-shim-state 1\nmode nft\nnft-writer banana\n"), s) ==
        StateError::bad_line);
  CHECK(parse_state(with_sum("iptmode-shim-state 1\nmode nft\nnft-writer 1.8.8 1.8.9\n"), s) ==
        StateError::bad_line);
}

TEST_CASE("shim state: cache entries") {
  const std::string head = "iptmode-shim-state 1\nmode nft\n";
  State s;
  SUBCASE("both backends, with and without a version") {
    REQUIRE(parse_state(with_sum(head + "cache nft 1 2 3 4 5 1.8.10\ncache legacy 6 7 8 9 10 -\n"),
                        s) == StateError::none);
    const CacheEntry& n = s.cache[cache_index(Mode::nft)];
    const CacheEntry& l = s.cache[cache_index(Mode::legacy)];
    CHECK(n.valid);
    CHECK(n.id == BackendIdentity{1, 2, 3, 4, 5});
    CHECK(n.has_version);
    CHECK(ver(n.version) == "1.8.10");
    CHECK(l.valid);
    CHECK(l.id == BackendIdentity{6, 7, 8, 9, 10});
    CHECK_FALSE(l.has_version);
  }
  SUBCASE("one backend only") {
    REQUIRE(parse_state(with_sum(head + "cache legacy 6 7 8 9 10 1.8.9\n"), s) == StateError::none);
    CHECK_FALSE(s.cache[cache_index(Mode::nft)].valid);
    CHECK(s.cache[cache_index(Mode::legacy)].valid);
  }
  SUBCASE("malformed entries are damage, not a cache miss") {
    for (const char* bad : {
             "cache nft 1 2 3 4 5\n",                           // no version word
             "cache nft 1 2 3 4 5 1.8.9 x\n",                   // a word too many
             "cache nft 1 2 3 4 1.8.9\n",                       // a number short
             "cache nftx 1 2 3 4 5 1.8.9\n",                    // no such mode
             "cache nft 1 2 x 4 5 1.8.9\n",                     // not a number
             "cache nft -1 2 3 4 5 1.8.9\n",                    // the device is unsigned
             "cache nft 1 2 3 4 5 banana\n",                    // not a version
             "cache nft 0x1 2 3 4 5 1.8.9\n",                   // decimal only
             "cache nft 99999999999999999999 2 3 4 5 1.8.9\n",  // does not fit
             "cache\n",
         }) {
      CAPTURE(bad);
      CHECK(parse_state(with_sum(head + bad), s) == StateError::bad_line);
    }
  }
}

TEST_CASE("shim state: every flipped bit is caught") {
  const std::string good = format(full_state());
  State s;
  REQUIRE(parse_state(good, s) == StateError::none);
  for (std::size_t i = 0; i < good.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      // The sum's hex digits read case-blind: 'a' -> 'A' (bit 5) is the same
      // number, and the body it covers is untouched.
      const bool in_sum = i >= good.rfind("\nsum ") + 5 && i + 1 < good.size();
      if (in_sum && bit == 5 && good[i] >= 'a' && good[i] <= 'f') continue;
      CAPTURE(i);
      CAPTURE(bit);
      State out;
      out.mode = Mode::nft;
      CHECK(parse_state(bad, out) != StateError::none);
      // A refused parse leaves the output alone.
      CHECK(out.mode == Mode::nft);
    }
  }
}

TEST_CASE("shim state: truncation at every length is caught") {
  const std::string good = format(full_state());
  for (std::size_t len = 0; len < good.size(); ++len) {
    CAPTURE(len);
    State s;
    const StateError e = parse_state(std::string_view(good).substr(0, len), s);
    CHECK(e != StateError::none);
    if (len == 0) CHECK(e == StateError::empty);
  }
}

TEST_CASE("shim state: the sum line must be there, last and right") {
  const std::string body = "iptmode-shim-state 1\nmode legacy\nnft-writer -\n";
  const std::string good = with_sum(body);
  State s;
  REQUIRE(parse_state(good, s) == StateError::none);

  CHECK(parse_state(body, s) == StateError::bad_sum);                 // missing
  CHECK(parse_state(good + "mode nft\n", s) == StateError::bad_sum);  // a line after it
  CHECK(parse_state(good + "\n", s) == StateError::bad_sum);          // an empty line after
  CHECK(parse_state(good.substr(0, good.size() - 1), s) ==
        StateError::bad_sum);  // no final newline
  CHECK(parse_state(body + "sum 0000000000000000\n", s) == StateError::bad_sum);  // wrong
  CHECK(parse_state(body + "sum 123\n", s) == StateError::bad_sum);               // short
  CHECK(parse_state(body + "sum  " + good.substr(good.rfind("sum ") + 4), s) ==
        StateError::bad_sum);  // two spaces
  // The sum covers the body: a body edited and not re-summed is refused...
  std::string edited = good;
  edited.replace(edited.find("mode legacy"), 11, "mode nft   ");
  CHECK(parse_state(edited, s) == StateError::bad_sum);
  // ... and a garbage line with a right sum is still not understood.
  CHECK(parse_state(with_sum(body + "garbage here\n"), s) == StateError::bad_line);
  CHECK(parse_state(with_sum(body + "\n"), s) == StateError::bad_line);
}

TEST_CASE("shim state: a wrong header is not our file, even with a right sum") {
  State s;
  for (const char* header :
       {"iptmode-shim-state 2\n", "iptmode-shim-state\n", "IPTMODE-SHIM-STATE 1\n",
        "iptmode-shim-state 1 \n", " iptmode-shim-state 1\n"}) {
    CAPTURE(header);
    CHECK(parse_state(with_sum(std::string(header) + "mode nft\n"), s) == StateError::bad_header);
  }
  // The mode is required.
  CHECK(parse_state(with_sum("iptmode-shim-state 1\nrule hint\n"), s) == StateError::no_mode);
  CHECK(parse_state(with_sum("iptmode-shim-state 1\n"), s) == StateError::no_mode);
  CHECK(parse_state(with_sum("iptmode-shim-state 1\nmode both\n"), s) == StateError::bad_line);
  CHECK(parse_state(with_sum("iptmode-shim-state 1\nmode nft legacy\n"), s) ==
        StateError::bad_line);
  CHECK(parse_state(with_sum("iptmode-shim-state 1\nmode nft\nrule "
                             "a-rule-name-of-thirty-two-chars!\n"),
                    s) == StateError::bad_line);
  CHECK(parse_state(with_sum("iptmode-shim-state 1\nmode nft\nrule\n"), s) == StateError::bad_line);
  CHECK(parse_state(with_sum("iptmode-shim-state 1\nmode nft\nwhat 1\n"), s) ==
        StateError::bad_line);
}

TEST_CASE("shim state: CRLF line ends are refused") {
  std::string crlf;
  for (char c : format(full_state())) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  State s;
  CHECK(parse_state(crlf, s) != StateError::none);
  // Even re-summed: "iptmode-shim-state 1\r" is not the header.
  std::string body = crlf.substr(0, crlf.rfind("sum "));
  CHECK(parse_state(with_sum(body), s) == StateError::bad_header);
}

TEST_CASE("shim state: up to 4096 bytes is read, one byte more is refused") {
  // A valid file of exactly kStateMax bytes: the sum line is 21 bytes, the
  // body is padded with rule lines (the last one sized to fit).
  const std::size_t body_size = kStateMax - 21;
  std::string body = "iptmode-shim-state 1\nmode nft\n";
  while (body_size - body.size() >= 30) body += "rule hint\n";
  const std::size_t rest = body_size - body.size();  // 20..29: "rule " + word + "\n"
  const std::string word(rest - 6, 'r');
  State s;
  const std::string at_limit = with_sum(body + "rule " + word + "\n");
  REQUIRE(at_limit.size() == kStateMax);
  CHECK(parse_state(at_limit, s) == StateError::none);
  CHECK(std::string(s.rule) == word);

  const std::string over = with_sum(body + "rule " + word + "r\n");
  REQUIRE(over.size() == kStateMax + 1);
  CHECK(parse_state(over, s) == StateError::too_large);
  CHECK(parse_state(std::string(1 << 20, 'x'), s) == StateError::too_large);
}

TEST_CASE("shim state: format_state never writes past its buffer") {
  const State st = full_state();
  const std::string want = format(st);
  // Every capacity up to the length is too small (it also needs the NUL
  // snprintf writes); one more is enough.
  for (std::size_t cap = 0; cap <= want.size() + 1; ++cap) {
    CAPTURE(cap);
    std::array<char, kStateMax + 64> buf;
    buf.fill('\x5a');
    const std::size_t n = format_state(st, buf.data(), cap);
    for (std::size_t i = cap; i < buf.size(); ++i) {
      if (buf[i] != '\x5a') {
        FAIL_CHECK("byte " << i << " written past cap " << cap);
        break;
      }
    }
    if (cap > want.size()) {
      CHECK(n == want.size());
      CHECK(std::string(buf.data(), n) == want);
    } else {
      CHECK(n == 0);
    }
  }
}

TEST_CASE("shim state: fnv1a64 is the published FNV-1a 64") {
  CHECK(fnv1a64("") == 0xcbf29ce484222325ULL);
  CHECK(fnv1a64("a") == 0xaf63dc4c8601ec8cULL);
  CHECK(fnv1a64("foobar") == 0x85944171f73967e8ULL);
}

TEST_CASE("shim state: every error has a description") {
  for (StateError e :
       {StateError::none, StateError::empty, StateError::bad_header, StateError::bad_line,
        StateError::no_mode, StateError::bad_sum, StateError::too_large}) {
    CHECK(std::strlen(describe(e)) > 0);
  }
}

}  // namespace iptmode::shim
