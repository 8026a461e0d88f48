// The one writer of a node_exporter textfile: node_exporter reads it at any
// moment, so it is replaced whole (a temporary file in the same directory,
// then rename), never written in place.
#pragma once

#include <string>

#include "core/error.h"

namespace iptmode {

Result<void> write_textfile(const std::string& path, const std::string& text);

}  // namespace iptmode
