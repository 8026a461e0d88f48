#include "detect/config.h"

#include <cerrno>

#include <fmt/format.h>

#include "core/text.h"
#include "detect/config_read.h"
#include "detect/in_root.h"

namespace iptmode {
namespace {

bool valid_name(std::string_view s) {
  if (s.empty() || s.size() > 255) return false;
  for (char c : s)
    if (c == '/' || static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e)
      return false;
  return true;
}

}  // namespace

Result<Config> parse_config(std::string_view text, std::string_view path) {
  Config cfg;
  int lineno = 0;
  while (!text.empty()) {
    ++lineno;
    const ConfigLine cl = parse_config_line(next_line(text));
    if (cl.kind == ConfigLine::blank) continue;
    auto where = [&] { return fmt::format("{}:{}", path, lineno); };
    if (cl.kind == ConfigLine::malformed)
      return fail(fmt::format("{}: expected `key = value`, got \"{}\"", where(), cl.key));
    const std::string_view key = cl.key;
    std::string_view value = cl.value;

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
      auto v = parse_version_check(value);
      if (!v)
        return fail(fmt::format("{}: version-check must be warn, enforce or off, not \"{}\"",
                                where(), value));
      cfg.version_check = *v;
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
      // The shim reads this path back from its own settings: what it would
      // refuse or cut (a NUL, a ".." component, 256 bytes or more) is
      // refused here, with the line, rather than at install.
      const bool dotdot = value == ".." || value.starts_with("../") || value.ends_with("/..") ||
                          value.find("/../") != std::string_view::npos;
      if (value.empty() || value.front() != '/' || dotdot || value.size() >= 256 ||
          value.find('\0') != std::string_view::npos)
        return fail(fmt::format(
            "{}: backend-dir must be an absolute path under 256 bytes without \"..\", not \"{}\"",
            where(), value));
      cfg.backend_dir = std::string(value);
    } else {
      return fail(fmt::format(
          "{}: unknown key \"{}\" (known: mode, version-check, components, backend-dir)", where(),
          key));
    }
  }
  return cfg;
}

namespace {

Result<Config> config_from(const Result<ConfigText>& text, const std::string& path,
                           bool must_exist) {
  if (!text) {
    if (!must_exist && text.error().errnum == ENOENT) return Config{};
    return fail(text.error().message + " (fix or remove the config file)");
  }
  if (text->truncated)
    return fail(fmt::format("{}: larger than {} bytes (fix or remove the config file)", path,
                            kConfigSizeLimit));
  return parse_config(text->text, path);
}

}  // namespace

Result<Config> load_config(const std::string& path, bool must_exist) {
  return config_from(read_config_path(path, kConfigSizeLimit), path, must_exist);
}

Result<Config> load_root_config(const std::string& host_root) {
  const std::string path = (host_root == "/" ? "" : host_root) + std::string(kDefaultConfigPath);
  auto root = open_root(host_root);
  if (!root) return std::unexpected(root.error());
  auto text = read_config_in_root(root->get(), kDefaultConfigPath, kConfigSizeLimit);
  // The resolver names the path inside the root; the operator wants the file.
  if (!text && text.error().errnum != ENOENT)
    return fail(fmt::format("{}: {} (fix or remove the config file)", path, text.error().message),
                text.error().errnum);
  return config_from(text, path, false);
}

}  // namespace iptmode
