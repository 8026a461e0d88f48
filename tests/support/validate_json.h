// Checks a JSON document iptmode printed against its schema in docs/schema/
// (docs/json.md) with a real validator: tests/support/validate_json.py, which
// runs python3-jsonschema's Draft202012Validator. Every test that reads
// iptmode's JSON calls check_schema on the text before it reads fields, so a
// renamed, retyped or undocumented field fails the test that saw it.
#pragma once

#include <cstdlib>
#include <string>
#include <string_view>

#include <doctest/doctest.h>

#include "tests/support/run.h"

namespace iptmode::test {

inline constexpr const char* kValidateJson = IPTMODE_SOURCE_DIR "/tests/support/validate_json.py";

// The validator's findings, one line each (`stdin: $.path: what is wrong`),
// empty when `text` is valid against the schema its "schema" field names.
// Without python3-jsonschema (exit 77, never under CI=true: exit 2 then) the
// document is not checked and a message says so.
inline std::string schema_errors(const std::string& text) {
  RunOptions o;
  o.stdin_text = text;
  o.timeout = std::chrono::seconds(60);
  const RunResult r = run({"/usr/bin/python3", kValidateJson, "-"}, o);
  if (r.exit_code == 0) return {};
  if (r.exit_code == 77) {
    MESSAGE("JSON not checked against its schema: " << r.err);
    return {};
  }
  return r.out.empty() ? "validate_json.py exited " + std::to_string(r.exit_code) + ": " + r.err
                       : r.out;
}

// A failed CHECK that names every path the schema rejects.
inline void check_schema(const std::string& text, std::string_view what = "iptmode's JSON") {
  const std::string errors = schema_errors(text);
  CHECK_MESSAGE(errors.empty(), what << " does not match its schema (docs/schema/):\n" << errors);
}

}  // namespace iptmode::test
