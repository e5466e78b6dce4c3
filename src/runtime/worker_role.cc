// Worker role of a StageThread: runs the commands queued from each source thread against
// the thread's Shard, in arrival order per source, and appends each protocol-neutral reply
// to the batch bound for the command's replier. No locks: the shard belongs to this thread.
// Parts of multi-shard commands follow the ticket protocol of transaction.h.
#include "engine/command.h"
#include "engine/table_registry.h"
#include "runtime/connection.h"
#include "runtime/cycle_clock.h"
#include "runtime/runtime.h"
#include "runtime/stage_thread.h"

namespace tessera::runtime {

// Pipelined batches: while one command runs, the index group of the key kPrefetchDistance
// commands ahead is loaded, and the item of the key half as far ahead (whose group is in
// cache by then). This hides most of the three cache misses of a random-key lookup.
void StageThread::prefetch_ahead(const CommandBatch& batch, size_t cursor) {
  auto key_of = [&](size_t index, core::KeyTable*& table) -> uint64_t {
    table = nullptr;
    if (index >= batch.commands.size()) {
      return 0;
    }
    const CommandRecord& rec = batch.commands[index];
    // A one-key command, or a multi-key one with fixed key positions (MGET, memcached get;
    // a split part keeps them): its first key.
    const bool fixed_keys = rec.spec->routing == engine::Routing::kKey ||
                            (rec.spec->routing == engine::Routing::kMultiKey && rec.spec->find_keys == nullptr);
    // A command may carry no key at all (memcached's `gat 10`).
    if (!fixed_keys || static_cast<uint32_t>(rec.spec->first_key) >= rec.argc) {
      return 0;
    }
    table = shard_->db_if_exists(rec.db);
    return batch.hashes[rec.args_begin + static_cast<uint32_t>(rec.spec->first_key)];
  };
  core::KeyTable* table;
  if (cursor == 0) {
    // A new batch: nothing prefetched its first commands. Start all their groups, then the
    // items of the first half: that waits for one group's miss while the others load in
    // parallel, instead of a miss per command.
    for (size_t i = 0; i < kPrefetchDistance; ++i) {
      if (uint64_t h = key_of(i, table); table) {
        table->prefetch(h);
      }
    }
    for (size_t i = 0; i < kPrefetchDistance / 2; ++i) {
      if (uint64_t h = key_of(i, table); table) {
        table->prefetch_item(h);
      }
    }
  }
  if (uint64_t h = key_of(cursor + kPrefetchDistance, table); table) {
    table->prefetch(h);
  }
  // The item stage reads the group, prefetched kPrefetchDistance / 2 commands ago.
  if (uint64_t h = key_of(cursor + kPrefetchDistance / 2, table); table) {
    table->prefetch_item(h);
  }
}

bool StageThread::run_worker() {
  bool ran = false;
  // A delayed memcached flush_all takes effect before any command of this pass reads.
  shard_->run_due_flush(now_ms_);
  clock_mark_ = CycleClock::now();  // each command's time runs from the previous one's end
  if (active_source_ >= 0) {
    if (!finish_ticket()) {
      return false;  // arrived at a ticket: nothing else may run until its barrier opens
    }
    ran = true;
  }
  for (uint32_t source = 0; source < inboxes_.size(); ++source) {
    WorkerInbox& inbox = inboxes_[source];
    while (!inbox.batches.empty()) {
      CommandBatch& batch = *inbox.batches.front();
      bool stalled = false;
      while (inbox.cursor < batch.commands.size()) {
        const CommandRecord& rec = batch.commands[inbox.cursor];
        if (rec.txn != nullptr) {
          if (!start_ticket(source)) {
            stalled = true;  // not this ticket's turn: hold this source back
            break;
          }
          ran = true;
          if (active_source_ >= 0) {
            return ran;  // waiting at the barrier
          }
          continue;  // start_ticket finished it and advanced the cursor
        }
        prefetch_ahead(batch, inbox.cursor);
        run_record(batch, rec, rec.spec->handler, nullptr);
        ++inbox.cursor;
        ran = true;
      }
      if (stalled) {
        break;
      }
      command_pool_.release(inbox.batches.front());
      inbox.batches.pop_front();
      inbox.cursor = 0;
    }
  }
  return ran;
}

void StageThread::run_record(const CommandBatch& batch, const CommandRecord& rec, engine::CommandHandler handler,
                             engine::CrossShardState* cross) {
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
  ctx.cross = cross;
  ctx.key_positions = std::span<const uint32_t>(batch.positions.data() + rec.part.positions_begin,
                                                rec.part.positions_count);
  handler(ctx);
  // One clock read per command: its time includes the prefetch and bookkeeping before it.
  const uint64_t end = CycleClock::now();
  const bool prepare_step = cross != nullptr && handler == rec.spec->cross_prepare;
  // The parts of a split command reply alike or are joined into one reply, and a ticketed
  // part's apply step writes it: part 0's reply step stands for the call. Every step's
  // time counts.
  count_step(rec.spec->stat_slot, !prepare_step && rec.part.index == 0, out.model, begin,
             end - clock_mark_);
  clock_mark_ = end;
  if (out.model.size() == begin && prepare_step) {
    return;  // a prepare step writes no reply
  }
  PartInfo part = rec.part;
  if (part.positions_count > 0) {
    const uint32_t from = part.positions_begin;
    part.positions_begin = static_cast<uint32_t>(out.positions.size());
    out.positions.insert(out.positions.end(), batch.positions.begin() + from,
                         batch.positions.begin() + from + part.positions_count);
  }
  out.replies.push_back(ReplyRecord{rec.conn, rec.seq, begin, out.model.size(), rec.format, false, part});
}

void StageThread::count_step(int stat_slot, bool whole_call, const protocol::ReplyBuffer& model, size_t begin,
                             uint64_t ticks) {
  if (stat_slot < 0) {
    return;  // a memcached command: memcached's stats count those
  }
  const auto slot = static_cast<size_t>(stat_slot);
  if (!whole_call) {
    command_stats_.add_ticks(slot, ticks);
    return;
  }
  const bool failed = model.size() > begin && model.data()[begin] == static_cast<char>(protocol::ReplyTag::kError);
  command_stats_.executed(slot, ticks, failed);
  if (failed) {
    command_stats_.error_reply(protocol::ReplyReader(model.view(begin, model.size())).next().str);
  }
}

bool StageThread::start_ticket(uint32_t source) {
  WorkerInbox& inbox = inboxes_[source];
  const CommandBatch& batch = *inbox.batches.front();
  const CommandRecord& rec = batch.commands[inbox.cursor];
  Transaction* txn = rec.txn;
  if (runtime_.tickets().completed.load(std::memory_order_acquire) != txn->ticket) {
    return false;
  }
  if (rec.spec->cross_prepare != nullptr) {
    run_record(batch, rec, rec.spec->cross_prepare, &txn->state);
  }
  active_source_ = static_cast<int>(source);
  if (txn->arrived.fetch_add(1, std::memory_order_acq_rel) + 1 == txn->parts) {
    for (uint32_t thread : txn->worker_threads) {
      if (thread != index_) {
        runtime_.thread(thread).doorbell().ring_if_parked();
      }
    }
  }
  finish_ticket();
  return true;
}

bool StageThread::finish_ticket() {
  WorkerInbox& inbox = inboxes_[static_cast<size_t>(active_source_)];
  const CommandBatch& batch = *inbox.batches.front();
  const CommandRecord& rec = batch.commands[inbox.cursor];
  Transaction* txn = rec.txn;
  if (txn->arrived.load(std::memory_order_acquire) < txn->parts) {
    return false;
  }
  engine::CommandHandler apply = rec.spec->cross_apply ? rec.spec->cross_apply : rec.spec->handler;
  run_record(batch, rec, apply, &txn->state);
  active_source_ = -1;
  ++inbox.cursor;
  // Read before applying: once another part's increment makes it the last, it frees txn.
  const uint32_t parts = txn->parts;
  const uint64_t ticket = txn->ticket;
  if (txn->applied.fetch_add(1, std::memory_order_acq_rel) + 1 == parts) {
    runtime_.tickets().completed.store(ticket + 1, std::memory_order_release);
    delete txn;
    runtime_.wake_workers();
  }
  return true;
}

bool StageThread::worker_can_progress() const {
  if (active_source_ >= 0) {
    const WorkerInbox& inbox = inboxes_[static_cast<size_t>(active_source_)];
    const Transaction* txn = inbox.batches.front()->commands[inbox.cursor].txn;
    return txn->arrived.load(std::memory_order_seq_cst) >= txn->parts;
  }
  const uint64_t completed = runtime_.tickets().completed.load(std::memory_order_seq_cst);
  for (const WorkerInbox& inbox : inboxes_) {
    if (!inbox.batches.empty()) {
      const Transaction* txn = inbox.batches.front()->commands[inbox.cursor].txn;
      if (txn == nullptr || txn->ticket == completed) {
        return true;
      }
    }
  }
  return false;
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
  shard_->tables().for_each([&](std::string_view, engine::Table& table) {
    memory += static_cast<int64_t>(table.rows.memory_bytes());
  });
  g.memory_bytes.store(memory, std::memory_order_relaxed);
  const auto& stats = shard_->stats();
  g.expired_keys.store(stats.expired_keys, std::memory_order_relaxed);
  g.keyspace_hits.store(stats.keyspace_hits, std::memory_order_relaxed);
  g.keyspace_misses.store(stats.keyspace_misses, std::memory_order_relaxed);
  for (size_t i = 0; i < engine::kMemcacheCounterCount; ++i) {
    g.memcache[i].store(stats.memcache[i], std::memory_order_relaxed);
  }
}

}  // namespace tessera::runtime
