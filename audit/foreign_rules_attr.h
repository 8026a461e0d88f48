// Netlink attribute access for the rule classifier (audit/foreign_rules),
// inline: the same checks as libmnl's mnl_attr_ok / mnl_attr_next /
// mnl_attr_get_*, but compiled into the walk. libmnl's are out-of-line calls
// through the PLT, and the classifier makes ~60 of them per rule: a fifth of
// the audit's CPU at 1,000,000 rules (perf). Nothing is allocated.
#pragma once

#include <libmnl/libmnl.h>
#include <linux/netlink.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace iptmode::nla {

// mnl_attr_ok: a whole attribute header and payload inside `left` bytes.
inline bool ok(const nlattr* a, std::ptrdiff_t left) {
  return left >= static_cast<std::ptrdiff_t>(sizeof(nlattr)) && a->nla_len >= sizeof(nlattr) &&
         static_cast<std::ptrdiff_t>(a->nla_len) <= left;
}
inline std::uint16_t type(const nlattr* a) {
  return a->nla_type & NLA_TYPE_MASK;
}
inline const void* payload(const nlattr* a) {
  return reinterpret_cast<const char*>(a) + MNL_ATTR_HDRLEN;
}
inline std::uint16_t payload_len(const nlattr* a) {
  return static_cast<std::uint16_t>(a->nla_len - MNL_ATTR_HDRLEN);
}
// A big-endian number attribute of at least 4 bytes, in host order; 0 if shorter.
inline std::uint32_t be32(const nlattr* a) {
  if (payload_len(a) < 4) return 0;
  std::uint32_t v = 0;
  std::memcpy(&v, payload(a), sizeof v);
  return __builtin_bswap32(v);
}
// A string attribute, up to its NUL or its end.
inline std::string_view str(const nlattr* a) {
  const char* p = static_cast<const char*>(payload(a));
  return {p, strnlen(p, payload_len(a))};
}

// Each attribute in `len` bytes from `start`, bounds-checked like mnl_attr_ok.
template <class Fn>
void each(const void* start, std::size_t len, Fn&& fn) {
  auto left = static_cast<std::ptrdiff_t>(len);
  for (const auto* a = static_cast<const nlattr*>(start); ok(a, left);) {
    fn(a);
    const auto step = static_cast<std::ptrdiff_t>(MNL_ALIGN(a->nla_len));
    left -= step;
    a = reinterpret_cast<const nlattr*>(reinterpret_cast<const char*>(a) + step);
  }
}
template <class Fn>
void each_nested(const nlattr* outer, Fn&& fn) {
  each(payload(outer), payload_len(outer), fn);
}

}  // namespace iptmode::nla
