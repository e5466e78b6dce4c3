// Parser role of a StageThread: owns the read side of its connections. Receives bytes,
// parses RESP, numbers every command with its connection's next sequence number, and routes
// it: to the worker owning its key (batched per worker per iteration), split across workers
// for multi-key commands, or run right here for connection and server commands.
//
// Flow control: a connection with client-max-inflight-commands unanswered commands stops
// being read until its replier reports progress (resume_read). Stream order for commands
// that read what workers publish (kAfterEarlierCommands: INFO, CONFIG, memcached stats): one
// parsed while earlier commands are unanswered is held, and parsing stops behind it, until
// their replies are done; then it runs here and parsing goes on.
#include <sys/socket.h>

#include <fmt/format.h>

#include "engine/command.h"
#include "engine/errors.h"
#include "engine/scan_cursor.h"
#include "engine/server_view.h"
#include "engine/string_util.h"
#include "runtime/connection.h"
#include "runtime/cycle_clock.h"
#include "runtime/runtime.h"
#include "runtime/stage_thread.h"
#include "runtime/socket_address.h"

namespace tessera::runtime {
namespace {

constexpr size_t kUnknownCommandArgsBudget = 128;

using engine::as_c_string;

std::string unknown_command_error(std::span<const std::string_view> args) {
  std::string listed;
  for (size_t i = 1; i < args.size() && listed.size() < kUnknownCommandArgsBudget; ++i) {
    size_t room = kUnknownCommandArgsBudget - listed.size();
    listed += fmt::format("'{}' ", as_c_string(args[i]).substr(0, room));
  }
  // Newlines in the echoed text become spaces in ReplyWriter::error, as in Redis's
  // rejectCommandFormat.
  return fmt::format("ERR unknown command '{}', with args beginning with: {}",
                     as_c_string(args[0]).substr(0, kUnknownCommandArgsBudget), listed);
}

// Redis 7.0's processCommand: a container command with a subcommand it does not know.
std::string unknown_subcommand_error(std::span<const std::string_view> args, std::string_view container) {
  return fmt::format("ERR unknown subcommand '{}'. Try {} HELP.",
                     as_c_string(args[1]).substr(0, kUnknownCommandArgsBudget), engine::ascii_uppercase(container));
}

}  // namespace

void StageThread::adopt_connection(Connection* conn) {
  auto& session = conn->session;
  session.client_id = conn->id;
  session.created_ms = now_ms_;
  session.peer = peer_address(conn->fd);
  session.local = local_address(conn->fd);
  protocol::RespLimits limits;
  limits.proto_max_bulk_len = runtime_.limits().proto_max_bulk_len.load(std::memory_order_relaxed);
  conn->parser = protocol::RespParser(limits);
  if (conn->protocol != ClientProtocol::kResp) {
    protocol::MemcacheLimits memcache_limits;
    memcache_limits.item_size_max =
        static_cast<size_t>(runtime_.limits().item_size_max.load(std::memory_order_relaxed));
    conn->memcache_parser = std::make_unique<protocol::MemcacheParser>(memcache_limits);
  }
  conn->last_interaction_ms.store(now_ms_, std::memory_order_relaxed);
  runtime_.registry().add(conn, session);
  parser_connections_.insert(conn);
  if (runtime_.stopping()) {
    end_read_side(conn);
    return;
  }
  backend_->enable_read(conn);
}

void StageThread::on_recv(Connection* conn, long n) {
  if (conn->read_closed) {
    return;
  }
  if (conn->read_ending) {
    // A multishot receive may still deliver after the read side ended: finish once the
    // backend no longer owns a receive for this connection.
    if (!backend_->read_busy(conn)) {
      finish_read_side(conn);
    }
    return;
  }
  if (n <= 0) {
    end_read_side(conn);
    return;
  }
  runtime_.counters().net_input_bytes.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
  if (conn->recv_transform && !conn->recv_transform->decode(conn->wire_in, conn->in)) {
    end_read_side(conn);
    return;
  }
  parse_input(conn);
}

void StageThread::parse_input(Connection* conn) {
  const auto& limits = runtime_.limits();
  const int64_t max_inflight = limits.max_inflight_commands.load(std::memory_order_relaxed);
  // CONFIG SET proto-max-bulk-len reaches connections that were already open.
  if (const int64_t max_bulk = limits.proto_max_bulk_len.load(std::memory_order_relaxed);
      max_bulk != conn->parser.limits().proto_max_bulk_len) {
    conn->parser.set_proto_max_bulk_len(max_bulk);
  }
  for (;;) {
    if (conn->kill_requested.load(std::memory_order_relaxed)) {
      end_read_side(conn);
      return;
    }
    if (conn->held && !run_held_when_ready(conn)) {
      return;
    }
    const auto too_many_inflight = [&] {
      return static_cast<int64_t>(conn->next_seq - conn->replies_done.load(std::memory_order_seq_cst)) >=
             max_inflight;
    };
    if (too_many_inflight() && pause_reading(conn, 0, too_many_inflight)) {
      return;
    }
    std::string_view input = conn->in.readable();
    if (input.empty()) {
      break;
    }
    const ParseStep step = conn->protocol == ClientProtocol::kResp ? parse_resp_command(conn, input)
                                                                    : parse_memcache_command(conn, input);
    if (conn->read_ending || conn->read_closed) {
      return;
    }
    if (step == ParseStep::kNeedMore) {
      if (static_cast<int64_t>(conn->in.size()) > limits.client_query_buffer_limit.load(std::memory_order_relaxed)) {
        // Redis closes such a client without a reply.
        runtime_.counters().query_limit_disconnections.fetch_add(1, std::memory_order_relaxed);
        end_read_side(conn);
        return;
      }
      break;
    }
  }
  conn->in.release_if_idle();  // kept while a single-shot receive borrows its tail
  conn->wire_in.release_if_idle();
  conn->qbuf_bytes.store(conn->in.size(), std::memory_order_relaxed);
  conn->last_interaction_ms.store(now_ms_, std::memory_order_relaxed);
  backend_->enable_read(conn);
}

StageThread::ParseStep StageThread::parse_resp_command(Connection* conn, std::string_view input) {
  auto result = conn->parser.parse(input, args_scratch_);
  if (result.status == protocol::ParseStatus::kNeedMore) {
    return ParseStep::kNeedMore;
  }
  if (result.status == protocol::ParseStatus::kError) {
    reply_error(conn, conn->next_seq++, result.error);
    end_read_side(conn);
    return ParseStep::kParsed;
  }
  if (!args_scratch_.empty()) {
    dispatch(conn, args_scratch_);
  }
  conn->in.consume(result.consumed);
  return ParseStep::kParsed;
}

void StageThread::reply_now(Connection* conn, uint64_t seq, std::string_view error) {
  ReplyBatch& batch = reply_batch_for(conn->replier_index);
  size_t begin = batch.model.size();
  protocol::ReplyWriter(batch.model).error(error);
  batch.replies.push_back(
      ReplyRecord{conn, seq, begin, batch.model.size(), conn->reply_format(), false, PartInfo{}});
}

void StageThread::reply_error(Connection* conn, uint64_t seq, std::string_view error) {
  command_stats_.error_reply(error);
  reply_now(conn, seq, error);
}

void StageThread::fail_on_parser(Connection* conn, uint64_t seq, const engine::CommandSpec& spec,
                                 std::string_view error) {
  command_stats_.executed(static_cast<size_t>(spec.stat_slot), 0, true);
  reply_error(conn, seq, error);
}

void StageThread::dispatch(Connection* conn, std::vector<std::string_view>& args) {
  const uint64_t seq = conn->next_seq++;
  const engine::CommandSpec* spec = engine::find_command(args[0]);
  if (spec == nullptr) {
    conn->last_command.store(-1, std::memory_order_relaxed);
    reply_error(conn, seq, unknown_command_error(args));
    return;
  }
  // As Redis's lookupCommand: a container command followed by an argument names a
  // subcommand, and that is the command (CLIENT LIST's cmd=, commandstats' line, arity).
  const bool names_subcommand = !spec->subcommands.empty() && args.size() > 1;
  const int sub = names_subcommand ? engine::find_subcommand(*spec, args[1]) : -1;
  const int slot = !names_subcommand ? spec->stat_slot
                   : sub < 0         ? -1
                                     : engine::subcommand_stat_slot(*spec, static_cast<size_t>(sub));
  conn->last_command.store(slot, std::memory_order_relaxed);
  if (slot < 0) {
    reply_error(conn, seq, unknown_subcommand_error(args, spec->name));  // no command to count it under
    return;
  }
  const int arity = names_subcommand ? spec->subcommands[static_cast<size_t>(sub)].arity : spec->arity;
  if (!engine::arity_ok(arity, args.size())) {
    // Refused before running: Redis counts it as rejected, not as a call.
    command_stats_.rejected(static_cast<size_t>(slot));
    reply_error(conn, seq,
                names_subcommand ? engine::err::subcommand_arity(spec->name, args[1])
                                 : fmt::format("ERR wrong number of arguments for '{}' command", spec->name));
    return;
  }
  if (spec->rewrite_args != nullptr) {
    thread_local std::vector<std::string_view> rewritten;
    rewritten.clear();
    std::string error = spec->rewrite_args(args, rewritten);
    if (!error.empty()) {
      fail_on_parser(conn, seq, *spec, error);
      return;
    }
    if (!rewritten.empty()) {
      route_command(conn, seq, *spec, rewritten);  // the views point into args: still valid
      return;
    }
  }
  route_command(conn, seq, *spec, args);
}

void StageThread::route_command(Connection* conn, uint64_t seq, const engine::CommandSpec& command,
                                std::span<const std::string_view> args) {
  const engine::CommandSpec* spec = &command;
  const uint32_t workers = runtime_.topology().workers;
  switch (spec->routing) {
    case engine::Routing::kLocal:
    case engine::Routing::kConnection:
      // replies_done == seq: every earlier command of the connection is answered.
      if ((spec->flags & engine::kAfterEarlierCommands) != 0 &&
          conn->replies_done.load(std::memory_order_acquire) != seq) {
        hold_command(conn, seq, *spec, args);
        return;
      }
      run_on_parser(conn, seq, *spec, args);
      return;
    case engine::Routing::kKey:
    case engine::Routing::kCursor: {
      uint32_t worker = 0;
      uint64_t key_hash = 0;
      if (spec->routing == engine::Routing::kKey) {
        key_hash = core::hash_key(args[static_cast<size_t>(spec->first_key)]);
        worker = static_cast<uint32_t>(key_hash % workers);
      } else {
        // An invalid cursor goes to worker 0, whose handler replies the error.
        const uint64_t cursor = engine::parse_cursor(args[static_cast<size_t>(spec->cursor_arg)]).value_or(0);
        worker = static_cast<uint32_t>((cursor & engine::kCursorShardMask) % workers);
      }
      const size_t key_index =
          spec->routing == engine::Routing::kKey ? static_cast<size_t>(spec->first_key) : kNoKeyIndex;
      enqueue_whole(worker, conn, seq, *spec, args, PartInfo{}, key_index, key_hash);
      return;
    }
    case engine::Routing::kMultiKey:
      route_multi_key(conn, seq, *spec, args);
      return;
    case engine::Routing::kAllShards:
      for (uint32_t w = 0; w < workers; ++w) {
        PartInfo part;
        part.count = static_cast<uint16_t>(workers);
        part.index = static_cast<uint16_t>(w);
        part.join = spec->join;
        enqueue_whole(w, conn, seq, *spec, args, part);
      }
      return;
  }
}

void StageThread::enqueue_whole(uint32_t worker, Connection* conn, uint64_t seq, const engine::CommandSpec& spec,
                                std::span<const std::string_view> args, PartInfo part, size_t key_index,
                                uint64_t key_hash) {
  CommandBatch& batch = command_batch_for(worker);
  const uint32_t begin = static_cast<uint32_t>(batch.spans.size());
  for (size_t i = 0; i < args.size(); ++i) {
    batch.add_arg(args[i], i == key_index ? key_hash : 0);
  }
  batch.commands.push_back(CommandRecord{conn, seq, &spec, begin, static_cast<uint32_t>(args.size()),
                                         static_cast<int16_t>(conn->session.db), conn->reply_format(), part});
}

void StageThread::route_multi_key(Connection* conn, uint64_t seq, const engine::CommandSpec& spec,
                                  std::span<const std::string_view> args) {
  const uint32_t workers = runtime_.topology().workers;
  const size_t argc = args.size();
  const engine::KeySpan span = engine::key_span(spec, args);
  if (span.empty()) {
    // No keys (or a malformed command the handler will reject): run unsplit on worker 0.
    enqueue_whole(0, conn, seq, spec, args, PartInfo{});
    return;
  }
  const size_t first = span.first;
  const size_t last = span.last;
  const size_t step = span.step;
  const bool pairs = (spec.flags & engine::kKeyValuePairs) != 0;
  if (pairs && (argc - first) % 2 != 0) {
    // Found by the command itself in Redis (MSET's own check): a failed call.
    fail_on_parser(conn, seq, spec, fmt::format("ERR wrong number of arguments for '{}' command", spec.name));
    return;
  }
  // Shard of every key, in key order.
  thread_local std::vector<uint32_t> key_worker;
  thread_local std::vector<uint64_t> key_hash;
  key_worker.clear();
  key_hash.clear();
  bool single = true;
  for (size_t i = first; i <= last && i < argc; i += step) {
    uint64_t h = core::hash_key(args[i]);
    key_hash.push_back(h);
    // No division per key on one worker (a TABLE.MGET carries a thousand keys).
    key_worker.push_back(workers == 1 ? 0 : static_cast<uint32_t>(h % workers));
    single = single && key_worker.back() == key_worker.front();
  }
  const uint32_t total_keys = static_cast<uint32_t>(key_worker.size());
  if (single) {
    CommandBatch& batch = command_batch_for(key_worker.empty() ? 0 : key_worker.front());
    uint32_t begin = static_cast<uint32_t>(batch.spans.size());
    size_t k = 0;
    size_t next_key = first;  // the keys are args first, first + step, ... up to last
    for (size_t i = 0; i < argc; ++i) {
      bool is_key = i == next_key && i <= last;
      next_key += is_key ? step : 0;
      batch.add_arg(args[i], is_key ? key_hash[k++] : 0);
    }
    batch.commands.push_back(CommandRecord{conn, seq, &spec, begin, static_cast<uint32_t>(argc),
                                           static_cast<int16_t>(conn->session.db), conn->reply_format(), PartInfo{}});
    return;
  }
  // Several shards: one part per shard, all under one ticket so the command is atomic
  // (transaction.h).
  uint16_t part_count = 0;
  thread_local std::vector<int32_t> part_of_worker;
  part_of_worker.assign(workers, -1);
  for (uint32_t w : key_worker) {
    if (part_of_worker[w] < 0) {
      part_of_worker[w] = part_count++;
    }
  }
  auto* txn = new Transaction(runtime_.tickets().next.fetch_add(1, std::memory_order_relaxed), part_count);
  for (uint32_t w = 0; w < workers; ++w) {
    if (part_of_worker[w] >= 0) {
      txn->worker_threads.push_back(runtime_.worker_thread(w));
    }
  }
  for (uint32_t w = 0; w < workers; ++w) {
    if (part_of_worker[w] < 0) {
      continue;
    }
    CommandBatch& batch = command_batch_for(w);
    uint32_t begin = static_cast<uint32_t>(batch.spans.size());
    // A part is the command with only this shard's keys: the arguments before the first key
    // and after the last one (TABLE.MGET's table, columns and options) go to every part.
    for (size_t i = 0; i < first; ++i) {
      batch.add_arg(args[i], 0);
    }
    PartInfo part;
    part.count = part_count;
    part.index = static_cast<uint16_t>(part_of_worker[w]);
    part.join = spec.join;
    part.total_keys = total_keys;
    part.positions_begin = static_cast<uint32_t>(batch.positions.size());
    for (uint32_t k = 0; k < total_keys; ++k) {
      if (key_worker[k] != w) {
        continue;
      }
      size_t arg = first + k * step;
      batch.add_arg(args[arg], key_hash[k]);
      if (pairs) {
        batch.add_arg(args[arg + 1], 0);
      }
      batch.positions.push_back(k);
    }
    const size_t after_keys = pairs ? last + 1 : first + (total_keys - 1) * step + 1;
    for (size_t i = after_keys; i < argc; ++i) {
      batch.add_arg(args[i], 0);
    }
    part.positions_count = static_cast<uint32_t>(batch.positions.size()) - part.positions_begin;
    batch.commands.push_back(CommandRecord{conn, seq, &spec, begin,
                                           static_cast<uint32_t>(batch.spans.size()) - begin,
                                           static_cast<int16_t>(conn->session.db), conn->reply_format(), part, txn});
  }
}

void StageThread::run_on_parser(Connection* conn, uint64_t seq, const engine::CommandSpec& spec,
                                std::span<const std::string_view> args) {
  ReplyBatch& batch = reply_batch_for(conn->replier_index);
  size_t begin = batch.model.size();
  protocol::ReplyWriter writer(batch.model);
  engine::CommandContext ctx{args, writer, now_ms_, conn->session.db, nullptr, nullptr, &runtime_.server(), nullptr};
  if (spec.routing == engine::Routing::kConnection) {
    ctx.session = &conn->session;
  }
  const uint64_t start = CycleClock::now();
  spec.handler(ctx);
  // Subcommands were checked at dispatch: args[1] names one.
  const int slot = spec.subcommands.empty() || args.size() < 2
                       ? spec.stat_slot
                       : engine::subcommand_stat_slot(spec, static_cast<size_t>(engine::find_subcommand(spec, args[1])));
  count_step(slot, true, batch.model, begin, CycleClock::now() - start);
  batch.replies.push_back(
      ReplyRecord{conn, seq, begin, batch.model.size(), conn->reply_format(), false, PartInfo{}});
  if (spec.routing == engine::Routing::kConnection) {
    runtime_.registry().publish(conn->session);
    if (conn->session.close_after_reply) {
      end_read_side(conn);
    }
  }
}

template <typename StillWaiting>
bool StageThread::pause_reading(Connection* conn, uint64_t resume_at_seq, StillWaiting still_waiting) {
  // Publish the pause, then re-check: the replier may have caught up in between (it stores
  // replies_done, then loads read_paused; both sides seq_cst, so one of them sees the other).
  conn->resume_at_seq.store(resume_at_seq, std::memory_order_relaxed);
  conn->read_paused.store(true, std::memory_order_seq_cst);
  if (still_waiting()) {
    backend_->disable_read(conn);
    return true;
  }
  conn->read_paused.store(false, std::memory_order_relaxed);
  return false;
}

void StageThread::hold_command(Connection* conn, uint64_t seq, const engine::CommandSpec& spec,
                               std::span<const std::string_view> args) {
  conn->held = std::make_unique<HeldCommand>(HeldCommand{&spec, seq, {args.begin(), args.end()}});
}

bool StageThread::run_held_when_ready(Connection* conn) {
  const uint64_t seq = conn->held->seq;
  const auto earlier_unanswered = [&] { return conn->replies_done.load(std::memory_order_seq_cst) != seq; };
  if (earlier_unanswered() && pause_reading(conn, seq, earlier_unanswered)) {
    return false;
  }
  run_held(conn);
  return true;
}

void StageThread::run_held(Connection* conn) {
  const std::unique_ptr<HeldCommand> held = std::move(conn->held);
  const std::vector<std::string_view> args(held->args.begin(), held->args.end());
  run_on_parser(conn, held->seq, *held->spec, args);
}

void StageThread::end_read_side(Connection* conn) {
  if (conn->read_ending || conn->read_closed) {
    return;
  }
  conn->read_ending = true;
  backend_->disable_read(conn);
  if (backend_->read_busy(conn)) {
    // An armed receive may still write into conn->in or deliver: disable_read cancelled it,
    // and its completion finishes the read side (on_recv). The socket is not shut for
    // reading: the replier keeps reading it while it lingers (lingering_close.h), and Linux
    // answers input to a socket shut both ways with a reset.
    return;
  }
  finish_read_side(conn);
}

void StageThread::finish_read_side(Connection* conn) {
  if (conn->held) {
    // Its sequence number is taken: it must answer (or be dropped) before the close record.
    run_held(conn);
  }
  conn->read_closed = true;
  if (conn->parser_thread != conn->replier_thread) {
    backend_->forget(conn);
  }
  parser_connections_.erase(conn);
  ReplyBatch& batch = reply_batch_for(conn->replier_index);
  batch.replies.push_back(ReplyRecord{conn, conn->next_seq++, batch.model.size(), batch.model.size(),
                                      conn->reply_format(), true, PartInfo{}});
}

void StageThread::resume_read(Connection* conn) {
  // The connection may have closed (and been freed) since the request was sent.
  if (!parser_connections_.count(conn)) {
    return;
  }
  parse_input(conn);
}

void StageThread::close_idle_connections(int64_t now_ms) {
  const int64_t timeout_s = runtime_.limits().idle_timeout_seconds.load(std::memory_order_relaxed);
  if (timeout_s <= 0) {
    return;
  }
  std::vector<Connection*> idle;
  for (Connection* conn : parser_connections_) {
    // A client waiting for replies is not idle (Redis exempts blocked clients likewise).
    bool waiting = conn->next_seq != conn->replies_done.load(std::memory_order_acquire);
    if (!waiting && now_ms - conn->last_interaction_ms.load(std::memory_order_relaxed) > timeout_s * 1000) {
      idle.push_back(conn);
    }
  }
  for (Connection* conn : idle) {
    end_read_side(conn);
  }
}

void StageThread::stop_parsing() {
  if (parsing_stopped_) {
    return;
  }
  parsing_stopped_ = true;
  for (const Listener& listener : listeners_) {
    backend_->remove_listener(listener.fd);
  }
  std::vector<Connection*> open(parser_connections_.begin(), parser_connections_.end());
  for (Connection* conn : open) {
    end_read_side(conn);
  }
}

}  // namespace tessera::runtime
