// From a parsed memcached request to the command path (memcache_request.h), the memcached
// command specs, and the commands that run on the parser thread (version, verbosity, stats,
// mn).
#include "engine/memcache_request.h"

#include <array>
#include <cstring>
#include <type_traits>

#include "engine/memcache_commands.h"
#include "engine/server_view.h"
#include "protocol/memcache_model.h"

namespace tessera::engine {
namespace {

using protocol::MemcacheCommand;

static_assert(std::is_trivially_copyable_v<MemcacheParams>);

constexpr int kKey = static_cast<int>(kMemcacheFirstKey);

constexpr CommandSpec key_spec(std::string_view name, CommandHandler handler) {
  return memcache_command_spec(name, Routing::kKey, Join::kNone, kKey, handler);
}
constexpr CommandSpec multi_key_spec(std::string_view name) {
  return memcache_command_spec(name, Routing::kMultiKey, Join::kArrayInKeyOrder, kKey, memcache::get);
}
constexpr CommandSpec local_spec(std::string_view name, CommandHandler handler) {
  return memcache_command_spec(name, Routing::kLocal, Join::kNone, 0, handler);
}

// Indexed by MemcacheCommand; the order of that enum.
const std::array kSpecs = {
    multi_key_spec("get"),
    multi_key_spec("gets"),
    multi_key_spec("gat"),
    multi_key_spec("gats"),
    key_spec("set", memcache::store),
    key_spec("add", memcache::store),
    key_spec("replace", memcache::store),
    key_spec("append", memcache::store),
    key_spec("prepend", memcache::store),
    key_spec("cas", memcache::store),
    key_spec("delete", memcache::remove),
    key_spec("incr", memcache::arith),
    key_spec("decr", memcache::arith),
    key_spec("touch", memcache::touch),
    memcache_command_spec("flush_all", Routing::kAllShards, Join::kFirstPart, 0, memcache::flush_all),
    local_spec("version", memcache::version),
    local_spec("verbosity", memcache::verbosity),
    local_spec("quit", nullptr),
    memcache_command_spec("stats", Routing::kLocal, Join::kNone, 0, memcache::stats, kAfterEarlierCommands),
    local_spec("mn", memcache::meta_noop),
    key_spec("mg", memcache::meta_get),
    key_spec("ms", memcache::meta_set),
    key_spec("md", memcache::meta_delete),
    key_spec("ma", memcache::meta_arith),
    key_spec("me", memcache::meta_debug),
};
static_assert(kSpecs.size() == static_cast<size_t>(MemcacheCommand::kMetaDebug) + 1);

bool is_storage(MemcacheCommand command) {
  switch (command) {
    case MemcacheCommand::kSet:
    case MemcacheCommand::kAdd:
    case MemcacheCommand::kReplace:
    case MemcacheCommand::kAppend:
    case MemcacheCommand::kPrepend:
    case MemcacheCommand::kCas:
    case MemcacheCommand::kMetaSet:
      return true;
    default:
      return false;
  }
}

}  // namespace

const CommandSpec& memcache_spec(MemcacheCommand command) { return kSpecs[static_cast<size_t>(command)]; }

const CommandSpec* prepare_memcache_command(const protocol::MemcacheRequest& request, std::string& params_storage,
                                            std::vector<std::string_view>& args) {
  if (request.command == MemcacheCommand::kQuit) {
    return nullptr;
  }
  const CommandSpec& spec = memcache_spec(request.command);
  MemcacheParams p;
  p.command = request.command;
  p.noreply = request.noreply;
  p.value_too_large = request.value_too_large;
  p.has_exptime = request.has_exptime;
  p.client_flags = request.flags;
  p.verbosity = request.verbosity;
  p.exptime = request.exptime;
  p.cas_unique = request.cas_unique;
  p.delta = request.delta;
  const protocol::MetaFlags& meta = request.meta;
  if (meta.count > 0 || request.command >= MemcacheCommand::kMetaNoop) {
    p.base64_key = meta.base64_key;
    p.noreply = meta.quiet;
    p.mode = meta.mode;
    p.meta_present = meta.present;
    p.meta_tokens = static_cast<uint32_t>(meta.count);
    if (meta.has('F')) {
      p.client_flags = meta.client_flags;
    }
    p.exptime = meta.ttl;
    p.cas_unique = meta.compare_cas;
    p.new_cas = meta.new_cas;
    p.delta = meta.delta;
    p.initial = meta.initial;
    p.vivify_ttl = meta.vivify_ttl;
    p.recache_ttl = meta.recache_ttl;
  }
  params_storage.resize(sizeof p);
  std::memcpy(params_storage.data(), &p, sizeof p);

  args.clear();
  args.push_back(spec.name);
  args.push_back(params_storage);
  args.insert(args.end(), request.keys.begin(), request.keys.end());
  if (request.command == MemcacheCommand::kStats) {
    args.insert(args.end(), request.args.begin(), request.args.end());
  }
  for (size_t i = 0; i < meta.count; ++i) {
    // The token follows its flag letter in the request line: view both.
    std::string_view token = meta.list[i].token;
    args.emplace_back(token.data() - 1, token.size() + 1);
  }
  if (is_storage(request.command)) {
    args.push_back(request.data);
  }
  return &spec;
}

MemcacheParams memcache_params(const CommandContext& ctx) {
  MemcacheParams p;
  std::memcpy(&p, ctx.args[kMemcacheParamsArg].data(), sizeof p);
  return p;
}

std::span<const std::string_view> memcache_meta_tokens(const CommandContext& ctx, const MemcacheParams& params) {
  return ctx.args.subspan(kMemcacheFirstKey + 1, params.meta_tokens);
}

namespace memcache {

// memcached's VERSION is what its clients parse (libmemcached reads major.minor.micro);
// Tessera answers as the memcached release whose behaviour it reproduces.
constexpr std::string_view kVersionLine = "VERSION 1.6.18";

void version(CommandContext& ctx) { ctx.reply.simple(kVersionLine); }

void verbosity(CommandContext& ctx) {
  // Accepted and ignored, as Tessera's log level is the loglevel config key.
  if (!memcache_params(ctx).noreply) {
    ctx.reply.simple("OK");
  }
}

void meta_noop(CommandContext& ctx) { ctx.reply.simple("MN"); }

void stats(CommandContext& ctx) {
  const std::string_view group = ctx.args.size() > kMemcacheFirstKey ? ctx.args[kMemcacheFirstKey] : "";
  const MemcacheStats answer = ctx.server->memcache_stats(group);
  switch (answer.kind) {
    case MemcacheStats::Kind::kReset:
      ctx.reply.simple("RESET");
      return;
    case MemcacheStats::Kind::kUnknownGroup:
      ctx.reply.simple("ERROR");
      return;
    case MemcacheStats::Kind::kStats:
      break;
  }
  std::string line;
  for (const auto& [name, value] : answer.stats) {
    line.assign("STAT ").append(name).append(" ").append(value);
    ctx.reply.simple(line);
  }
  ctx.reply.simple("END");
}

}  // namespace memcache
}  // namespace tessera::engine
