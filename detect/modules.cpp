#include "detect/modules.h"

#include <fcntl.h>
#include <sys/utsname.h>

#include <fmt/format.h>

#include "core/text.h"
#include "detect/config_read.h"
#include "detect/file_read.h"
#include "detect/in_root.h"

namespace iptmode {
namespace {

// /proc/modules lines start with the module name and a space.
bool loaded(std::string_view proc_modules, std::string_view name) {
  while (!proc_modules.empty()) {
    std::string_view line = next_line(proc_modules);
    if (line.starts_with(name) && line.size() > name.size() && line[name.size()] == ' ')
      return true;
  }
  return false;
}

// modules.builtin lines are paths: kernel/net/netfilter/nf_tables.ko
bool builtin(std::string_view list, std::string_view name) {
  const std::string want = fmt::format("/{}.ko", name);
  while (!list.empty()) {
    std::string_view line = next_line(list);
    if (line.ends_with(want) || line == want.substr(1)) return true;
  }
  return false;
}

}  // namespace

ModuleAvailability module_availability(std::optional<std::string_view> proc_modules,
                                       std::string_view builtin_list, std::string_view dep) {
  ModuleAvailability a;
  if (!proc_modules) return a;  // no module support: everything the kernel has is built in
  if (!loaded(*proc_modules, "nf_tables") && !builtin(builtin_list, "nf_tables")) {
    a.nft = false;
    a.nft_note = "nf_tables module not loaded (not probed: asking would load it)";
    // modules.dep lines start "kernel/net/netfilter/nf_tables.ko:": the
    // kernel can load it, so it is still the default the kernel offers.
    a.nft_loadable = dep.find("/nf_tables.ko") != std::string_view::npos;
  }
  if (!loaded(*proc_modules, "ip_tables") && !loaded(*proc_modules, "ip6_tables") &&
      !builtin(builtin_list, "ip_tables") && !builtin(builtin_list, "ip6_tables")) {
    a.legacy = false;
    a.legacy_note =
        "ip_tables and ip6_tables modules not loaded (not probed: asking would load them)";
  }
  return a;
}

std::string read_module_list(const std::string& host_root, std::string_view file) {
  struct utsname u {};
  if (::uname(&u) != 0) return {};
  auto root = open_root(host_root);
  if (!root) return {};
  // Resolved inside the root: /lib is a link to usr/lib on merged-/usr hosts,
  // and an absolute link there must not lead to the audit's own /lib.
  auto text = read_config_in_root(root->get(), fmt::format("/lib/modules/{}/{}", u.release, file),
                                  kModuleListLimit);
  if (!text || text->truncated) return {};
  return std::move(text->text);
}

ModuleAvailability read_module_availability(const std::string& host_root) {
  auto mods = read_file_bounded(AT_FDCWD, "/proc/modules", kModuleListLimit);
  if (!mods) return module_availability(std::nullopt, {});
  return module_availability(std::string_view(*mods),
                             read_module_list(host_root, "modules.builtin"),
                             read_module_list(host_root, "modules.dep"));
}

}  // namespace iptmode
