// Connection commands, as Redis's networking.c/server.c: HELLO AUTH SELECT QUIT CLIENT.
// They run on the connection's parser thread (routing kConnection) and change its
// SessionState, so the change applies in stream order to every command pipelined after.
#include <algorithm>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>

#include "engine/command.h"
#include "engine/errors.h"
#include "engine/server_view.h"
#include "engine/session.h"
#include "engine/shard.h"
#include "engine/command_help.h"
#include "engine/string_util.h"

namespace tessera::engine {
namespace {

constexpr std::string_view kServerName = "redis";
constexpr std::string_view kCompatibleVersion = "7.0.15";
constexpr std::string_view kNoPasswordConfigured =
    "ERR AUTH <password> called without any password configured for the default user. Are you "
    "sure your configuration is correct?";
constexpr std::string_view kDefaultUser = "default";

bool valid_client_name(std::string_view name) {
  for (char c : name) {
    if (c < '!' || c > '~') {  // Redis: no spaces, newlines or non-printable characters
      return false;
    }
  }
  return true;
}

void write_hello_reply(CommandContext& ctx) {
  const SessionState& s = *ctx.session;
  ctx.reply.map(7);
  ctx.reply.bulk("server");
  ctx.reply.bulk(kServerName);
  ctx.reply.bulk("version");
  ctx.reply.bulk(kCompatibleVersion);
  ctx.reply.bulk("proto");
  ctx.reply.integer(static_cast<int64_t>(s.resp));
  ctx.reply.bulk("id");
  ctx.reply.integer(static_cast<int64_t>(s.client_id));
  ctx.reply.bulk("mode");
  ctx.reply.bulk("standalone");
  ctx.reply.bulk("role");
  ctx.reply.bulk("master");
  ctx.reply.bulk("modules");
  ctx.reply.array(0);
}

// HELLO [protover [AUTH username password] [SETNAME clientname]]. Options are checked left
// to right, as Redis 7.0 does: the first bad one (a bad name included) is the error.
void hello_command(CommandContext& ctx) {
  protocol::RespVersion version = ctx.session->resp;
  size_t i = 1;
  if (ctx.args.size() > 1) {
    auto v = parse_int64(ctx.args[1]);
    if (!v) {
      ctx.reply.error("ERR Protocol version is not an integer or out of range");
      return;
    }
    if (*v != 2 && *v != 3) {
      ctx.reply.error("NOPROTO unsupported protocol version");
      return;
    }
    version = *v == 3 ? protocol::RespVersion::kResp3 : protocol::RespVersion::kResp2;
    i = 2;
  }
  std::string_view new_name;
  bool set_name = false;
  for (; i < ctx.args.size(); ++i) {
    bool more = i + 1 < ctx.args.size();
    if (equals_nocase(ctx.args[i], "auth") && i + 2 < ctx.args.size()) {
      i += 2;  // the default user has no password: any credentials pass, as in Redis
    } else if (equals_nocase(ctx.args[i], "setname") && more) {
      new_name = ctx.args[++i];
      set_name = true;
      if (!valid_client_name(new_name)) {
        ctx.reply.error("ERR Client names cannot contain spaces, newlines or special characters.");
        return;
      }
    } else {
      ctx.reply.error("ERR Syntax error in HELLO option '" + std::string(as_c_string(ctx.args[i])) + "'");
      return;
    }
  }
  if (set_name) {
    ctx.session->name.assign(new_name);
  }
  ctx.session->resp = version;
  write_hello_reply(ctx);
}

void auth_command(CommandContext& ctx) {
  if (ctx.args.size() == 2) {
    ctx.reply.error(kNoPasswordConfigured);
  } else if (ctx.args.size() == 3) {
    if (ctx.args[1] == kDefaultUser) {
      ctx.reply.ok();
    } else {
      ctx.reply.error("WRONGPASS invalid username-password pair or user is disabled.");
    }
  } else {
    ctx.reply.error(err::kSyntax);
  }
}

void select_command(CommandContext& ctx) {
  auto index = parse_int64(ctx.args[1]);
  if (!index) {
    ctx.reply.error(err::kNotInteger);
    return;
  }
  if (*index < INT32_MIN || *index > INT32_MAX) {
    ctx.reply.error(err::kNotInt32);
    return;
  }
  if (*index < 0 || *index >= kDatabases) {
    ctx.reply.error(err::kDbIndexOutOfRange);
    return;
  }
  ctx.session->db = static_cast<int>(*index);
  ctx.reply.ok();
}

void quit_command(CommandContext& ctx) {
  ctx.session->close_after_reply = true;
  ctx.reply.ok();
}

void reset_command(CommandContext& ctx) {
  ctx.session->db = 0;
  ctx.session->resp = protocol::RespVersion::kResp2;
  ctx.session->name.clear();
  ctx.reply.simple("RESET");
}

// CLIENT KILL ip:port (+OK or no such client), or CLIENT KILL <filter value> ... (the count
// killed), as Redis 7.0's clientKillCommand: filters are read left to right and the first bad
// one is the error. Other clients are cut off at once; the caller, when it matches, gets
// every reply owed, this one included, and then closes (as after QUIT).
void client_kill(CommandContext& ctx) {
  const auto& a = ctx.args;
  ClientKillFilter filter;
  filter.caller_id = ctx.session->client_id;
  if (a.size() == 3) {  // old form; it may name the caller itself
    filter.addr = a[2];
    const ClientKillResult result = ctx.server->client_kill(filter);
    if (result.killed == 0) {
      ctx.reply.error("ERR No such client");
    } else {
      ctx.reply.ok();
    }
    ctx.session->close_after_reply = result.caller;
    return;
  }
  bool skipme = true;
  for (size_t i = 2; i < a.size(); i += 2) {
    const bool has_value = i + 1 < a.size();
    const std::string_view option = a[i];
    const std::string_view value = has_value ? a[i + 1] : std::string_view();
    if (has_value && equals_nocase(option, "id")) {
      const auto v = parse_int64(value);
      if (!v || *v <= 0) {
        ctx.reply.error("ERR client-id should be greater than 0");
        return;
      }
      filter.id = static_cast<uint64_t>(*v);
    } else if (has_value && equals_nocase(option, "type")) {
      if (equals_nocase(value, "normal")) {
        filter.normal_type = true;
      } else if (equals_nocase(value, "master") || equals_nocase(value, "replica") ||
                 equals_nocase(value, "slave") || equals_nocase(value, "pubsub")) {
        filter.normal_type = false;  // valid, but every client here is a normal one
      } else {
        ctx.reply.error("ERR Unknown client type '" + std::string(as_c_string(value)) + "'");
        return;
      }
    } else if (has_value && equals_nocase(option, "addr")) {
      filter.addr = value;
    } else if (has_value && equals_nocase(option, "laddr")) {
      filter.laddr = value;
    } else if (has_value && equals_nocase(option, "user")) {
      if (value != "default") {  // the only user (ACL names are case-sensitive)
        ctx.reply.error("ERR No such user '" + std::string(as_c_string(value)) + "'");
        return;
      }
    } else if (has_value && equals_nocase(option, "skipme")) {
      if (equals_nocase(value, "yes")) {
        skipme = true;
      } else if (equals_nocase(value, "no")) {
        skipme = false;
      } else {
        ctx.reply.error(err::kSyntax);
        return;
      }
    } else {
      ctx.reply.error(err::kSyntax);
      return;
    }
  }
  filter.skip_id = skipme ? ctx.session->client_id : 0;
  const ClientKillResult result = ctx.server->client_kill(filter);
  ctx.reply.integer(result.killed);
  ctx.session->close_after_reply = result.caller;
}

// CLIENT LIST [TYPE normal|master|replica|slave|pubsub] | [ID id [id ...]], as Redis 7.0.
// Every client here is a normal one; IDs are listed in argument order, unknown ones skipped.
void list_clients(CommandContext& ctx) {
  const auto args = ctx.args;
  ctx.server->publish_session(*ctx.session);
  std::string text;
  if (args.size() == 2) {
    text = ctx.server->client_list(0);
  } else if (args.size() == 4 && equals_nocase(args[2], "type")) {
    const std::string_view type = args[3];
    if (equals_nocase(type, "normal")) {
      text = ctx.server->client_list(0);
    } else if (!equals_nocase(type, "master") && !equals_nocase(type, "replica") &&
               !equals_nocase(type, "slave") && !equals_nocase(type, "pubsub")) {
      ctx.reply.error("ERR Unknown client type '" + std::string(as_c_string(type)) + "'");
      return;
    }
  } else if (args.size() > 3 && equals_nocase(args[2], "id")) {
    for (size_t i = 3; i < args.size(); ++i) {
      const std::optional<int64_t> id = parse_int64(args[i]);
      if (!id) {
        ctx.reply.error("ERR Invalid client ID");
        return;
      }
      if (*id > 0) {  // client_list(0) would list everyone
        text += ctx.server->client_list(static_cast<uint64_t>(*id));
      }
    }
  } else {
    ctx.reply.error(err::kSyntax);
    return;
  }
  ctx.reply.verbatim("txt", text);
}

// CLIENT's subcommands with Redis 7's arities (the parser checks them).
constexpr Subcommand kClientSubcommands[] = {
    {"id", 2},   {"setname", 3}, {"getname", 2}, {"setinfo", 4},
    {"list", -2}, {"info", 2},   {"kill", -3},   {"help", 2},
};

void client_command(CommandContext& ctx) {
  std::string_view sub = ctx.args[1];
  SessionState& s = *ctx.session;
  if (equals_nocase(sub, "id")) {
    ctx.reply.integer(static_cast<int64_t>(s.client_id));
  } else if (equals_nocase(sub, "setname")) {
    if (!valid_client_name(ctx.args[2])) {
      ctx.reply.error("ERR Client names cannot contain spaces, newlines or special characters.");
      return;
    }
    s.name.assign(ctx.args[2]);
    ctx.reply.ok();
  } else if (equals_nocase(sub, "getname")) {
    if (s.name.empty()) {
      ctx.reply.null();
    } else {
      ctx.reply.bulk(s.name);
    }
  } else if (equals_nocase(sub, "setinfo")) {
    std::string_view attr = ctx.args[2];
    if (!valid_client_name(ctx.args[3])) {
      ctx.reply.error(std::string("ERR ") + std::string(as_c_string(attr)) +
                      " cannot contain spaces, newlines or special characters.");
      return;
    }
    if (equals_nocase(attr, "lib-name")) {
      s.lib_name.assign(ctx.args[3]);
    } else if (equals_nocase(attr, "lib-ver")) {
      s.lib_ver.assign(ctx.args[3]);
    } else {
      ctx.reply.error("ERR Unrecognized option '" + std::string(as_c_string(attr)) + "'");
      return;
    }
    ctx.reply.ok();
  } else if (equals_nocase(sub, "list")) {
    list_clients(ctx);
  } else if (equals_nocase(sub, "info")) {
    ctx.server->publish_session(s);
    ctx.reply.verbatim("txt", ctx.server->client_list(s.client_id));
  } else if (equals_nocase(sub, "kill")) {
    client_kill(ctx);
  } else {  // help
    // Redis 7.0's order and words, for what Tessera supports.
    static constexpr std::string_view kHelp[] = {
        "GETNAME", "    Return the name of the current connection.",
        "ID", "    Return the ID of the current connection.",
        "INFO", "    Return information about the current client connection.",
        "KILL <ip:port>", "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]", "    Kill connections. Options are:",
        "    * ADDR (<ip:port>|<unixsocket>:0)", "      Kill connections made from the specified address",
        "    * LADDR (<ip:port>|<unixsocket>:0)", "      Kill connections made to specified local address",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)", "      Kill connections by type.",
        "    * USER <username>", "      Kill connections authenticated by <username>.",
        "    * SKIPME (YES|NO)", "      Skip killing current connection (default: yes).",
        "    * ID <client-id>", "      Kill connections by client id.",
        "LIST [options ...]", "    Return information about client connections. Options:",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)", "      Return clients of specified type.",
        "    * ID <client-id> [<client-id> ...]", "      Return clients of specified IDs only.",
        "SETNAME <name>", "    Assign the name <name> to the current connection.",
        "SETINFO <LIB-NAME|LIB-VER> <value>", "    Set client library name or version.",
    };
    write_help(ctx.reply, "client", kHelp);
  }
}

constexpr uint32_t kConnFlags = kFast | kNoScript | kLoading | kStale;

const CommandSpec kConnectionCommands[] = {
    {"hello", -1, kConnFlags, Routing::kConnection, Join::kNone, 0, 0, 0, hello_command, "connection",
     "6.0.0", "Handshakes with the Redis server.", "@fast @connection"},
    {"auth", -2, kConnFlags, Routing::kConnection, Join::kNone, 0, 0, 0, auth_command, "connection",
     "1.0.0", "Authenticates the connection.", "@fast @connection"},
    {"select", 2, kConnFlags, Routing::kConnection, Join::kNone, 0, 0, 0, select_command, "connection",
     "1.0.0", "Changes the selected database.", "@fast @connection"},
    {"quit", -1, kConnFlags, Routing::kConnection, Join::kNone, 0, 0, 0, quit_command, "connection",
     "1.0.0", "Closes the connection.", "@fast @connection"},
    {"reset", 1, kConnFlags, Routing::kConnection, Join::kNone, 0, 0, 0, reset_command, "connection",
     "6.2.0", "Resets the connection.", "@fast @connection"},
    {"client", -2, kNoScript | kLoading | kStale, Routing::kConnection, Join::kNone, 0, 0, 0, client_command,
     "connection", "2.4.0", "A container for client connection commands.", "@slow @connection", nullptr, nullptr,
     nullptr, 1, nullptr, kClientSubcommands},
};

}  // namespace

std::span<const CommandSpec> connection_commands() { return kConnectionCommands; }

}  // namespace tessera::engine
