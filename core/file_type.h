// What a file is, in words, for messages that must name the real reason a
// file was not used: its type, never a "Permission denied" it did not cause.
// Shared by the CLI's readers and the static shim (no heap).
#pragma once

#include <sys/types.h>

#include <string_view>

namespace iptmode {

// "a directory", "a FIFO", "a regular file without an execute bit". The
// view is of a string literal, so .data() is NUL-terminated.
std::string_view describe_type(mode_t mode);

}  // namespace iptmode
