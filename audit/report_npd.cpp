#include "audit/report.h"
#include "audit/report_clean.h"

#include <cctype>

#include <fmt/format.h>

namespace iptmode {
namespace {

// How many numbers of a comma-separated list (a component's pids) the line keeps.
constexpr std::size_t kListKept = 3;

bool digit(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) != 0;
}

// "pid 1,2,3,4,5" -> "pid 1,2,3 and 2 more": a component with thousands of
// processes must not fill node-problem-detector's message with its pids.
std::string shorten_lists(std::string_view s) {
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    if (!digit(s[i]) ||
        (i > 0 && (digit(s[i - 1]) || std::isalpha(static_cast<unsigned char>(s[i - 1])) != 0))) {
      out += s[i++];
      continue;
    }
    // A run of numbers joined by single commas, starting at i.
    std::size_t count = 0, kept_end = i, j = i;
    while (true) {
      while (j < s.size() && digit(s[j])) ++j;
      if (++count == kListKept) kept_end = j;
      if (j + 1 < s.size() && s[j] == ',' && digit(s[j + 1]))
        ++j;
      else
        break;
    }
    if (count > kListKept) {
      out += s.substr(i, kept_end - i);
      out += fmt::format(" and {} more", count - kListKept);
    } else {
      out += s.substr(i, j - i);
    }
    i = j;
  }
  return out;
}

// At most kNpdLineMax bytes: a longer line is cut at a character boundary
// and says how much was left out, rather than being cut blind by NPD.
std::string fit(std::string line) {
  if (line.size() <= kNpdLineMax) return line + "\n";
  const std::size_t total = line.size();
  for (std::size_t keep = kNpdLineMax;; --keep) {
    while (keep > 0 && (static_cast<unsigned char>(line[keep]) & 0xc0) == 0x80) --keep;
    std::string tail = fmt::format("... ({} bytes more: iptmode audit)", total - keep);
    if (keep + tail.size() <= kNpdLineMax || keep == 0) return line.substr(0, keep) + tail + "\n";
  }
}

}  // namespace

std::string npd_line(const AuditEvidence& a, const std::vector<Finding>& f, Severity fail_on) {
  for (const auto& x : f)
    if (x.severity <= fail_on)
      return fit(fmt::format("{}: {}", x.code, clean(shorten_lists(x.message))));
  return fit(fmt::format("iptables backend consistent: {} ({})", to_string(a.decision.mode),
                         to_string(a.decision.rule)));
}

std::string npd_could_not_run(std::string_view message) {
  return fit(fmt::format("audit could not run: {}", clean(message)));
}

}  // namespace iptmode
