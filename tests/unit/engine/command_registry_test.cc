// The command registry's name index (command_registry.cc): every registered command is
// found under any letter case, and nothing else is.
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "engine/command.h"

namespace tessera::engine {
namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    }
  }
  return out;
}

TEST_CASE("every registered command is found by its name in any case") {
  const auto commands = all_commands();
  REQUIRE(commands.size() > 50);
  std::set<std::string_view> names;
  for (const CommandSpec& spec : commands) {
    CHECK_MESSAGE(spec.name.find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") == std::string_view::npos,
                  "registered names are lower case: ", spec.name);
    CHECK(names.insert(spec.name).second);  // no name twice
    CHECK(find_command(spec.name) == &spec);
    CHECK(find_command(upper(spec.name)) == &spec);
    std::string mixed(spec.name);
    mixed[0] = upper(mixed.substr(0, 1))[0];
    CHECK(find_command(mixed) == &spec);
  }
}

TEST_CASE("names that are not registered are not found") {
  CHECK(find_command("") == nullptr);
  CHECK(find_command("ge") == nullptr);
  CHECK(find_command("gett") == nullptr);
  CHECK(find_command("get ") == nullptr);
  CHECK(find_command(std::string_view("get\0", 4)) == nullptr);
  CHECK(find_command("nosuchcommand") == nullptr);
  CHECK(find_command(std::string(300, 'x')) == nullptr);
  CHECK(find_command("GET") != nullptr);
}

TEST_CASE("only letters fold case: a punctuation byte 0x20 below a name's is no match") {
  // Lower-casing by OR-ing 0x20 into every byte would fold 0x0E onto '.', 0x0D onto '-'
  // and 0x5F ('_') onto 0x7F: names with such bytes must still be told apart.
  size_t checked = 0;
  for (const CommandSpec& spec : all_commands()) {
    for (size_t i = 0; i < spec.name.size(); ++i) {
      const char c = spec.name[i];
      if ((c >= 'a' && c <= 'z') || (c & 0x20) == 0) {
        continue;
      }
      std::string folded(spec.name);
      folded[i] = static_cast<char>(c & ~0x20);
      CHECK(find_command(folded) == nullptr);
      ++checked;
    }
  }
  CHECK(checked > 0);  // table.* commands carry a '.'
}

TEST_CASE("statistics slots: one per command, then one per subcommand, named container|sub") {
  const auto commands = all_commands();
  size_t subcommands = 0;
  for (const CommandSpec& spec : commands) {
    const int slot = spec.stat_slot;
    REQUIRE(slot >= 0);
    CHECK(command_stat_name(static_cast<size_t>(slot)) == spec.name);
    for (size_t i = 0; i < spec.subcommands.size(); ++i) {
      const int sub_slot = subcommand_stat_slot(spec, i);
      REQUIRE(sub_slot >= static_cast<int>(commands.size()));
      CHECK(command_stat_name(static_cast<size_t>(sub_slot)) ==
            std::string(spec.name) + "|" + std::string(spec.subcommands[i].name));
      ++subcommands;
    }
  }
  CHECK(command_stat_count() == commands.size() + subcommands);
  const CommandSpec* config = find_command("config");
  REQUIRE(config != nullptr);
  CHECK(find_subcommand(*config, "GeT") == 0);
  CHECK(command_stat_name(static_cast<size_t>(subcommand_stat_slot(*config, 0))) == "config|get");
  CHECK(find_subcommand(*config, "nosuch") == -1);
  CHECK(find_subcommand(*config, std::string_view("get\0", 4)) == -1);
  // A spec outside the registry (memcached's tables) has no slot.
  const CommandSpec outside{"outside", 1, 0, Routing::kLocal, Join::kNone, 0, 0, 0, nullptr, "", "", ""};
  CHECK(outside.stat_slot == -1);
}

}  // namespace
}  // namespace tessera::engine
