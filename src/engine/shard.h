// Shard: everything one data worker owns: the 16 databases (SELECT 0-15) of its slice of
// the keyspace, and its counters. Keys are assigned to shards by xxh3(key) % shard_count.
//
// Thread safety: owned by exactly one data worker thread; no locks, no atomics. Counters are
// read by other threads only through commands routed to this shard (INFO fans out).
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "core/key_table.h"
#include "engine/memcache_counters.h"
#include "engine/table_registry.h"

namespace tessera::engine {

inline constexpr int kDatabases = 16;

struct ShardStats {
  uint64_t keyspace_hits = 0;
  uint64_t keyspace_misses = 0;
  uint64_t expired_keys = 0;
  MemcacheCounters memcache{};  // memcached `stats` counters

  void count(MemcacheCounter counter) { ++memcache[static_cast<size_t>(counter)]; }
};

// What a shard may learn of the others: whether one may hold keys of a database, from the
// key counts each worker publishes after its passes (the runtime implements it). A shard
// that may hold keys is reported as such; one reported empty held none when it last
// published, which it does before the replies of that pass leave.
class ShardDirectory {
 public:
  virtual ~ShardDirectory() = default;
  virtual bool may_hold_keys(uint32_t shard, int db) const = 0;
};

class Shard {
 public:
  Shard(uint32_t id, uint32_t count, const ShardDirectory* directory = nullptr)
      : id_(id), count_(count), directory_(directory) {}
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  uint32_t id() const { return id_; }
  uint32_t count() const { return count_; }

  // REQUIRES: 0 <= index < kDatabases. Created on first use.
  core::KeyTable& db(int index) {
    auto& slot = dbs_[static_cast<size_t>(index)];
    if (!slot) {
      slot = std::make_unique<core::KeyTable>();
    }
    return *slot;
  }
  // Null if the database was never used on this shard.
  core::KeyTable* db_if_exists(int index) { return dbs_[static_cast<size_t>(index)].get(); }

  // The first shard after this one that may hold keys of `db`, or count() if none does.
  // Without a directory every shard may.
  uint32_t next_shard_with_keys(int db) const {
    uint32_t next = id_ + 1;
    while (directory_ != nullptr && next < count_ && !directory_->may_hold_keys(next, db)) {
      ++next;
    }
    return next;
  }

  ShardStats& stats() { return stats_; }

  // This shard's partitions of the TABLE.* tables (server-wide, not per database).
  TableRegistry& tables() { return tables_; }

  // One step of the active expiry cycle over every database: examines at most
  // `max_slots` index slots in total. Returns keys deleted.
  size_t expire_step(int64_t now_ms, size_t max_slots);

  // memcached `flush_all <delay>`: database 0 (the memcached keyspace) is cleared once the
  // time comes; a later schedule replaces an earlier one. kNoExpiry cancels. The worker
  // calls run_due_flush before each pass over its commands (one comparison), so no
  // command, Redis or memcached, sees an item stored before the deadline after it.
  void schedule_flush(int64_t at_ms) { flush_at_ms_ = at_ms; }
  void run_due_flush(int64_t now_ms) {
    if (flush_at_ms_ != core::kNoExpiry && now_ms >= flush_at_ms_) {
      flush_at_ms_ = core::kNoExpiry;
      if (core::KeyTable* table = db_if_exists(0)) {
        table->clear();
      }
    }
  }

 private:
  uint32_t id_;
  uint32_t count_;
  const ShardDirectory* directory_;
  std::array<std::unique_ptr<core::KeyTable>, kDatabases> dbs_;
  ShardStats stats_;
  TableRegistry tables_;
  int expire_db_cursor_ = 0;
  int64_t flush_at_ms_ = core::kNoExpiry;
};

}  // namespace tessera::engine
