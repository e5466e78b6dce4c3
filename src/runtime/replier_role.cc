// Replier role of a StageThread: owns the write side of its connections. Replies arrive from
// any worker (and the parser) in any order; each connection releases them strictly in
// sequence order. A reply whose turn has come is encoded at once (the common case: no
// copy); an early one waits in the connection's window, and the parts of a split command
// wait there until all have arrived and are joined (reply_join.h). Encoded bytes are sent
// once per connection per loop iteration: a pipeline's replies leave in one write.
//
// Output limits: client-output-buffer-limit (hard, and soft for N seconds) disconnects a
// client that does not read; its later replies are dropped, never buffered.
//
// Closing: once a closing connection's last reply has left, its socket lingers on this
// thread, write side shut, until the client closes its end (lingering_close.h).
#include <sys/socket.h>
#include <unistd.h>

#include "engine/reply_join.h"
#include "protocol/wire_format.h"
#include "runtime/connection.h"
#include "runtime/lingering_close.h"
#include "runtime/runtime.h"
#include "runtime/stage_thread.h"

namespace tessera::runtime {
namespace {

// While a closing connection's last replies leave (each send completion calls
// maybe_finalize), input the client sent after its last command is read and dropped, so it
// is not held up by a full window (lingering_close.h has the why).
constexpr size_t kDrainWhileSending = 1024 * 1024;

}  // namespace

void StageThread::take_replies(ReplyBatch& batch) {
  for (const ReplyRecord& rec : batch.replies) {
    Connection* conn = rec.conn;
    std::string_view model = batch.model.view(rec.model_begin, rec.model_end);
    if (!rec.is_close && rec.part.count == 1 && rec.seq == conn->next_reply_seq) {
      emit(conn, model, rec.format);
      ++conn->next_reply_seq;
      if (!conn->window.empty()) {
        release_in_order(conn);
      }
    } else {
      std::span<const uint32_t> positions(batch.positions.data() + rec.part.positions_begin,
                                          rec.part.positions_count);
      deliver(conn, rec.seq, model, rec, positions);
      release_in_order(conn);
    }
    if (!conn->in_flush_list) {
      conn->in_flush_list = true;
      flush_list_.push_back(conn);
    }
  }
}

void StageThread::deliver(Connection* conn, uint64_t seq, std::string_view model, const ReplyRecord& rec,
                          std::span<const uint32_t> positions) {
  PendingReply& pending = conn->window[seq];
  if (pending.parts.empty()) {
    pending.parts_expected = rec.part.count;
    pending.format = rec.format;
    pending.join = static_cast<uint8_t>(rec.part.join);
    pending.total_keys = rec.part.total_keys;
    pending.is_close = rec.is_close;
    pending.parts.resize(rec.part.count);
  }
  auto& part = pending.parts[rec.part.index];
  part.model.assign(model);
  part.positions.assign(positions.begin(), positions.end());
  ++pending.parts_received;
}

void StageThread::release_in_order(Connection* conn) {
  while (!conn->window.empty()) {
    auto it = conn->window.begin();
    PendingReply& pending = it->second;
    if (it->first != conn->next_reply_seq || pending.parts_received < pending.parts_expected) {
      return;
    }
    if (pending.is_close) {
      conn->close_pending = true;
      conn->window.erase(it);
      ++conn->next_reply_seq;
      return;
    }
    if (pending.parts_expected == 1) {
      emit(conn, pending.parts[0].model, pending.format);
    } else {
      std::vector<engine::ReplyPart> parts;
      parts.reserve(pending.parts.size());
      for (const auto& p : pending.parts) {
        parts.push_back(engine::ReplyPart{p.model, p.positions});
      }
      protocol::ReplyBuffer joined;
      protocol::ReplyWriter writer(joined);
      engine::join_parts(static_cast<engine::Join>(pending.join), parts, pending.total_keys, writer);
      emit(conn, joined.view(), pending.format);
    }
    conn->window.erase(it);
    ++conn->next_reply_seq;
  }
}

void StageThread::emit(Connection* conn, std::string_view model, protocol::WireFormat format) {
  if (conn->write_failed) {
    return;
  }
  encode_scratch_.clear();
  protocol::encode_reply(model, format, encode_scratch_);
  if (conn->send_transform) {
    conn->send_transform->encode(encode_scratch_, conn->out);
  } else {
    conn->out.append(encode_scratch_);
  }
  check_output_limits(conn);
}

void StageThread::check_output_limits(Connection* conn) {
  const auto& limits = runtime_.limits();
  const int64_t pending = static_cast<int64_t>(conn->out.size() + conn->sending.size());
  const int64_t hard = limits.output_hard_limit.load(std::memory_order_relaxed);
  const int64_t soft = limits.output_soft_limit.load(std::memory_order_relaxed);
  if (hard > 0 && pending > hard) {
    runtime_.counters().output_limit_disconnections.fetch_add(1, std::memory_order_relaxed);
    fail_writes(conn);
    return;
  }
  if (soft > 0 && pending > soft) {
    if (conn->soft_limit_since_ms == 0) {
      conn->soft_limit_since_ms = now_ms_;
    } else if (now_ms_ - conn->soft_limit_since_ms >
               limits.output_soft_seconds.load(std::memory_order_relaxed) * 1000) {
      runtime_.counters().output_limit_disconnections.fetch_add(1, std::memory_order_relaxed);
      fail_writes(conn);
    }
  } else {
    conn->soft_limit_since_ms = 0;
  }
}

void StageThread::fail_writes(Connection* conn) {
  if (conn->write_failed) {
    return;
  }
  conn->write_failed = true;
  conn->out.clear();
  conn->kill_requested.store(true);
  shutdown(conn->fd, SHUT_RDWR);
  // A paused parser is not reading: ask it to look at the connection again.
  if (conn->read_paused.exchange(false)) {
    queue_control(conn->parser_thread, ControlItem::Type::kResumeRead, conn);
  }
}

void StageThread::reply_handled(Connection* conn) {
  // seq_cst on both sides of the pause handshake (pause_reading): this store, then the load
  // of read_paused. A release store could pass the load (x86 reorders a store before a later
  // load), and the parser could then miss this progress while this thread misses the pause.
  conn->replies_done.store(conn->next_reply_seq, std::memory_order_seq_cst);
  if (!conn->read_paused.load(std::memory_order_seq_cst) || conn->close_pending) {
    return;
  }
  if (const uint64_t resume_at = conn->resume_at_seq.load(std::memory_order_relaxed); resume_at != 0) {
    if (conn->next_reply_seq < resume_at) {
      return;  // a held command still waits for an earlier reply
    }
  } else if (conn->window.size() * 2 >
             static_cast<size_t>(runtime_.limits().max_inflight_commands.load(std::memory_order_relaxed))) {
    return;  // resume once half the window has drained; the parser re-checks against its own seq
  }
  if (conn->read_paused.exchange(false)) {
    queue_control(conn->parser_thread, ControlItem::Type::kResumeRead, conn);
  }
}

void StageThread::flush_connections() {
  if (flush_list_.empty()) {
    return;
  }
  flushing_.clear();
  flushing_.swap(flush_list_);
  for (Connection* conn : flushing_) {
    conn->in_flush_list = false;
    if (!conn->close_pending) {
      reply_handled(conn);
    }
    conn->omem_bytes.store(conn->out.size() + conn->sending.size(), std::memory_order_relaxed);
    if (conn->close_pending && (conn->write_failed || conn->out.empty())) {
      maybe_finalize(conn);
      continue;
    }
    if (!conn->write_failed) {
      runtime_.counters().net_output_bytes.fetch_add(conn->out.size(), std::memory_order_relaxed);
      backend_->flush(conn);  // may finalize (and free) conn through on_sent
    }
  }
  // Control batches produced here (resume requests) go out with the next flush_outgoing.
}

void StageThread::on_sent(Connection* conn) {
  if (!backend_->write_busy(conn)) {
    conn->out.release_if_idle();
    conn->sending.release_if_idle();
  }
  conn->omem_bytes.store(conn->out.size() + conn->sending.size(), std::memory_order_relaxed);
  if (conn->close_pending) {
    maybe_finalize(conn);
  }
}

void StageThread::on_send_error(Connection* conn, int err) {
  (void)err;
  fail_writes(conn);
  if (conn->close_pending) {
    maybe_finalize(conn);
  }
}

void StageThread::maybe_finalize(Connection* conn) {
  if (!conn->close_pending) {
    return;
  }
  if (conn->in_flush_list || backend_->write_busy(conn) || (!conn->out.empty() && !conn->write_failed)) {
    // Replies still to leave (on_sent calls again). The read side has ended, so the replier
    // may read the socket meanwhile; once they have left, the lingering close reads it.
    if (!conn->write_failed) {
      drain_input(conn->fd, kDrainWhileSending);
    }
    return;
  }
  runtime_.registry().remove(conn->id);
  backend_->forget(conn);
  if (conn->write_failed || conn->kill_requested.load(std::memory_order_relaxed)) {
    // Nothing left to deliver, or cut off (output limit, CLIENT KILL, shutdown): closed now,
    // as Redis does. A killed socket may be shut for reading, and lingering on it would
    // answer the client's input with a reset anyway.
    close(conn->fd);
  } else {
    lingering_.start(conn->fd, now_ms_);
  }
  runtime_.counters().connected_clients.fetch_sub(1);
  delete conn;
}

}  // namespace tessera::runtime
