// Reading, recording and first-time making of the state beside the shim.
#pragma once

#include "shim/settings.h"
#include "shim/state.h"
#include "shim/trusted_file.h"

namespace iptmode::shim {

struct Place {
  int dirfd;        // the shim's directory, open O_RDONLY | O_DIRECTORY
  const char* dir;  // its path, for messages and the detector
};

enum class Load { ok, missing, damaged, untrusted };

// Reads and checks DIR/iptmode-shim.state. `trust` says why on untrusted.
Load load_state(const Place& at, State& out, Trust* trust);

// Under DIR/iptmode-shim.lock: reads the state again, and where it is still
// missing or damaged runs `<detector> detect --print-state` once and records
// what it prints. Concurrent first calls wait on the lock and then read the
// one result. Refuses (exits) when no valid state can be had.
State ensure_state(const Place& at, const Settings& settings);

// Under the lock, records `entry` as the cache for `mode` in the state on
// disk (read again first). Best effort: a failure leaves the old file.
void record_cache(const Place& at, Mode mode, const CacheEntry& entry);

}  // namespace iptmode::shim
