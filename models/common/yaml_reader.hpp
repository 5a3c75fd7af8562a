// YAML as the configuration files use it (hardware files, energy tables), read strictly: what
// YAML would accept silently or could not survive is an error naming the file and the line.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

namespace acc {

// Mappings and sequences nest at most this deep (the configuration files use 3 levels).
inline constexpr int kMaxYamlDepth = 32;

// Parses one YAML document and returns its root. Throws ConfigError naming `origin` and the line
// for: malformed YAML; more than one document; a duplicate key (with its dotted path); a key that
// is not a scalar; nesting deeper than kMaxYamlDepth; and any alias (*name), so that none can
// refer to itself (a cycle) or multiply the document.
YAML::Node load_strict_yaml(const std::string& text, const std::string& origin);

}  // namespace acc
