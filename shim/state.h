// The shim's state file, DIR/iptmode-shim.state: the decided mode, the newest
// iptables-nft among the components, and a cache of backend versions. Written
// by `iptmode detect --write` and by the shim (cache updates), always whole
// (temporary file, fsync, rename). The last line is a checksum of the rest,
// so a torn or edited file is refused rather than trusted.
//
//   iptmode-shim-state 1
//   mode nft
//   rule hint
//   nft-writer 1.8.9
//   cache nft <dev> <ino> <size> <mtime-sec> <mtime-nsec> <version|->
//   sum <16 hex digits, FNV-1a 64 of every byte before this line>
//
// Parsing and formatting allocate nothing: the shim runs them on every call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/mode.h"
#include "core/version.h"

namespace iptmode::shim {

inline constexpr std::size_t kStateMax = 4096;

struct BackendIdentity {
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
  std::uint64_t size = 0;
  std::int64_t mtime_sec = 0;
  std::int64_t mtime_nsec = 0;
  bool operator==(const BackendIdentity&) const = default;
};

struct CacheEntry {
  bool valid = false;
  BackendIdentity id;
  bool has_version = false;
  Version version;
};

struct State {
  Mode mode = Mode::nft;
  char rule[32] = {};  // the decision's rule, for people reading the file
  bool has_nft_writer = false;
  Version nft_writer;
  CacheEntry cache[2];  // indexed by cache_index(mode)
};

inline int cache_index(Mode m) {
  return m == Mode::nft ? 0 : 1;
}

enum class StateError { none, empty, bad_header, bad_line, no_mode, bad_sum, too_large };

const char* describe(StateError e);

StateError parse_state(std::string_view text, State& out);

// Writes the file's bytes into buf; returns their length, 0 if buf is too small.
std::size_t format_state(const State& s, char* buf, std::size_t cap);

std::uint64_t fnv1a64(std::string_view bytes);

}  // namespace iptmode::shim
