// Whether a backend's kernel module is there without loading it: asking
// nf_tables or ip_tables anything would make the kernel load the module.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace iptmode {

struct ModuleAvailability {
  bool nft = true;
  bool legacy = true;
  std::string nft_note;       // why nft is unavailable
  std::string legacy_note;    // why legacy is unavailable
  bool nft_loadable = false;  // not loaded, but modules.dep lists it: the kernel has it
};

// `proc_modules`: the text of /proc/modules, nullopt when the file does not
// exist (a kernel without module support: everything is built in).
// `builtin`: the text of modules.builtin, `dep`: of modules.dep (either may be empty).
ModuleAvailability module_availability(std::optional<std::string_view> proc_modules,
                                       std::string_view builtin, std::string_view dep = {});

inline constexpr std::size_t kModuleListLimit = 4 * 1024 * 1024;

// The text of <host_root>/lib/modules/$(uname -r)/<file>, resolved inside
// the root (links never leave it); "" when it is missing, not a regular file
// on a real filesystem, or over kModuleListLimit.
std::string read_module_list(const std::string& host_root, std::string_view file);

// Reads /proc/modules, and modules.builtin and modules.dep as read_module_list does.
ModuleAvailability read_module_availability(const std::string& host_root);

}  // namespace iptmode
