#include "audit/k0s_config.h"

#include <yaml.h>

#include <string>
#include <vector>

#include <fmt/format.h>

#include "detect/config_read.h"
#include "detect/in_root.h"

namespace iptmode {
namespace {

// Where the event stream is: the keys of the mappings that lead here, and
// for each open collection whether a mapping's key is due next.
struct YamlPath {
  struct Frame {
    bool mapping;
    bool want_key = true;
    std::string key;  // the key whose value is being read (mappings only)
  };
  std::vector<Frame> frames;

  // spec.network.<leaf>: the mapping three deep under the root mapping.
  bool at_network() const {
    return frames.size() == 3 && frames[0].mapping && frames[0].key == "spec" &&
           frames[1].mapping && frames[1].key == "network" && frames[2].mapping;
  }
  // A node (scalar, alias or collection) has been read as a value.
  void value_done() {
    if (!frames.empty() && frames.back().mapping) frames.back().want_key = true;
  }
};

// k0s's own config nests deeper than this nowhere; deeper input is not k0s.yaml.
constexpr std::size_t kMaxDepth = 64;

struct Parser {
  yaml_parser_t p;
  Parser() { yaml_parser_initialize(&p); }
  ~Parser() { yaml_parser_delete(&p); }
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;
};

struct Event {
  yaml_event_t e{};
  ~Event() { yaml_event_delete(&e); }
};

// One scalar event at `path`: a key, or the value of the key before it.
void on_scalar(YamlPath& path, std::string_view v, ClusterCidrs& out) {
  if (path.frames.empty()) return;
  YamlPath::Frame& f = path.frames.back();
  if (f.mapping && f.want_key) {
    f.key = std::string(v);
    f.want_key = false;
    return;
  }
  if (path.at_network() && !v.empty()) {
    if (f.key == "podCIDR") out.pod = std::string(v);
    if (f.key == "serviceCIDR") out.service = std::string(v);
  }
  path.value_done();
}

}  // namespace

// A real YAML parser (libyaml's event API, which keeps no recursion of its
// own): block and flow style, quoting, folded and literal scalars, comments
// read as k0s's Go YAML reads them. Only the first document counts, as k0s.
void parse_k0s_yaml(std::string_view text, ClusterCidrs& result) {
  // Read into a copy: a document that fails half-way changes nothing.
  ClusterCidrs out = result;
  Parser parser;
  yaml_parser_set_input_string(&parser.p, reinterpret_cast<const unsigned char*>(text.data()),
                               text.size());
  YamlPath path;
  for (;;) {
    Event ev;
    if (!yaml_parser_parse(&parser.p, &ev.e)) {
      result.error =
          fmt::format("YAML does not parse at line {}: {}", parser.p.problem_mark.line + 1,
                      parser.p.problem ? parser.p.problem : "unknown error");
      return;
    }
    switch (ev.e.type) {
      case YAML_STREAM_END_EVENT:
      case YAML_DOCUMENT_END_EVENT:
        result = std::move(out);
        return;
      case YAML_SCALAR_EVENT:
        on_scalar(path,
                  {reinterpret_cast<const char*>(ev.e.data.scalar.value), ev.e.data.scalar.length},
                  out);
        break;
      case YAML_ALIAS_EVENT:
        on_scalar(path, "", out);
        break;
      case YAML_MAPPING_START_EVENT:
      case YAML_SEQUENCE_START_EVENT:
        if (path.frames.size() >= kMaxDepth) {
          result.error = fmt::format("YAML nests deeper than {} levels", kMaxDepth);
          return;
        }
        // A collection used as a key is no key k0s has: it reads as "".
        if (!path.frames.empty() && path.frames.back().mapping && path.frames.back().want_key) {
          path.frames.back().key.clear();
          path.frames.back().want_key = false;
        }
        path.frames.push_back(
            {.mapping = ev.e.type == YAML_MAPPING_START_EVENT, .want_key = true, .key = {}});
        break;
      case YAML_MAPPING_END_EVENT:
      case YAML_SEQUENCE_END_EVENT:
        path.frames.pop_back();
        path.value_done();
        break;
      default:
        break;
    }
  }
}

ClusterCidrs cluster_cidrs(const std::string& host_root, const std::string& pod_flag,
                           const std::string& service_flag) {
  ClusterCidrs c;
  // Inside the host root: a link there to an absolute path means that path
  // in the root. A file over 1 MiB is not k0s's: the defaults hold.
  if (auto root = open_root(host_root))
    if (auto y = read_config_in_root(root->get(), "/etc/k0s/k0s.yaml", 1024 * 1024);
        y && !y->truncated) {
      parse_k0s_yaml(y->text, c);
      c.source =
          c.error.empty() ? "/etc/k0s/k0s.yaml" : "k0s defaults: /etc/k0s/k0s.yaml: " + c.error;
    }
  if (c.pod.empty()) c.pod = kDefaultPodCidr;
  if (c.service.empty()) c.service = kDefaultServiceCidr;
  if (c.source.empty()) c.source = "k0s defaults";
  if (!pod_flag.empty()) c.pod = pod_flag;
  if (!service_flag.empty()) c.service = service_flag;
  if (!pod_flag.empty() || !service_flag.empty()) c.source = "flags";
  return c;
}

}  // namespace iptmode
