// The command registry: the families' spec tables joined into one, with a case-insensitive
// name index built once on first use (thread-safe static initialisation, read-only after).
#include <algorithm>
#include <unordered_map>
#include <vector>

#include "engine/command.h"

namespace tessera::engine {
namespace {

inline unsigned char ascii_lower(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  return (u >= 'A' && u <= 'Z') ? static_cast<unsigned char>(u | 0x20) : u;
}

struct CaseInsensitiveHash {
  size_t operator()(std::string_view s) const {
    uint64_t h = 1469598103934665603ULL;  // FNV-1a
    for (char c : s) {
      h ^= ascii_lower(c);
      h *= 1099511628211ULL;
    }
    return static_cast<size_t>(h);
  }
};

struct CaseInsensitiveEqual {
  bool operator()(std::string_view a, std::string_view b) const {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
  }
};

struct Registry {
  std::vector<CommandSpec> all;
  std::unordered_map<std::string_view, const CommandSpec*, CaseInsensitiveHash, CaseInsensitiveEqual> by_name;

  Registry() {
    for (auto family : {connection_commands(), server_commands(), key_commands(), string_commands(), table_commands()}) {
      all.insert(all.end(), family.begin(), family.end());
    }
    by_name.reserve(all.size() * 2);
    for (const auto& spec : all) {
      by_name.emplace(spec.name, &spec);
    }
  }
};

const Registry& registry() {
  static const Registry instance;
  return instance;
}

}  // namespace

const CommandSpec* find_command(std::string_view name) {
  const auto& index = registry().by_name;
  auto it = index.find(name);
  return it == index.end() ? nullptr : it->second;
}

std::span<const CommandSpec> all_commands() { return registry().all; }

}  // namespace tessera::engine
