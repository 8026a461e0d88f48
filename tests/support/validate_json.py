#!/usr/bin/python3
"""Validates iptmode's JSON documents against docs/schema/*.schema.json with
jsonschema's Draft202012Validator (Debian's python3-jsonschema).

usage: validate_json.py [--schema TAG] FILE|- ...  validate documents against
                                                     the schema their "schema"
                                                     field names (or TAG, as
                                                     iptmode.audit/v1)
       validate_json.py --check-schemas             every schema is itself a
                                                     valid 2020-12 schema, its
                                                     references resolve, and
                                                     the finding codes are the
                                                     ones docs/audit.md lists

Prints one line per error, `FILE: $.path.to[0].field: what is wrong`, and
exits 0 when everything is valid, 1 when something is not, 2 on usage or a
missing jsonschema (77 then, outside CI, so ctest shows a skip)."""

import glob
import json
import os
import re
import sys

SCHEMA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "schema")
# The schemas' $id: a name, not a place (.invalid is reserved, RFC 2606);
# nothing is served there. References between them are relative file names.
ID_PREFIX = "https://iptmode.invalid/schema/"

try:
    import jsonschema
    from jsonschema import Draft202012Validator
except ImportError:
    print("validate_json.py: python3-jsonschema is not installed (apt-get install python3-jsonschema)",
          file=sys.stderr)
    sys.exit(2 if os.environ.get("CI") == "true" else 77)


def load_schemas():
    schemas = {}
    for path in sorted(glob.glob(os.path.join(SCHEMA_DIR, "*.schema.json"))):
        with open(path, encoding="utf-8") as f:
            schemas[path] = json.load(f)
    return schemas


def validator_for(schema, schemas):
    by_id = {s["$id"]: s for s in schemas.values()}
    try:  # jsonschema >= 4.18
        from referencing import Registry, Resource

        registry = Registry().with_resources((i, Resource.from_contents(s)) for i, s in by_id.items())
        return Draft202012Validator(schema, registry=registry)
    except ImportError:  # Debian 12's 4.10
        resolver = jsonschema.RefResolver.from_schema(schema, store=by_id)
        return Draft202012Validator(schema, resolver=resolver)


def refs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref":
                yield v
            else:
                yield from refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from refs(v)


def resolve(ref, schema, schemas):
    by_id = {s["$id"]: s for s in schemas.values()}
    try:  # jsonschema >= 4.18
        from referencing import Registry, Resource

        registry = Registry().with_resources((i, Resource.from_contents(s)) for i, s in by_id.items())
        return registry.resolver(base_uri=schema["$id"]).lookup(ref).contents
    except ImportError:  # Debian 12's 4.10
        return jsonschema.RefResolver.from_schema(schema, store=by_id).resolve(ref)[1]


def document_tag(file_name):
    return "iptmode." + file_name.removesuffix(".schema.json").replace("-v", "/v")


def where(error):
    out = "$"
    for p in error.absolute_path:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def check_schemas(schemas):
    bad = 0
    for path, s in schemas.items():
        name = os.path.basename(path)
        try:
            Draft202012Validator.check_schema(s)
        except jsonschema.SchemaError as e:
            print(f"{name}: not a valid 2020-12 schema: {e.message}")
            bad += 1
            continue
        sid = s.get("$id", "")
        if not sid.startswith(ID_PREFIX):
            print(f"{name}: $id {sid!r} does not start with {ID_PREFIX}")
            bad += 1
        if sid != ID_PREFIX + name:
            print(f"{name}: $id {sid!r}, want {ID_PREFIX + name!r}")
            bad += 1
        # detect-v1.schema.json describes documents whose "schema" is iptmode.detect/v1
        tag = document_tag(name)
        if s.get("properties", {}).get("schema", {}).get("const") != tag:
            print(f"{name}: properties.schema is not const {tag!r}")
            bad += 1
        for ref in refs(s):
            try:
                resolve(ref, s, schemas)
            except Exception as e:  # noqa: BLE001: any unresolvable $ref, said plainly
                print(f"{name}: $ref {ref!r} does not resolve: {type(e).__name__}: {str(e)[:200]}")
                bad += 1
    if not schemas:
        print(f"no schemas in {SCHEMA_DIR}")
        bad += 1
    return bad + check_codes(schemas)


def check_codes(schemas):
    """The audit schema's finding codes are the rows of docs/audit.md's
    Findings table: a new code is documented and in the schema, or neither."""
    audit = next((s for p, s in schemas.items() if p.endswith("audit-v1.schema.json")), None)
    if audit is None:
        return 0
    with open(os.path.join(SCHEMA_DIR, "..", "audit.md"), encoding="utf-8") as f:
        text = f.read()
    section = text.split("## Findings", 1)[-1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| ([A-Z][A-Z0-9_]+) \|", section, re.M))
    in_schema = set(audit["$defs"]["code"]["enum"])
    bad = 0
    for code in sorted(documented - in_schema):
        print(f"audit-v1.schema.json: code {code} is in docs/audit.md's Findings but not in $defs.code")
        bad += 1
    for code in sorted(in_schema - documented):
        print(f"audit-v1.schema.json: code {code} is not in docs/audit.md's Findings table")
        bad += 1
    return bad


def validate(name, text, forced, schemas):
    try:
        doc = json.loads(text)
    except ValueError as e:
        print(f"{name}: not JSON: {e}")
        return 1
    sid = forced or (doc.get("schema") if isinstance(doc, dict) else None)
    schema = next((s for p, s in schemas.items() if document_tag(os.path.basename(p)) == sid), None)
    if schema is None:
        print(f"{name}: no schema in docs/schema for {sid!r}")
        return 1
    errors = sorted(validator_for(schema, schemas).iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
    for e in errors:
        print(f"{name}: {where(e)}: {e.message}")
    return 1 if errors else 0


def main(argv):
    schemas = load_schemas()
    if argv == ["--check-schemas"]:
        return 1 if check_schemas(schemas) else 0
    forced = None
    if len(argv) >= 2 and argv[0] == "--schema":
        forced, argv = argv[1], argv[2:]
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    bad = 0
    for name in argv:
        if name == "-":
            bad += validate("stdin", sys.stdin.read(), forced, schemas)
        else:
            with open(name, encoding="utf-8") as f:
                bad += validate(name, f.read(), forced, schemas)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
