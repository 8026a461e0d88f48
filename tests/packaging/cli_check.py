"""Checks an iptmode command line against the real CLI: the subcommands,
options, option values and exclusions that `iptmode ... --help` prints."""

import re
import subprocess

SUBCOMMANDS = {(): {"detect", "audit", "repair", "monitor", "shim"}, ("shim",): {"install", "uninstall", "watch"}}

_OPTION = re.compile(
    r"^\s{2}(?:-\w,)?(--[a-z0-9-]+)"
    r"(?:\s+(TEXT|INT|UINT|FLOAT)(?::(\{[^}]*\}|[A-Z]+))?)?"
    r"(?:\s+Excludes:((?:\s+--[a-z0-9-]+)+))?"
)


def help_options(iptmode, chain):
    """{option: (takes_value, choices or None, excludes)} for a subcommand chain."""
    out = subprocess.run([iptmode, *chain, "--help"], capture_output=True, text=True, check=True).stdout
    opts = {}
    for line in out.splitlines():
        m = _OPTION.match(line)
        if not m:
            continue
        name, kind, check, excludes = m.groups()
        choices = set(check[1:-1].split(",")) if check and check.startswith("{") else None
        opts[name] = (kind is not None, choices, set((excludes or "").split()))
    if not opts:
        raise AssertionError(f"no options in `iptmode {' '.join(chain)} --help`")
    return opts


def check(iptmode, argv):
    """Errors (a list of strings) for `iptmode argv...`; empty when the CLI accepts it."""
    chain = []
    rest = list(argv)
    while rest and not rest[0].startswith("-") and rest[0] in SUBCOMMANDS.get(tuple(chain), set()):
        chain.append(rest.pop(0))
    if not chain or tuple(chain) in SUBCOMMANDS:
        return [f"`{' '.join(argv)}`: no complete subcommand (got {chain})"]
    opts = help_options(iptmode, chain)
    errors, seen = [], []
    while rest:
        arg = rest.pop(0)
        if not arg.startswith("--"):
            errors.append(f"unexpected argument {arg!r} for `iptmode {' '.join(chain)}`")
            continue
        name, eq, value = arg.partition("=")
        if name not in opts:
            errors.append(f"`iptmode {' '.join(chain)}` has no option {name}")
            continue
        takes_value, choices, _ = opts[name]
        if takes_value and not eq:
            if not rest or rest[0].startswith("--"):
                errors.append(f"{name} needs a value")
                continue
            value = rest.pop(0)
        elif not takes_value and eq:
            errors.append(f"{name} is a flag and takes no value")
        if choices is not None and value not in choices:
            errors.append(f"{name} {value!r} is not one of {sorted(choices)}")
        seen.append(name)
    for name in seen:
        for other in opts[name][2]:
            if other in seen:
                errors.append(f"{name} excludes {other}")
    return errors
