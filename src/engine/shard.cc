// Shard's active expiry cycle (the rest of Shard is inline in shard.h). Called by the
// owning data worker from its timer, hz times a second (config `hz`).
//
// Cost bound: one expire_step examines at most `max_slots` index slots in total across all
// databases, plus one item read per occupied slot (KeyTable::expire_step). The budget is
// split evenly over the databases that have keys with an expiry; the database cursor moves
// round-robin so that a budget smaller than the number of such databases still reaches
// every one of them over successive steps.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "engine/shard.h"

namespace tessera::engine {

size_t Shard::expire_step(int64_t now_ms, size_t max_slots) {
  size_t with_expiry = 0;
  for (const auto& table : dbs_) {
    if (table && table->keys_with_expiry() != 0) {
      ++with_expiry;
    }
  }
  if (with_expiry == 0 || max_slots == 0) {
    return 0;
  }
  const size_t share = std::max<size_t>(max_slots / with_expiry, 1);
  size_t budget = max_slots;
  size_t deleted = 0;
  int next_cursor = expire_db_cursor_;
  for (int i = 0; i < kDatabases && budget != 0; ++i) {
    const int index = (expire_db_cursor_ + i) % kDatabases;
    core::KeyTable* table = dbs_[static_cast<size_t>(index)].get();
    if (table == nullptr || table->keys_with_expiry() == 0) {
      continue;
    }
    const size_t slots = std::min(share, budget);
    deleted += table->expire_step(now_ms, slots);
    budget -= slots;
    next_cursor = (index + 1) % kDatabases;
  }
  expire_db_cursor_ = next_cursor;
  stats_.expired_keys += deleted;
  return deleted;
}

}  // namespace tessera::engine
