#include "detect/yaml_walk.h"

#include <yaml.h>

#include <fmt/format.h>

namespace iptmode {
namespace {

struct Parser {
  yaml_parser_t p{};
  Parser() { yaml_parser_initialize(&p); }
  ~Parser() { yaml_parser_delete(&p); }
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;
};

struct Event {
  yaml_event_t e{};
  Event() = default;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  ~Event() { yaml_event_delete(&e); }
};

// A node has been read as a value: the mapping around it wants a key again.
void value_done(std::vector<YamlFrame>& frames) {
  if (!frames.empty() && frames.back().mapping) frames.back().want_key = true;
}

void on_scalar(std::vector<YamlFrame>& frames, YamlNode node, const YamlVisitor& visit) {
  if (!frames.empty() && frames.back().mapping && frames.back().want_key) {
    frames.back().key = std::string(node.value);
    frames.back().want_key = false;
    node.is_key = true;
    visit(frames, node);
    return;
  }
  visit(frames, node);
  value_done(frames);
}

}  // namespace

std::optional<std::string> walk_yaml(std::string_view text, const YamlVisitor& visit) {
  Parser parser;
  yaml_parser_set_input_string(&parser.p, reinterpret_cast<const unsigned char*>(text.data()),
                               text.size());
  std::vector<YamlFrame> frames;
  for (;;) {
    Event ev;
    if (!yaml_parser_parse(&parser.p, &ev.e))
      return fmt::format("YAML does not parse at line {}: {}", parser.p.problem_mark.line + 1,
                         parser.p.problem ? parser.p.problem : "unknown error");
    switch (ev.e.type) {
      case YAML_STREAM_END_EVENT:
      case YAML_DOCUMENT_END_EVENT:
        return std::nullopt;
      case YAML_SCALAR_EVENT: {
        const auto& s = ev.e.data.scalar;
        on_scalar(frames,
                  {.kind = YamlNode::Kind::scalar,
                   .is_key = false,
                   .plain = s.style == YAML_PLAIN_SCALAR_STYLE,
                   .value = {reinterpret_cast<const char*>(s.value), s.length}},
                  visit);
        break;
      }
      case YAML_ALIAS_EVENT:
        on_scalar(frames,
                  {.kind = YamlNode::Kind::alias, .is_key = false, .plain = false, .value = {}},
                  visit);
        break;
      case YAML_MAPPING_START_EVENT:
      case YAML_SEQUENCE_START_EVENT: {
        if (frames.size() >= kYamlMaxDepth)
          return fmt::format("YAML nests deeper than {} levels", kYamlMaxDepth);
        const bool mapping = ev.e.type == YAML_MAPPING_START_EVENT;
        // A collection used as a key is no key either reader has: it reads as "".
        if (!frames.empty() && frames.back().mapping && frames.back().want_key) {
          frames.back().key.clear();
          frames.back().want_key = false;
        }
        visit(frames, {.kind = mapping ? YamlNode::Kind::mapping : YamlNode::Kind::sequence,
                       .is_key = false,
                       .plain = false,
                       .value = {}});
        frames.push_back({.mapping = mapping, .want_key = true, .key = {}});
        break;
      }
      case YAML_MAPPING_END_EVENT:
      case YAML_SEQUENCE_END_EVENT:
        frames.pop_back();
        value_done(frames);
        break;
      default:
        break;
    }
  }
}

}  // namespace iptmode
