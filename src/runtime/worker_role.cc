// Worker role of a StageThread: runs the commands of a batch against the thread's Shard, in
// arrival order, and appends each protocol-neutral reply to the batch bound for the
// command's replier. No locks: the shard belongs to this thread alone.
#include "engine/command.h"
#include "runtime/connection.h"
#include "runtime/runtime.h"
#include "runtime/stage_thread.h"

namespace tessera::runtime {

void StageThread::run_commands(CommandBatch& batch) {
  for (const CommandRecord& rec : batch.commands) {
    ReplyBatch& out = reply_batch_for(rec.conn->replier_index);
    const size_t begin = out.model.size();
    protocol::ReplyWriter writer(out.model);
    engine::CommandContext ctx{std::span<const std::string_view>(batch.args.data() + rec.args_begin, rec.argc),
                               writer,
                               now_ms_,
                               rec.db,
                               shard_.get(),
                               nullptr,
                               nullptr,
                               batch.hashes.data() + rec.args_begin};
    rec.spec->handler(ctx);
    PartInfo part = rec.part;
    if (part.positions_count > 0) {
      const uint32_t from = part.positions_begin;
      part.positions_begin = static_cast<uint32_t>(out.positions.size());
      out.positions.insert(out.positions.end(), batch.positions.begin() + from,
                           batch.positions.begin() + from + part.positions_count);
    }
    out.replies.push_back(ReplyRecord{rec.conn, rec.seq, begin, out.model.size(), rec.resp, false, part});
  }
  // INFO reads these; once per millisecond keeps them fresh without a cost per batch.
  if (now_ms_ != gauges_published_ms_) {
    gauges_published_ms_ = now_ms_;
    publish_gauges();
  }
}

void StageThread::publish_gauges() {
  ShardGauges& g = runtime_.gauges(shard_->id());
  int64_t memory = 0;
  for (int db = 0; db < engine::kDatabases; ++db) {
    core::KeyTable* table = shard_->db_if_exists(db);
    if (table == nullptr && g.keys[db].load(std::memory_order_relaxed) == 0) {
      continue;
    }
    int64_t keys = table ? static_cast<int64_t>(table->size()) : 0;
    int64_t expires = table ? static_cast<int64_t>(table->keys_with_expiry()) : 0;
    memory += table ? static_cast<int64_t>(table->memory_bytes()) : 0;
    g.keys[db].store(keys, std::memory_order_relaxed);
    g.expires[db].store(expires, std::memory_order_relaxed);
  }
  g.memory_bytes.store(memory, std::memory_order_relaxed);
  const auto& stats = shard_->stats();
  g.expired_keys.store(stats.expired_keys, std::memory_order_relaxed);
  g.keyspace_hits.store(stats.keyspace_hits, std::memory_order_relaxed);
  g.keyspace_misses.store(stats.keyspace_misses, std::memory_order_relaxed);
}

}  // namespace tessera::runtime
