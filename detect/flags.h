// Reading a component's command line as Go's flag parsers (pflag, urfave/cli)
// do: `--name=v`, `--name v`, `-name=v`; a boolean takes no separate value.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace iptmode {

// The value of flag `name` in argv (argv[0] is skipped; `--` ends the flags);
// for a boolean a bare `--name` is "true". The last occurrence wins.
std::optional<std::string> flag_value(const std::vector<std::string>& argv, std::string_view name,
                                      bool boolean = false);

// A boolean flag set to a value strconv.ParseBool takes as true.
bool flag_true(const std::vector<std::string>& argv, std::string_view name);

// The first argument that is not a flag (k3s's subcommand: server, agent);
// empty when there is none.
std::string first_operand(const std::vector<std::string>& argv);

}  // namespace iptmode
