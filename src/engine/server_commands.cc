// Server commands that need no keyspace, as Redis's server.c/config.c: PING ECHO TIME
// COMMAND CONFIG INFO SHUTDOWN. They run on the parser thread (kLocal / kConnection) and
// reach server-wide state only through ServerView. COMMAND's output is derived from the
// registry itself.
#include <sys/time.h>

#include <algorithm>
#include <string>

#include "engine/command.h"
#include "engine/command_help.h"
#include "engine/errors.h"
#include "engine/server_view.h"
#include "engine/session.h"
#include "engine/string_util.h"

namespace tessera::engine {
namespace {

void ping_command(CommandContext& ctx) {
  if (ctx.args.size() > 2) {
    ctx.reply.error("ERR wrong number of arguments for 'ping' command");
  } else if (ctx.args.size() == 2) {
    ctx.reply.bulk(ctx.args[1]);
  } else {
    ctx.reply.simple("PONG");
  }
}

void echo_command(CommandContext& ctx) { ctx.reply.bulk(ctx.args[1]); }

void time_command(CommandContext& ctx) {
  timeval tv;
  gettimeofday(&tv, nullptr);
  ctx.reply.array(2);
  ctx.reply.bulk(std::to_string(tv.tv_sec));
  ctx.reply.bulk(std::to_string(tv.tv_usec));
}

void write_flags(const CommandSpec& spec, protocol::ReplyWriter& out) {
  static constexpr std::pair<uint32_t, std::string_view> kNames[] = {
      {kWrite, "write"}, {kReadOnly, "readonly"}, {kAdmin, "admin"}, {kNoScript, "noscript"},
      {kLoading, "loading"}, {kStale, "stale"}, {kFast, "fast"},
  };
  uint32_t n = 0;
  for (auto [bit, name] : kNames) {
    n += (spec.flags & bit) ? 1 : 0;
  }
  out.set(n);
  for (auto [bit, name] : kNames) {
    if (spec.flags & bit) {
      out.simple(name);
    }
  }
}

std::vector<std::string_view> split_words(std::string_view text) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = text.find(' ', i);
    if (j == std::string_view::npos) {
      j = text.size();
    }
    if (j > i) {
      words.push_back(text.substr(i, j - i));
    }
    i = j + 1;
  }
  return words;
}

// One COMMAND INFO entry, Redis 7 shape: name, arity, flags, first, last, step, ACL
// categories, tips, key specs, subcommands.
void write_command_info(const CommandSpec& spec, protocol::ReplyWriter& out) {
  out.array(10);
  out.bulk(spec.name);
  out.integer(spec.arity);
  write_flags(spec, out);
  out.integer(spec.first_key);
  out.integer(spec.last_key);
  out.integer(spec.key_step);
  auto categories = split_words(spec.acl_categories);
  out.set(static_cast<uint32_t>(categories.size()));
  for (auto c : categories) {
    out.simple(c);
  }
  out.set(0);
  out.set(0);
  out.array(0);
}

void write_command_docs(const CommandSpec& spec, protocol::ReplyWriter& out) {
  out.map(3);
  out.bulk("summary");
  out.bulk(spec.summary);
  out.bulk("since");
  out.bulk(spec.since);
  out.bulk("group");
  out.bulk(spec.group);
}

// COMMAND GETKEYS <command> [arg ...]: the keys the call names (Redis 7.0's commandGetKeys,
// with its checks in its order: unknown command, no key arguments, wrong arity).
void command_getkeys(std::span<const std::string_view> call, protocol::ReplyWriter& out) {
  const CommandSpec* spec = find_command(call[0]);
  if (spec != nullptr && !spec->subcommands.empty() && call.size() > 1 &&
      find_subcommand(*spec, call[1]) < 0) {
    spec = nullptr;  // Redis looks the container's subcommand up, and finds none
  }
  if (spec == nullptr) {
    out.error("ERR Invalid command specified");
    return;
  }
  if (spec->first_key == 0 && spec->find_keys == nullptr) {
    out.error("ERR The command has no key arguments");
    return;
  }
  const auto argc = static_cast<int64_t>(call.size());
  if ((spec->arity > 0 && spec->arity != argc) || argc < -spec->arity) {
    out.error("ERR Invalid number of arguments specified for command");
    return;
  }
  const KeySpan span = key_span(*spec, call);
  if (span.empty() || span.first >= call.size() || span.last < span.first || span.step == 0) {
    out.error("ERR Invalid arguments specified for command");
    return;
  }
  const size_t last = std::min(span.last, call.size() - 1);
  out.array(static_cast<uint32_t>((last - span.first) / span.step + 1));
  for (size_t i = span.first; i <= last; i += span.step) {
    out.bulk(call[i]);
  }
}

// COMMAND [COUNT | LIST | INFO [name ...] | DOCS [name ...] | GETKEYS command [arg ...] | HELP];
// the parser has checked the subcommand and its arity (kCommandSubcommands).
void command_command(CommandContext& ctx) {
  auto commands = all_commands();
  if (ctx.args.size() == 1) {
    ctx.reply.array(static_cast<uint32_t>(commands.size()));
    for (const auto& spec : commands) {
      write_command_info(spec, ctx.reply);
    }
    return;
  }
  std::string_view sub = ctx.args[1];
  auto names = ctx.args.subspan(2);
  if (equals_nocase(sub, "help")) {
    static constexpr std::string_view kHelp[] = {
        "(no subcommand)", "    Return details about all Redis commands.",
        "COUNT", "    Return the total number of commands in this Redis server.",
        "LIST", "    Return a list of all commands in this Redis server.",
        "INFO [<command-name> ...]", "    Return details about multiple Redis commands.",
        "    If no command names are given, documentation details for all", "    commands are returned.",
        "DOCS [<command-name> ...]", "    Return documentation details about multiple Redis commands.",
        "    If no command names are given, documentation details for all", "    commands are returned.",
        "GETKEYS <full-command>", "    Return the keys from a full Redis command.",
    };
    write_help(ctx.reply, "command", kHelp);
  } else if (equals_nocase(sub, "count")) {
    ctx.reply.integer(static_cast<int64_t>(commands.size()));
  } else if (equals_nocase(sub, "list")) {
    if (ctx.args.size() != 2) {
      ctx.reply.error(err::kSyntax);  // FILTERBY is not supported
      return;
    }
    ctx.reply.array(static_cast<uint32_t>(commands.size()));
    for (const auto& spec : commands) {
      ctx.reply.bulk(spec.name);
    }
  } else if (equals_nocase(sub, "info")) {
    if (names.empty()) {
      ctx.reply.array(static_cast<uint32_t>(commands.size()));
      for (const auto& spec : commands) {
        write_command_info(spec, ctx.reply);
      }
      return;
    }
    ctx.reply.array(static_cast<uint32_t>(names.size()));
    for (auto name : names) {
      const CommandSpec* spec = find_command(name);
      if (spec) {
        write_command_info(*spec, ctx.reply);
      } else {
        ctx.reply.null();  // Redis 7: a null bulk ($-1), not a null array
      }
    }
  } else if (equals_nocase(sub, "getkeys")) {
    command_getkeys(names, ctx.reply);
  } else if (equals_nocase(sub, "docs")) {
    std::vector<const CommandSpec*> found;
    if (names.empty()) {
      for (const auto& spec : commands) {
        found.push_back(&spec);
      }
    } else {
      for (auto name : names) {
        if (const CommandSpec* spec = find_command(name)) {
          found.push_back(spec);
        }
      }
    }
    ctx.reply.map(static_cast<uint32_t>(found.size()));
    for (const CommandSpec* spec : found) {
      ctx.reply.bulk(spec->name);
      write_command_docs(*spec, ctx.reply);
    }
  }
}

// CONFIG GET pattern ... | SET name value ... | RESETSTAT | REWRITE | HELP; the parser has checked the
// subcommand and its arity (kConfigSubcommands).
void config_command(CommandContext& ctx) {
  std::string_view sub = ctx.args[1];
  if (equals_nocase(sub, "help")) {
    static constexpr std::string_view kHelp[] = {
        "GET <pattern>", "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>", "    Set the configuration <directive> to <value>.",
        "RESETSTAT", "    Reset statistics reported by the INFO command.",
        "REWRITE", "    Rewrite the configuration file.",
    };
    write_help(ctx.reply, "config", kHelp);
  } else if (equals_nocase(sub, "get")) {
    ctx.server->config_get(ctx.args.subspan(2), ctx.reply);
  } else if (equals_nocase(sub, "set")) {
    if (ctx.args.size() % 2 != 0) {
      ctx.reply.error(err::kSyntax);  // a name without its value, as Redis 7.0 answers it
      return;
    }
    std::string error = ctx.server->config_set(ctx.args.subspan(2));
    if (error.empty()) {
      ctx.reply.ok();
    } else {
      ctx.reply.error(error);
    }
  } else if (equals_nocase(sub, "rewrite")) {
    std::string error = ctx.server->config_rewrite();
    if (error.empty()) {
      ctx.reply.ok();
    } else {
      ctx.reply.error(error);
    }
  } else {
    ctx.server->reset_stats();
    ctx.reply.ok();
  }
}

// ROLE: a master without replicas, as replication is not built: ["master", 0, []].
void role_command(CommandContext& ctx) {
  ctx.reply.array(3);
  ctx.reply.bulk("master");
  ctx.reply.integer(0);
  ctx.reply.array(0);
}

void info_command(CommandContext& ctx) {
  std::vector<std::string> sections;
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    sections.push_back(ascii_lowercase(ctx.args[i]));
  }
  ctx.reply.verbatim("txt", ctx.server->info_text(sections));
}

// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]: nothing is persisted, so the save options
// are accepted and ignored. Like Redis, a successful SHUTDOWN sends no reply: the
// connection closes as the server stops.
void shutdown_command(CommandContext& ctx) {
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    auto a = ctx.args[i];
    if (equals_nocase(a, "abort")) {
      ctx.reply.error("ERR No shutdown in progress.");
      return;
    }
    if (!equals_nocase(a, "nosave") && !equals_nocase(a, "save") && !equals_nocase(a, "now") &&
        !equals_nocase(a, "force")) {
      ctx.reply.error(err::kSyntax);
      return;
    }
  }
  ctx.session->close_after_reply = true;
  ctx.server->request_shutdown();
}

constexpr uint32_t kLocalFlags = kFast | kLoading | kStale;

// The subcommands supported, with Redis 7's arities (the parser checks them).
constexpr Subcommand kCommandSubcommands[] = {{"count", 2}, {"docs", -2}, {"info", -2}, {"list", -2}, {"getkeys", -4}, {"help", 2}};
constexpr Subcommand kConfigSubcommands[] = {{"get", -3}, {"set", -4}, {"resetstat", 2}, {"rewrite", 2}, {"help", 2}};

const CommandSpec kServerCommands[] = {
    {"ping", -1, kLocalFlags, Routing::kLocal, Join::kNone, 0, 0, 0, ping_command, "connection", "1.0.0",
     "Returns the server's liveliness response.", "@fast @connection"},
    {"echo", 2, kLocalFlags, Routing::kLocal, Join::kNone, 0, 0, 0, echo_command, "connection", "1.0.0",
     "Returns the given string.", "@fast @connection"},
    {"time", 1, kLocalFlags, Routing::kLocal, Join::kNone, 0, 0, 0, time_command, "server", "2.6.0",
     "Returns the server time.", "@fast"},
    {"command", -1, kLoading | kStale, Routing::kLocal, Join::kNone, 0, 0, 0, command_command, "server",
     "2.8.13", "Returns detailed information about all commands.", "@slow @connection", nullptr, nullptr, nullptr,
     1, nullptr, kCommandSubcommands},
    {"config", -2, kAdmin | kNoScript | kLoading | kStale | kAfterEarlierCommands, Routing::kLocal, Join::kNone, 0, 0, 0,
     config_command, "server", "2.0.0", "A container for server configuration commands.",
     "@admin @slow @dangerous", nullptr, nullptr, nullptr, 1, nullptr, kConfigSubcommands},
    {"info", -1, kLoading | kStale | kAfterEarlierCommands, Routing::kLocal, Join::kNone, 0, 0, 0, info_command, "server", "1.0.0",
     "Returns information and statistics about the server.", "@slow @dangerous"},
    {"role", 1, kLocalFlags | kNoScript, Routing::kLocal, Join::kNone, 0, 0, 0, role_command, "server", "2.8.12",
     "Returns the replication role.", "@admin @fast @dangerous"},
    {"shutdown", -1, kAdmin | kNoScript | kLoading | kStale, Routing::kConnection, Join::kNone, 0, 0, 0,
     shutdown_command, "server", "1.0.0", "Synchronously saves the database(s) to disk and shuts down the Redis server.",
     "@admin @slow @dangerous"},
};

}  // namespace

std::span<const CommandSpec> server_commands() { return kServerCommands; }

}  // namespace tessera::engine
