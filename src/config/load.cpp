#include "ssd/config/load.h"

#include <fmt/format.h>

#include <fstream>
#include <map>
#include <sstream>

#include "ssd/config/schema.h"
#include "ssd/util/error.h"
#include "ssd/util/suggest.h"

namespace ssd::config {
namespace {

// Other names of a section: lr_finder.* is range_test.* (run directories and checkpoints made before the range test
// had one name store their config under it). Read as the section itself; printed under its name.
const std::pair<const char*, const char*> kSectionAliases[] = {{"lr_finder", "range_test"}};

std::string current_path(const std::string& path) {
  for (const auto& [alias, name] : kSectionAliases) {
    const std::string prefix = alias;
    if (path == prefix || path.rfind(prefix + ".", 0) == 0) return name + path.substr(prefix.size());
  }
  return path;
}

// Walks a mapping node; every key must be a known leaf or section.
void apply_node(Config& config, const YAML::Node& map, const std::string& prefix, const std::string& origin) {
  const Schema& schema = Schema::instance();
  std::map<std::string, Location> seen;  // two equal keys: the second would silently replace the first
  for (const auto& item : map) {
    const YAML::Node& key_node = item.first;
    const Location where = Location::of(origin, key_node);
    if (!key_node.IsScalar()) throw ConfigError(where.str() + ": keys must be plain names");
    const std::string path = current_path(prefix.empty() ? key_node.Scalar() : prefix + "." + key_node.Scalar());
    if (const auto first = seen.find(path); first != seen.end())
      throw ConfigError(where.str() + ": " + path + ": given twice (first at line " + std::to_string(first->second.line) +
                        "); merge the two into one");
    seen.emplace(path, where);
    if (const Key* key = schema.find(path)) {
      key->read(config, item.second, Location::of(origin, item.second));
    } else if (schema.is_section(path)) {
      if (item.second.IsNull()) continue;  // "model:" with nothing below keeps the defaults
      if (!item.second.IsMap())
        throw ConfigError(Location::of(origin, item.second).str() + ": " + path +
                          ": expected a mapping of keys (a section), got a value");
      apply_node(config, item.second, path, origin);
    } else {
      throw ConfigError(where.str() + ": " + path + ": unknown key" + util::did_you_mean(path, schema.all_paths()) +
                        "; every key is listed in docs/config.md");
    }
  }
}

// YAML does not allow tabs in indentation, and yaml-cpp's message for one ("illegal map value") does not say so.
// The error's own line first, then the first line with text that is indented with a tab.
std::string tab_hint(const std::string& text, int error_line) {
  std::istringstream lines(text);
  std::string line;
  int first = 0;
  for (int number = 1; std::getline(lines, line); ++number) {
    const size_t indent = line.find_first_not_of(" \t");
    if (indent == std::string::npos || line.find('\t') > indent) continue;  // blank, or no tab before the text
    if (number == error_line) return " (line " + std::to_string(number) + " is indented with a tab: YAML indents with spaces only)";
    if (!first) first = number;
  }
  return first ? " (line " + std::to_string(first) + " is indented with a tab: YAML indents with spaces only)" : "";
}

void apply_document(Config& config, const std::string& text, const std::string& origin) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw ConfigError(origin + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                      ": YAML syntax error: " + e.msg + tab_hint(text, e.mark.line + 1));
  }
  if (root.IsNull()) return;  // an empty file means all defaults
  if (!root.IsMap()) throw ConfigError(Location::of(origin, root).str() + ": expected a mapping of sections at the top level");
  apply_node(config, root, "", origin);
}

}  // namespace

void apply_override(Config& config, const std::string& assignment) {
  const size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw ConfigError("--set " + assignment + ": expected key=value, for example --set model.image_size=512");
  const std::string path = current_path(assignment.substr(0, eq));
  const std::string value_text = assignment.substr(eq + 1);
  const Location where{"--set " + assignment};
  const Schema& schema = Schema::instance();
  const Key* key = schema.find(path);
  if (!key) {
    if (schema.is_section(path))
      throw ConfigError(where.str() + ": " + path + ": is a section; set one of its keys, for example " + path + ".<key>=...");
    throw ConfigError(where.str() + ": " + path + ": unknown key" + util::did_you_mean(path, schema.all_paths()) +
                      "; every key is listed in docs/config.md");
  }
  YAML::Node value;
  try {
    value = YAML::Load(value_text);
  } catch (const YAML::ParserException& e) {
    throw ConfigError(where.str() + ": " + path + ": cannot parse value: " + e.msg);
  }
  // "--set data.classes=" or a bare scalar: YAML gives Null for empty text, read it as an empty string.
  if (value.IsNull()) value = YAML::Node(value_text);
  key->read(config, value, where);
}

void validate(const Config& c) {
  const auto& p = c.model.priors;
  if (p.s_min >= p.s_max)
    throw ConfigError("model.priors.s_min (" + std::to_string(p.s_min) + ") must be below model.priors.s_max (" +
                      std::to_string(p.s_max) + ")");
  if (c.postprocess.top_k_per_class < 1 || c.postprocess.max_per_image < 1)
    throw ConfigError("postprocess.top_k_per_class and postprocess.max_per_image must be >= 1");
  if (c.range_test.race_minutes > 0 && c.range_test.race_epochs > 0)
    throw ConfigError(fmt::format("range_test.race_minutes ({:g}) and range_test.race_epochs ({:g}) both set the race's budget: give one",
                                  c.range_test.race_minutes, c.range_test.race_epochs));
}

Config load_config_text(const std::string& yaml_text, const std::string& origin, const std::vector<std::string>& overrides) {
  Config config;
  apply_document(config, yaml_text, origin);
  for (const auto& o : overrides) apply_override(config, o);
  validate(config);
  return config;
}

Config load_config(const std::string& path, const std::vector<std::string>& overrides) {
  if (path.empty()) return load_config_text("", "<defaults>", overrides);
  std::ifstream in(path);
  if (!in) throw ConfigError(path + ": cannot open config file");
  std::stringstream text;
  text << in.rdbuf();
  return load_config_text(text.str(), path, overrides);
}

std::vector<std::string> unused_settings(const Config& config) {
  const Config defaults;
  std::vector<std::string> out;
  auto text = [](const Key& key, const Config& c) {
    YAML::Emitter e;
    e << YAML::Flow;
    key.write(c, e);
    return std::string(e.c_str());
  };
  for (const auto& key : Schema::instance().keys()) {
    if (!key.unused) continue;
    const std::string why = key.unused(config);
    if (why.empty()) continue;
    const std::string value = text(key, config);
    if (value != text(key, defaults)) out.push_back(key.path + ": " + value + " has no effect: " + why);
  }
  return out;
}

namespace {

// A tree of sections in schema order, so the YAML output groups keys as the table does.
struct Section {
  std::vector<std::string> order;           // child names in first-seen order
  std::map<std::string, Section> children;  // sub-sections
  std::map<std::string, const Key*> leaves;
};

void emit_section(const Section& s, const Config& config, YAML::Emitter& out) {
  out << YAML::BeginMap;
  for (const auto& name : s.order) {
    out << YAML::Key << name << YAML::Value;
    if (auto leaf = s.leaves.find(name); leaf != s.leaves.end()) leaf->second->write(config, out);
    else emit_section(s.children.at(name), config, out);
  }
  out << YAML::EndMap;
}

}  // namespace

std::string to_yaml(const Config& config) {
  Section root;
  for (const auto& key : Schema::instance().keys()) {
    Section* s = &root;
    std::string rest = key.path;
    for (size_t dot; (dot = rest.find('.')) != std::string::npos; rest = rest.substr(dot + 1)) {
      const std::string name = rest.substr(0, dot);
      if (!s->children.count(name)) s->order.push_back(name);
      s = &s->children[name];
    }
    s->order.push_back(rest);
    s->leaves[rest] = &key;
  }
  YAML::Emitter out;
  emit_section(root, config, out);
  return std::string(out.c_str()) + "\n";
}

std::string reference_markdown() {
  const Config defaults;
  std::ostringstream md;
  md << "# Configuration reference\n\n"
     << "Generated by `ssd-train --config-reference` from the key table (`src/config/schema.cpp`; the keys of a schedule\n"
     << "or an optimizer of its own are in its file, `src/lr/schedules/`, `src/optim/optimizers/`); a unit test fails when\n"
     << "this page and the code disagree. Every key can be set in the YAML file or with `--set key=value`;\n"
     << "`ssd-train --config FILE --print-config` shows the resolved values. The consumer column names the\n"
     << "code that reads the key.\n";
  std::string section;
  for (const auto& key : Schema::instance().keys()) {
    const std::string top = key.path.substr(0, key.path.find('.'));
    if (top != section) {
      section = top;
      md << "\n## " << section << "\n\n| key | type | default | allowed | meaning | consumer |\n|---|---|---|---|---|---|\n";
    }
    YAML::Emitter value;
    key.write(defaults, value);
    md << "| `" << key.path << "` | " << key.type << " | `" << value.c_str() << "` | " << key.allowed << " | " << key.doc
       << " | `" << key.consumer << "` |\n";
  }
  return md.str();
}

}  // namespace ssd::config
