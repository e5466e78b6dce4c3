// StageThread: one OS thread hosting one or more stage roles: a parser (read sides of its
// connections), a data worker (one Shard) and/or a replier (write sides). On small machines
// one thread hosts all three and a request never crosses threads; on larger ones the roles
// get their own threads and talk through SPSC rings.
//
// Loop (see run()): drain inbound rings and the local queue -> run the messages -> flush
// outgoing batches (one ring slot and at most one doorbell per destination) -> send dirty
// connections -> poll I/O. With nothing to do it spins `spin_iterations` polls, then parks
// in its I/O wait (doorbell.h explains why no wake-up is lost).
//
// Thread safety: everything here is owned by the thread itself except `inbound_` rings
// (their producers are other stage threads) and `doorbell_`.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <thread>
#include <unordered_set>
#include <vector>

#include "engine/shard.h"
#include "runtime/batch_pool.h"
#include "protocol/memcache_binary.h"
#include "protocol/memcache_parser.h"
#include "runtime/client_protocol.h"
#include "runtime/command_stats.h"
#include "runtime/io_backend.h"
#include "runtime/lingering_close.h"
#include "runtime/messages.h"
#include "runtime/doorbell.h"
#include "runtime/runtime_state.h"
#include "runtime/spsc_ring.h"

namespace tessera::engine {
class ServerView;
}

namespace tessera::runtime {

class Runtime;

class StageThread final : public IoHandler {
 public:
  StageThread(Runtime& runtime, uint32_t index);
  ~StageThread() override;
  StageThread(const StageThread&) = delete;
  StageThread& operator=(const StageThread&) = delete;

  // Role assignment, before start().
  void host_parser(uint32_t parser_index) { parser_index_ = static_cast<int>(parser_index); }
  void host_worker(uint32_t worker_index, uint32_t worker_count);
  void host_replier(uint32_t replier_index, uint32_t replier_count) {
    replier_index_ = static_cast<int>(replier_index);
    lingering_.set_max_sockets(LingeringSockets::per_thread(replier_count));
  }
  void add_listener(int fd, ClientProtocol protocol) { listeners_.push_back(Listener{fd, protocol}); }

  void start();
  void join();

  uint32_t index() const { return index_; }
  Doorbell& doorbell() { return doorbell_; }
  // The ring this thread consumes from producer thread `from`.
  SpscRing<Message*>& inbound_from(uint32_t from) { return *inbound_[from]; }
  void create_inbound_rings(uint32_t thread_count, size_t capacity);
  const char* backend_name() const { return backend_ ? backend_->name() : "none"; }
  // This thread's share of INFO commandstats and errorstats (read and reset by any thread).
  CommandStats& command_stats() { return command_stats_; }
  const CommandStats& command_stats() const { return command_stats_; }

  // IoHandler
  void on_accept(int listen_fd, int fd) override;
  void on_recv(Connection* conn, long n) override;
  void on_sent(Connection* conn) override;
  void on_send_error(Connection* conn, int err) override;

 private:
  void run();
  bool drain_inbound();
  void handle(Message* message, uint32_t source);
  void flush_outgoing();
  void send_message(uint32_t thread, Message* message);
  bool inbound_pending() const;
  int park_timeout_ms(int64_t now_ms) const;
  void run_timers(int64_t now_ms);
  bool finished_stopping() const;

  // Parser role (parser_role.cc)
  void adopt_connection(Connection* conn);
  void parse_input(Connection* conn);
  // One command from the front of `input` (the connection's unparsed bytes): kParsed when
  // something was consumed or the read side ended, kNeedMore when more bytes must arrive.
  enum class ParseStep : uint8_t { kParsed, kNeedMore };
  ParseStep parse_resp_command(Connection* conn, std::string_view input);
  // The memcached counterpart (parser_memcache.cc): text and meta commands.
  ParseStep parse_memcache_command(Connection* conn, std::string_view input);
  void dispatch_memcache(Connection* conn, const protocol::MemcacheRequest& request);
  ParseStep parse_memcache_binary_command(Connection* conn, std::string_view input);
  // A binary response written by the parser thread itself (errors, QUIT).
  void reply_binary_now(Connection* conn, uint8_t opcode, protocol::MemcacheBinaryStatus status, uint32_t opaque);
  void dispatch(Connection* conn, std::vector<std::string_view>& args);
  // Sends a numbered command where its spec's routing says (worker, shards, this thread).
  void route_command(Connection* conn, uint64_t seq, const engine::CommandSpec& spec,
                     std::span<const std::string_view> args);
  void route_multi_key(Connection* conn, uint64_t seq, const engine::CommandSpec& spec,
                       std::span<const std::string_view> args);
  // Queues the whole command (a copy of its arguments) for one worker; the argument at
  // key_index carries key_hash.
  static constexpr size_t kNoKeyIndex = ~size_t{0};
  void enqueue_whole(uint32_t worker, Connection* conn, uint64_t seq, const engine::CommandSpec& spec,
                     std::span<const std::string_view> args, PartInfo part, size_t key_index = kNoKeyIndex,
                     uint64_t key_hash = 0);
  void run_on_parser(Connection* conn, uint64_t seq, const engine::CommandSpec& spec,
                     std::span<const std::string_view> args);
  // A kAfterEarlierCommands command with earlier replies outstanding waits in conn->held.
  void hold_command(Connection* conn, uint64_t seq, const engine::CommandSpec& spec,
                    std::span<const std::string_view> args);
  // Runs the held command if every earlier reply is done and returns true; otherwise pauses
  // reading until the replier reports them done and returns false.
  bool run_held_when_ready(Connection* conn);
  void run_held(Connection* conn);
  // Publishes a pause with its resume rule (resume_at_seq), then re-checks `still_waiting`:
  // true = paused (reading disabled), false = the replier caught up in between.
  template <typename StillWaiting>
  bool pause_reading(Connection* conn, uint64_t resume_at_seq, StillWaiting still_waiting);
  void reply_now(Connection* conn, uint64_t seq, std::string_view error_or_empty);
  // A RESP error reply of the parser's own, counted in errorstats (memcached's are not).
  void reply_error(Connection* conn, uint64_t seq, std::string_view error);
  // A command refused on the parser where Redis's own command code would refuse it (MSET
  // with a key missing its value): counted as a call that failed.
  void fail_on_parser(Connection* conn, uint64_t seq, const engine::CommandSpec& spec, std::string_view error);
  void end_read_side(Connection* conn);
  void finish_read_side(Connection* conn);
  void resume_read(Connection* conn);
  void stop_parsing();
  // `timeout`: ends the read side of connections idle longer than the limit. O(connections).
  void close_idle_connections(int64_t now_ms);
  CommandBatch& command_batch_for(uint32_t worker);
  ReplyBatch& reply_batch_for(uint32_t replier);
  // Adds an item to this iteration's control batch for `thread` (sent by flush_outgoing).
  void queue_control(uint32_t thread, ControlItem::Type type, Connection* conn);

  // Worker role (worker_role.cc)
  // Runs queued commands in per-source order; returns whether anything ran.
  bool run_worker();
  static constexpr size_t kPrefetchDistance = 8;
  void prefetch_ahead(const CommandBatch& batch, size_t cursor);
  void run_record(const CommandBatch& batch, const CommandRecord& rec, engine::CommandHandler handler,
                  engine::CrossShardState* cross);
  // Statistics of one handler step that wrote model[begin..) in `ticks` (commandstats,
  // errorstats), under its statistics slot (CommandSpec::stat_slot; -1: not counted). `whole_call`: the step
  // that stands for the call (see worker_role.cc).
  void count_step(int stat_slot, bool whole_call, const protocol::ReplyBuffer& model, size_t begin,
                  uint64_t ticks);
  // Ticket protocol (transaction.h): start the ticketed record at `source`'s cursor if its
  // turn has come; finish the one this worker arrived at once the barrier opens.
  bool start_ticket(uint32_t source);
  bool finish_ticket();
  // Whether ticket progress made by other threads lets held-back work run now. Part of the
  // parking re-check: tickets complete without a message, so rings alone cannot tell.
  bool worker_can_progress() const;
  void publish_gauges();

  // Replier role (replier_role.cc)
  void take_replies(ReplyBatch& batch);
  void deliver(Connection* conn, uint64_t seq, std::string_view model, const ReplyRecord& rec,
               std::span<const uint32_t> positions);
  void release_in_order(Connection* conn);
  void emit(Connection* conn, std::string_view model, protocol::WireFormat format);
  void reply_handled(Connection* conn);
  void flush_connections();
  void check_output_limits(Connection* conn);
  void fail_writes(Connection* conn);
  void maybe_finalize(Connection* conn);

  Runtime& runtime_;
  const uint32_t index_;
  CommandStats command_stats_;  // written by this thread's parser and worker roles
  uint64_t clock_mark_ = 0;     // CycleClock at the end of the worker's last command
  Doorbell doorbell_;
  std::unique_ptr<IoBackend> backend_;
  std::vector<std::unique_ptr<SpscRing<Message*>>> inbound_;  // indexed by producer thread
  std::thread thread_;

  int parser_index_ = -1;
  int replier_index_ = -1;
  std::unique_ptr<engine::Shard> shard_;
  struct Listener {
    int fd;
    ClientProtocol protocol;
  };
  std::vector<Listener> listeners_;

  // Outgoing batches being filled this iteration, per destination role index.
  std::vector<CommandBatch*> command_out_;  // per worker
  std::vector<ReplyBatch*> reply_out_;      // per replier
  std::vector<ControlBatch*> control_out_;  // per thread
  std::vector<std::deque<Message*>> overflow_;  // per thread: rings were full
  std::vector<bool> ring_doorbell_;             // per thread: rang this iteration
  std::deque<Message*> local_;                  // messages to self
  BatchPool<CommandBatch> command_pool_;
  BatchPool<ReplyBatch> reply_pool_;

  // Parser state
  std::unordered_set<Connection*> parser_connections_;
  std::vector<std::string_view> args_scratch_;
  protocol::MemcacheRequest memcache_request_;
  protocol::MemcacheBinaryRequest memcache_binary_request_;
  std::string memcache_args_;  // packed memcached request fields (engine/memcache_request.h)
  bool parsing_stopped_ = false;
  // Replier state
  std::vector<Connection*> flush_list_;
  std::vector<Connection*> flushing_;  // flush_list_ being sent (kept to reuse its capacity)
  std::string encode_scratch_;
  // Worker state: command batches per producing thread, consumed in order from `cursor`.
  struct WorkerInbox {
    std::deque<CommandBatch*> batches;
    size_t cursor = 0;
  };
  std::vector<WorkerInbox> inboxes_;  // per source thread
  int active_source_ = -1;            // the inbox whose ticketed record we arrived at
  int64_t next_expire_ms_ = 0;
  int64_t next_idle_check_ms_ = 0;
  // Replier: sockets closed after their last reply, read until the client closes its end.
  LingeringSockets lingering_;
  int64_t next_linger_poll_ms_ = 0;
  static constexpr int64_t kIdleCheckIntervalMs = 1000;
  static constexpr int kStopPollMs = 10;  // while stopping: how often to re-check
  int64_t now_ms_ = 0;
};

}  // namespace tessera::runtime
