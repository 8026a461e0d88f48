#include "detect/config.h"

#include <fcntl.h>

#include <cerrno>

#include <fmt/format.h>

#include "detect/file_read.h"

namespace iptmode {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

bool valid_name(std::string_view s) {
  if (s.empty() || s.size() > 255) return false;
  for (char c : s)
    if (c == '/' || static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e)
      return false;
  return true;
}

}  // namespace

std::string_view to_string(VersionCheck v) {
  switch (v) {
    case VersionCheck::warn:
      return "warn";
    case VersionCheck::enforce:
      return "enforce";
    case VersionCheck::off:
      return "off";
  }
  return "warn";
}

Result<Config> parse_config(std::string_view text, std::string_view path) {
  Config cfg;
  int lineno = 0;
  while (!text.empty()) {
    ++lineno;
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    line = trim(line);
    if (line.empty()) continue;

    auto where = [&] { return fmt::format("{}:{}", path, lineno); };
    auto eq = line.find('=');
    if (eq == std::string_view::npos)
      return fail(fmt::format("{}: expected `key = value`, got \"{}\"", where(), line));
    std::string_view key = trim(line.substr(0, eq));
    std::string_view value = trim(line.substr(eq + 1));

    if (key == "mode") {
      if (value == "auto") {
        cfg.mode.reset();
      } else if (auto m = parse_mode(value)) {
        cfg.mode = m;
      } else {
        return fail(
            fmt::format("{}: mode must be auto, nft or legacy, not \"{}\"", where(), value));
      }
    } else if (key == "version-check") {
      cfg.version_check_set = true;
      if (value == "warn")
        cfg.version_check = VersionCheck::warn;
      else if (value == "enforce")
        cfg.version_check = VersionCheck::enforce;
      else if (value == "off")
        cfg.version_check = VersionCheck::off;
      else
        return fail(fmt::format("{}: version-check must be warn, enforce or off, not \"{}\"",
                                where(), value));
    } else if (key == "components") {
      cfg.components.clear();
      while (!value.empty()) {
        auto sep = value.find_first_of(", \t");
        std::string_view name = value.substr(0, sep);
        value = sep == std::string_view::npos ? std::string_view{} : value.substr(sep + 1);
        if (name.empty()) continue;
        if (!valid_name(name))
          return fail(fmt::format("{}: \"{}\" is not a process name", where(), name));
        cfg.components.emplace_back(name);
      }
    } else if (key == "backend-dir") {
      if (value.empty() || value.front() != '/')
        return fail(
            fmt::format("{}: backend-dir must be an absolute path, not \"{}\"", where(), value));
      cfg.backend_dir = std::string(value);
    } else {
      return fail(fmt::format(
          "{}: unknown key \"{}\" (known: mode, version-check, components, backend-dir)", where(),
          key));
    }
  }
  return cfg;
}

Result<Config> load_config(const std::string& path, bool must_exist) {
  auto text = read_file_bounded(AT_FDCWD, path, kConfigSizeLimit, /*follow_link=*/true);
  if (!text) {
    if (!must_exist && text.error().errnum == ENOENT) return Config{};
    return fail(text.error().message + " (fix or remove the config file)");
  }
  return parse_config(*text, path);
}

}  // namespace iptmode
