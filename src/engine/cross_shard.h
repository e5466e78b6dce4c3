// Cross-shard atomic commands: the two phases each shard runs for a command whose keys live
// on several shards (the runtime's ticket protocol, runtime/transaction.h, orders them):
//   prepare  every involved shard, as it reaches the ticket: read what the decision needs
//            into the shared CrossShardState (e.g. "does one of my keys exist?");
//   apply    every involved shard, once all have prepared: act on the shared decision and
//            write this part's reply (all parts of these commands reply the same value).
// A shard blocks its other commands from prepare until its apply, so no client observes a
// half-applied command. Commands without a prepare step (MSET, MGET, DEL ...) just run their
// handler as the apply step.
//
// Thread safety: prepare writes only fields owned by its part's keys (or the atomic flag);
// the runtime's barrier (an acq_rel counter) orders every prepare before every apply.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "engine/command.h"

namespace tessera::engine {

struct CrossShardState {
  std::atomic<bool> any_exists{false};  // MSETNX keys / RENAMENX destination
  // RENAME/RENAMENX source, captured by the shard that owns it.
  bool source_found = false;
  bool source_is_int = false;
  int64_t source_int = 0;
  std::string source_raw;
  int64_t source_expire = 0;
};

// MSETNX across shards.
void msetnx_prepare(CommandContext& ctx);
void msetnx_apply(CommandContext& ctx);
// RENAME / RENAMENX across shards: a part holds either the source (key position 0) or the
// destination (key position 1).
void rename_prepare(CommandContext& ctx);
void rename_apply(CommandContext& ctx);
void renamenx_prepare(CommandContext& ctx);
void renamenx_apply(CommandContext& ctx);

}  // namespace tessera::engine
