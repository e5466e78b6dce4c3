// The table of config keys: for each key its Redis spelling, a one-line description, whether
// CONFIG SET may change it, how its values are parsed into Config and how Config renders it
// back in CONFIG GET syntax. config.cc (files, flags, --help) and CONFIG GET/SET are all
// derived from this one table; no other list of key names exists.
//
// Thread safety: the table is immutable static data, safe from any thread. The functions
// taking Config& mutate only the struct they are given.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "server/config.h"

namespace tessera::server {

using ConfigValues = std::span<const std::string>;

struct ConfigKey {
  std::string_view name;         // as Redis spells it, lower case with dashes
  std::string_view description;  // one line, for config_usage()
  bool mutable_at_runtime;       // CONFIG SET may change it
  // Accepts several words (client-output-buffer-limit); a single value holding several
  // words is split on whitespace first, as Redis does for such keys.
  bool multi_word;
  // Parses `values` into `config`. Returns the Redis reason text on failure (the part after
  // "argument 'KEY') - "), leaving `config` partially updated only for multi_word keys;
  // callers that need atomicity apply to a copy.
  std::optional<std::string> (*apply)(Config& config, ConfigValues values);
  std::string (*render)(const Config& config);  // CONFIG GET value
};

// Every key, in the order --help and CONFIG GET list them.
std::span<const ConfigKey> config_keys();

// The key named `name` (case-insensitive), or nullptr.
const ConfigKey* find_config_key(std::string_view name);

// Splits a multi_word key's single value ("normal 1mb 1mb 0") on whitespace.
std::vector<std::string> split_config_words(std::string_view text);

}  // namespace tessera::server
