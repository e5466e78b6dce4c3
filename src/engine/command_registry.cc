// The command registry: the families' spec tables joined into one, with a case-insensitive
// name index built once on first use (thread-safe static initialisation, read-only after).
//
// The index is looked up once per command on the parser's hot path, so it is a flat
// open-addressing table (power-of-two size, at most half full, linear probing) of spec
// indexes keyed by an FNV-1a hash of the lower-cased name: one hash over a few bytes, one
// probe in the common case, one case-insensitive compare. No node chasing, no modulo.
#include <algorithm>
#include <bit>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/command.h"
#include "engine/string_util.h"

namespace tessera::engine {
namespace {

inline uint64_t name_hash(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (char c : s) {
    h ^= static_cast<unsigned char>(ascii_lower(c));
    h *= 1099511628211ULL;
  }
  return h;
}

// REQUIRES: `lower` is lower case (registered names are).
inline bool equal_ignoring_case(std::string_view name, std::string_view lower) {
  if (name.size() != lower.size()) {
    return false;
  }
  for (size_t i = 0; i < name.size(); ++i) {
    if (ascii_lower(name[i]) != lower[i]) {
      return false;
    }
  }
  return true;
}

struct Registry {
  static constexpr uint16_t kEmpty = UINT16_MAX;

  std::vector<CommandSpec> all;
  std::vector<uint16_t> slots;  // index into `all`, or kEmpty
  uint64_t mask = 0;
  std::vector<std::string> stat_names;     // per statistics slot
  std::vector<size_t> first_subcommand_slot;  // per command

  Registry() {
    for (auto family : {connection_commands(), server_commands(), key_commands(), string_commands(), table_commands()}) {
      all.insert(all.end(), family.begin(), family.end());
    }
    slots.assign(std::bit_ceil(std::max<size_t>(all.size() * 2, 16)), kEmpty);
    mask = slots.size() - 1;
    for (size_t i = 0; i < all.size(); ++i) {
      uint64_t s = name_hash(all[i].name) & mask;
      while (slots[s] != kEmpty) {
        s = (s + 1) & mask;
      }
      slots[s] = static_cast<uint16_t>(i);
    }
    for (CommandSpec& spec : all) {
      spec.stat_slot = static_cast<int>(stat_names.size());
      stat_names.emplace_back(spec.name);
    }
    for (const CommandSpec& spec : all) {
      first_subcommand_slot.push_back(stat_names.size());
      for (const Subcommand& sub : spec.subcommands) {
        stat_names.push_back(std::string(spec.name) + '|' + std::string(sub.name));
      }
    }
  }

  const CommandSpec* find(std::string_view name) const {
    for (uint64_t s = name_hash(name) & mask;; s = (s + 1) & mask) {
      const uint16_t i = slots[s];
      if (i == kEmpty) {
        return nullptr;
      }
      if (equal_ignoring_case(name, all[i].name)) {
        return &all[i];
      }
    }
  }
};

const Registry& registry() {
  static const Registry instance;
  return instance;
}

}  // namespace

const CommandSpec* find_command(std::string_view name) { return registry().find(name); }

std::span<const CommandSpec> all_commands() { return registry().all; }

size_t command_stat_count() { return registry().stat_names.size(); }

std::string_view command_stat_name(size_t slot) { return registry().stat_names[slot]; }

int subcommand_stat_slot(const CommandSpec& spec, size_t sub) {
  return static_cast<int>(registry().first_subcommand_slot[static_cast<size_t>(spec.stat_slot)] + sub);
}

int find_subcommand(const CommandSpec& spec, std::string_view name) {
  for (size_t i = 0; i < spec.subcommands.size(); ++i) {
    if (equal_ignoring_case(name, spec.subcommands[i].name)) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

}  // namespace tessera::engine
