// libFuzzer target: firewalld.conf and zone XML parsers on arbitrary bytes.
// The input is split at its first NUL: firewalld.conf before, the zone after
// (no NUL: the whole input is given to both).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "audit/firewalld.h"

using namespace iptmode;

namespace {

bool inside(std::string_view whole, std::string_view part) {
  return whole.find(part) != std::string_view::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  const auto nul = all.find('\0');
  const std::string_view conf = all.substr(0, nul);
  const std::string_view zone = nul == std::string_view::npos ? all : all.substr(nul + 1);

  FirewalldState fw;
  parse_firewalld_conf(conf, fw);
  if (fw.zone.empty()) __builtin_trap();  // "public" unless the file names one
  if (fw.zone != "public" && !inside(conf, fw.zone)) __builtin_trap();
  // A backend comes only from a FirewallBackend line.
  if (fw.backend && !inside(conf, "FirewallBackend")) __builtin_trap();

  // firewalld.conf may leave a note of its own (an unknown backend); the
  // zone's note is what parse_zone_xml adds to it.
  const std::size_t conf_note = fw.note.size();
  parse_zone_xml(zone, fw);
  // Values come from the text (entities decode, so not byte for byte): none
  // is longer than it, and a zone that does not parse gives none and a note.
  for (const auto* list : {&fw.services, &fw.sources})
    for (const auto& s : *list)
      if (s.size() > zone.size()) __builtin_trap();
  if (fw.note.size() != conf_note && (!fw.services.empty() || !fw.sources.empty() || fw.masquerade))
    __builtin_trap();
  return 0;
}
