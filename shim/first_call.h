// The shim's side of its state: the first call's detection (under the lock,
// once for all concurrent callers) and the version cache's best-effort
// updates. Reading, checking and writing the files is shim/files.h's.
#pragma once

#include "shim/files.h"

namespace iptmode::shim {

struct Place {
  int dirfd;        // the shim's directory, open O_RDONLY | O_DIRECTORY
  const char* dir;  // its path, for messages and the detector
};

// Under DIR/iptmode-shim.lock: reads the state again, and where it is still
// missing or damaged runs `<detector> detect --print-state` once and records
// what it prints. Concurrent first calls wait on the lock (bounded: the
// refusal names the holder) and then read the one result, or refuse with the
// failure of the detection they waited for. A read-only directory is
// detected without recording, with one warning. Refuses (exits) when no
// valid state can be had.
State ensure_state(const Place& at, const Settings& settings);

// Records `entry` as the cache for `mode`, under the lock. Best effort: a
// failure (not root, read-only, the lock held for over a second) leaves the
// old file.
void remember_cache(const Place& at, Mode mode, const CacheEntry& entry);

}  // namespace iptmode::shim
