// memcached's binary protocol commands over the shared keyspace, as memcached 1.6.18's
// proto_bin.c answers them: GET/GETK (and quiet forms), SET/ADD/REPLACE with an optional
// CAS check, APPEND/PREPEND, DELETE, INCREMENT/DECREMENT with initial value and expiry,
// TOUCH/GAT/GATK, FLUSH, NOOP, VERSION, STAT. Quiet opcodes send nothing on success (and
// GETQ/GETKQ nothing on a miss); errors are always sent.
//
// Every binary response carries the item's CAS, so a binary read or store gives the item a
// CAS unique (memcache_items.h) where a text one would not.
//
// Called on the data worker that owns the key (the server-level ones on the parser thread).
#include <cstring>
#include <type_traits>

#include "engine/memcache_binary_request.h"
#include "engine/memcache_items.h"
#include "engine/memcache_request.h"
#include "engine/server_view.h"
#include "engine/shard.h"
#include "protocol/memcache_binary.h"

namespace tessera::engine {
namespace {

using protocol::MemcacheBinaryOpcode;
using protocol::MemcacheBinaryStatus;
using namespace memcache;

static_assert(std::is_trivially_copyable_v<MemcacheBinaryParams>);

constexpr size_t kKeyArg = 2;
constexpr size_t kValueArg = 3;
constexpr size_t kFlagsExtraBytes = 4;
constexpr size_t kCounterBytes = 8;
constexpr int kBitsPerByte = 8;
constexpr std::string_view kVersion = "1.6.18";

template <class T>
std::string_view big_endian(T value, char* out) {
  for (size_t i = 0; i < sizeof(T); ++i) {
    out[i] = static_cast<char>(value >> (kBitsPerByte * (sizeof(T) - 1 - i)));
  }
  return {out, sizeof(T)};
}

void respond(CommandContext& ctx, const MemcacheBinaryParams& p, uint64_t cas, std::string_view extras = {},
             std::string_view key = {}, std::string_view value = {}) {
  protocol::write_binary_response(ctx.reply, p.opcode, static_cast<uint16_t>(MemcacheBinaryStatus::kNoError),
                                  p.opaque, cas, extras, key, value);
}

void fail(CommandContext& ctx, const MemcacheBinaryParams& p, MemcacheBinaryStatus status) {
  protocol::write_binary_error(ctx.reply, p.opcode, status, p.opaque);
}

// Binary exptimes are unsigned 32-bit, and memcached keeps them unsigned (realtime() takes
// them as a time_t): 0x80000000 is a unix time in 2038, not a negative "expired at once".
int64_t exptime_of(uint32_t exptime) { return static_cast<int64_t>(exptime); }

void bin_get(CommandContext& ctx) {
  const MemcacheBinaryParams p = memcache_binary_params(ctx);
  const std::string_view key = ctx.args[kKeyArg];
  const uint64_t hash = ctx.hash(kKeyArg);
  const bool with_key = p.command == MemcacheBinaryOpcode::kGetK || p.command == MemcacheBinaryOpcode::kGatK;
  const bool touches = p.command == MemcacheBinaryOpcode::kTouch || p.command == MemcacheBinaryOpcode::kGat ||
                       p.command == MemcacheBinaryOpcode::kGatK;
  ShardStats& stats = ctx.shard->stats();
  stats.count(touches ? MemcacheCounter::kCmdTouch : MemcacheCounter::kCmdGet);
  core::ItemView item = fetch_counted(ctx, key, hash);
  if (!item) {
    stats.count(touches ? MemcacheCounter::kTouchMisses : MemcacheCounter::kGetMisses);
    if (p.quiet) {
      return;
    }
    if (with_key) {
      // memcached answers GETK's miss with the key and the "Not found" status.
      protocol::write_binary_response(ctx.reply, p.opcode, static_cast<uint16_t>(MemcacheBinaryStatus::kKeyEnoent),
                                      p.opaque, 0, {}, key, {});
    } else {
      fail(ctx, p, MemcacheBinaryStatus::kKeyEnoent);
    }
    return;
  }
  stats.count(touches ? MemcacheCounter::kTouchHits : MemcacheCounter::kGetHits);
  item = ensure_cas(ctx, key, hash, item);
  char flags_buf[kFlagsExtraBytes];
  const std::string_view extras = big_endian(item.client_flags(), flags_buf);
  std::string scratch;
  const std::string_view value =
      p.command == MemcacheBinaryOpcode::kTouch ? std::string_view() : item_value(item, scratch);
  respond(ctx, p, item.cas(), extras, with_key ? key : std::string_view(), value);
  if (touches) {
    touch_item(ctx, key, hash, exptime_of(p.exptime));
  }
}

void bin_store(CommandContext& ctx) {
  const MemcacheBinaryParams p = memcache_binary_params(ctx);
  if (p.value_too_large) {
    if (p.command == MemcacheBinaryOpcode::kSet) {
      table(ctx).erase(ctx.args[kKeyArg], ctx.hash(kKeyArg), ctx.now_ms);
    }
    fail(ctx, p, MemcacheBinaryStatus::kE2big);
    return;
  }
  ctx.shard->stats().count(MemcacheCounter::kCmdSet);
  StoreRequest request;
  switch (p.command) {
    case MemcacheBinaryOpcode::kAdd: request.mode = StoreMode::kAdd; break;
    case MemcacheBinaryOpcode::kReplace: request.mode = StoreMode::kReplace; break;
    case MemcacheBinaryOpcode::kAppend: request.mode = StoreMode::kAppend; break;
    case MemcacheBinaryOpcode::kPrepend: request.mode = StoreMode::kPrepend; break;
    default: request.mode = StoreMode::kSet; break;
  }
  request.data = ctx.args[kValueArg];
  request.client_flags = p.client_flags;
  request.exptime = exptime_of(p.exptime);
  if (p.cas != 0) {
    request.compare_cas = p.cas;
    // memcached turns a set, add or replace carrying a CAS into its `cas` command: the key
    // must exist with that CAS, whatever the opcode (append and prepend only compare it).
    if (request.mode == StoreMode::kAdd || request.mode == StoreMode::kReplace) {
      request.mode = StoreMode::kSet;
    }
  }
  uint64_t cas = 0;
  switch (store_item(ctx, request, &cas)) {
    case StoreOutcome::kStored:
      if (!p.quiet) {
        respond(ctx, p, cas);
      }
      return;
    case StoreOutcome::kNotStored:
      // memcached: add on a present key -> EEXISTS; replace on a missing one -> ENOENT;
      // append/prepend on a missing one -> NOT_STORED.
      fail(ctx, p,
           request.mode == StoreMode::kAdd       ? MemcacheBinaryStatus::kKeyEexists
           : request.mode == StoreMode::kReplace ? MemcacheBinaryStatus::kKeyEnoent
                                                 : MemcacheBinaryStatus::kNotStored);
      return;
    case StoreOutcome::kExists:
      fail(ctx, p, MemcacheBinaryStatus::kKeyEexists);
      return;
    case StoreOutcome::kNotFound:
      fail(ctx, p, MemcacheBinaryStatus::kKeyEnoent);
      return;
  }
}

void bin_delete(CommandContext& ctx) {
  const MemcacheBinaryParams p = memcache_binary_params(ctx);
  core::KeyTable& t = table(ctx);
  const std::string_view key = ctx.args[kKeyArg];
  const uint64_t hash = ctx.hash(kKeyArg);
  core::ItemView item = t.find(key, hash, ctx.now_ms);
  ShardStats& stats = ctx.shard->stats();
  if (!item) {
    stats.count(MemcacheCounter::kDeleteMisses);
    fail(ctx, p, MemcacheBinaryStatus::kKeyEnoent);
    return;
  }
  if (p.cas != 0 && item.cas() != p.cas) {
    fail(ctx, p, MemcacheBinaryStatus::kKeyEexists);
    return;
  }
  t.erase(key, hash, ctx.now_ms);
  stats.count(MemcacheCounter::kDeleteHits);
  if (!p.quiet) {
    respond(ctx, p, 0);
  }
}

void bin_arith(CommandContext& ctx) {
  const MemcacheBinaryParams p = memcache_binary_params(ctx);
  const bool increment = p.command == MemcacheBinaryOpcode::kIncrement;
  ArithRequest request;
  request.increment = increment;
  request.delta = p.delta;
  if (p.cas != 0) {
    request.compare_cas = p.cas;
  }
  uint64_t result = 0;
  ArithOutcome outcome = arith_item(ctx, request, result);
  ShardStats& stats = ctx.shard->stats();
  const std::string_view key = ctx.args[kKeyArg];
  const uint64_t hash = ctx.hash(kKeyArg);
  if (outcome == ArithOutcome::kNotFound && p.exptime != protocol::kBinaryArithmeticNoCreate) {
    // A missing counter is created with the initial value (no delta applied).
    const Expiry expiry = to_expiry(exptime_of(p.exptime), ctx.now_ms);
    if (!expiry.expired) {
      store_number(table(ctx), key, hash, p.initial, expiry.at_ms, core::ItemMeta{0, 0, stored_now(ctx)});
    }
    result = p.initial;
    outcome = ArithOutcome::kDone;
  }
  switch (outcome) {
    case ArithOutcome::kNotFound:
      stats.count(increment ? MemcacheCounter::kIncrMisses : MemcacheCounter::kDecrMisses);
      fail(ctx, p, MemcacheBinaryStatus::kKeyEnoent);
      return;
    case ArithOutcome::kExists:
      fail(ctx, p, MemcacheBinaryStatus::kKeyEexists);
      return;
    case ArithOutcome::kNonNumeric:
      fail(ctx, p, MemcacheBinaryStatus::kDeltaBadval);
      return;
    case ArithOutcome::kDone:
      break;
  }
  stats.count(increment ? MemcacheCounter::kIncrHits : MemcacheCounter::kDecrHits);
  if (p.quiet) {
    return;
  }
  uint64_t cas = 0;
  if (core::ItemView item = table(ctx).find(key, hash, ctx.now_ms)) {
    cas = ensure_cas(ctx, key, hash, item).cas();
  }
  char counter[kCounterBytes];
  respond(ctx, p, cas, {}, {}, big_endian(result, counter));
}

void bin_flush(CommandContext& ctx) {
  const MemcacheBinaryParams p = memcache_binary_params(ctx);
  flush_keyspace(ctx, p.has_expiration_extra ? exptime_of(p.exptime) : 0);
  if (!p.quiet) {
    respond(ctx, p, 0);
  }
}

void bin_noop(CommandContext& ctx) { respond(ctx, memcache_binary_params(ctx), 0); }

void bin_version(CommandContext& ctx) { respond(ctx, memcache_binary_params(ctx), 0, {}, {}, kVersion); }

// One response per statistic (key = name, value = value) and an empty one to end.
void bin_stat(CommandContext& ctx) {
  const MemcacheBinaryParams p = memcache_binary_params(ctx);
  const std::string_view group = ctx.args.size() > kKeyArg ? ctx.args[kKeyArg] : std::string_view();
  const MemcacheStats answer = ctx.server->memcache_stats(group);
  if (answer.kind == MemcacheStats::Kind::kUnknownGroup) {
    fail(ctx, p, MemcacheBinaryStatus::kKeyEnoent);  // memcached: an unknown group is "Not found"
    return;
  }
  for (const auto& [name, value] : answer.stats) {
    respond(ctx, p, 0, {}, name, value);
  }
  respond(ctx, p, 0);
}

constexpr int kKey = static_cast<int>(kKeyArg);
constexpr CommandSpec kGetSpec = memcache_command_spec("bin:get", Routing::kKey, Join::kNone, kKey, bin_get);
constexpr CommandSpec kStoreSpec = memcache_command_spec("bin:store", Routing::kKey, Join::kNone, kKey, bin_store);
constexpr CommandSpec kDeleteSpec = memcache_command_spec("bin:delete", Routing::kKey, Join::kNone, kKey, bin_delete);
constexpr CommandSpec kArithSpec = memcache_command_spec("bin:arith", Routing::kKey, Join::kNone, kKey, bin_arith);
constexpr CommandSpec kFlushSpec =
    memcache_command_spec("bin:flush", Routing::kAllShards, Join::kFirstPart, 0, bin_flush);
constexpr CommandSpec kNoopSpec = memcache_command_spec("bin:noop", Routing::kLocal, Join::kNone, 0, bin_noop);
constexpr CommandSpec kVersionSpec =
    memcache_command_spec("bin:version", Routing::kLocal, Join::kNone, 0, bin_version);
constexpr CommandSpec kStatSpec = memcache_command_spec("bin:stat", Routing::kLocal, Join::kNone, 0, bin_stat,
                                                            kAfterEarlierCommands);

const CommandSpec* spec_for(MemcacheBinaryOpcode command) {
  switch (command) {
    case MemcacheBinaryOpcode::kGet:
    case MemcacheBinaryOpcode::kGetK:
    case MemcacheBinaryOpcode::kTouch:
    case MemcacheBinaryOpcode::kGat:
    case MemcacheBinaryOpcode::kGatK:
      return &kGetSpec;
    case MemcacheBinaryOpcode::kSet:
    case MemcacheBinaryOpcode::kAdd:
    case MemcacheBinaryOpcode::kReplace:
    case MemcacheBinaryOpcode::kAppend:
    case MemcacheBinaryOpcode::kPrepend:
      return &kStoreSpec;
    case MemcacheBinaryOpcode::kDelete: return &kDeleteSpec;
    case MemcacheBinaryOpcode::kIncrement:
    case MemcacheBinaryOpcode::kDecrement:
      return &kArithSpec;
    case MemcacheBinaryOpcode::kFlush: return &kFlushSpec;
    case MemcacheBinaryOpcode::kNoop: return &kNoopSpec;
    case MemcacheBinaryOpcode::kVersion: return &kVersionSpec;
    case MemcacheBinaryOpcode::kStat: return &kStatSpec;
    default: return nullptr;  // QUIT; the parser rejected everything else
  }
}

}  // namespace

const CommandSpec* prepare_memcache_binary_command(const protocol::MemcacheBinaryRequest& request,
                                                   std::string& params_storage,
                                                   std::vector<std::string_view>& args) {
  const CommandSpec* spec = spec_for(request.command);
  if (spec == nullptr) {
    return nullptr;
  }
  MemcacheBinaryParams p;
  p.opcode = request.opcode;
  p.command = request.command;
  p.quiet = request.quiet;
  p.value_too_large = request.value_too_large;
  p.has_expiration_extra = request.has_expiration_extra;
  p.opaque = request.opaque;
  p.cas = request.cas;
  p.client_flags = request.flags;
  p.exptime = request.exptime;
  p.delta = request.delta;
  p.initial = request.initial;
  params_storage.resize(sizeof p);
  std::memcpy(params_storage.data(), &p, sizeof p);
  args.clear();
  args.push_back(spec->name);
  args.push_back(params_storage);
  if (spec->routing == Routing::kKey || !request.key.empty()) {
    args.push_back(request.key);
  }
  if (spec == &kStoreSpec) {
    args.push_back(request.value);
  }
  return spec;
}

MemcacheBinaryParams memcache_binary_params(const CommandContext& ctx) {
  MemcacheBinaryParams p;
  std::memcpy(&p, ctx.args[kMemcacheParamsArg].data(), sizeof p);
  return p;
}

}  // namespace tessera::engine
