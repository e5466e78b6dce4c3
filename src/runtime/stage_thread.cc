// StageThread: the loop, inbound rings, outgoing batches and parking. The roles' logic is
// in parser_role.cc, worker_role.cc and replier_role.cc.
#include "runtime/stage_thread.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <future>
#include <stdexcept>

#include "runtime/connection.h"
#include "runtime/runtime.h"

namespace tessera::runtime {

StageThread::StageThread(Runtime& runtime, uint32_t index)
    : runtime_(runtime),
      index_(index),
      command_stats_(engine::command_stat_count()) {}

StageThread::~StageThread() {
  for (auto* b : command_out_) {
    delete b;
  }
  for (auto* b : reply_out_) {
    delete b;
  }
  for (auto* b : control_out_) {
    delete b;
  }
  for (auto& inbox : inboxes_) {
    for (auto* b : inbox.batches) {
      delete b;
    }
  }
}

void StageThread::host_worker(uint32_t worker_index, uint32_t worker_count) {
  shard_ = std::make_unique<engine::Shard>(worker_index, worker_count, &runtime_);
}

void StageThread::create_inbound_rings(uint32_t thread_count, size_t capacity) {
  inbound_.resize(thread_count);
  for (uint32_t i = 0; i < thread_count; ++i) {
    if (i != index_) {
      inbound_[i] = std::make_unique<SpscRing<Message*>>(capacity);
    }
  }
  const auto& topo = runtime_.topology();
  command_out_.assign(topo.workers, nullptr);
  reply_out_.assign(topo.repliers, nullptr);
  control_out_.assign(thread_count, nullptr);
  overflow_.resize(thread_count);
  inboxes_.resize(thread_count);
  ring_doorbell_.assign(thread_count, false);
}

void StageThread::start() {
  // The backend is created on the stage thread itself (io_uring SINGLE_ISSUER); start()
  // returns once it exists, or throws what went wrong.
  std::promise<std::string> ready;
  auto result = ready.get_future();
  thread_ = std::thread([this, &ready] {
    if (runtime_.topology().backend == IoBackendKind::kIoUring) {
      backend_ = make_uring_backend(*this, doorbell_.fd());
    } else {
      backend_ = make_epoll_backend(*this, doorbell_.fd());
    }
    if (!backend_) {
      ready.set_value("io_uring was requested but could not be set up");
      return;
    }
    for (const Listener& listener : listeners_) {
      backend_->add_listener(listener.fd);
    }
    ready.set_value("");
    run();
  });
  std::string error = result.get();
  if (!error.empty()) {
    thread_.join();
    throw std::runtime_error(error);
  }
}

void StageThread::join() {
  if (thread_.joinable()) {
    thread_.join();
  }
}

void StageThread::run() {
  uint32_t idle_polls = 0;
  const uint32_t spin = runtime_.topology().spin_iterations;
  for (;;) {
    now_ms_ = unix_time_ms();
    if (runtime_.stopping()) {
      stop_parsing();
      if (finished_stopping()) {
        return;
      }
    }
    drain_inbound();
    flush_connections();
    run_timers(now_ms_);
    flush_outgoing();
    if (inbound_pending()) {
      backend_->wait(0);  // more work queued: poll I/O without blocking, then run it
      continue;
    }
    if (idle_polls < spin) {
      ++idle_polls;
      backend_->wait(0);
      continue;
    }
    idle_polls = 0;
    // Nothing queued: park right away. The blocking wait also submits the sends just
    // queued, so a request-reply cycle costs one io_uring_enter (or one epoll_wait).
    doorbell_.set_parked(true);
    if (inbound_pending()) {
      doorbell_.set_parked(false);
      continue;
    }
    backend_->wait(park_timeout_ms(now_ms_));
    doorbell_.set_parked(false);
  }
}

bool StageThread::finished_stopping() const {
  if (runtime_.counters().connected_clients.load() == 0 && local_.empty() && !inbound_pending()) {
    return true;
  }
  return unix_time_ms() > runtime_.stop_deadline_ms();
}

bool StageThread::inbound_pending() const {
  if (!local_.empty() || (shard_ && worker_can_progress())) {
    return true;
  }
  for (const auto& ring : inbound_) {
    if (ring && !ring->empty_approx()) {
      return true;
    }
  }
  return false;
}

int StageThread::park_timeout_ms(int64_t now_ms) const {
  if (runtime_.stopping()) {
    return kStopPollMs;
  }
  int64_t deadline = -1;
  if (parser_index_ >= 0 && runtime_.limits().idle_timeout_seconds.load(std::memory_order_relaxed) > 0) {
    deadline = next_idle_check_ms_;
  }
  if (shard_) {
    deadline = deadline < 0 ? next_expire_ms_ : std::min(deadline, next_expire_ms_);
  }
  if (!lingering_.empty()) {
    deadline = deadline < 0 ? next_linger_poll_ms_ : std::min(deadline, next_linger_poll_ms_);
  }
  if (deadline < 0) {
    return -1;
  }
  return static_cast<int>(std::clamp<int64_t>(deadline - now_ms, 1, kIdleCheckIntervalMs));
}

bool StageThread::drain_inbound() {
  bool worked = false;
  // Repeat until quiet: a batch this thread sends itself (parser -> own worker -> own
  // replier) is handled in the same iteration, so a request that stays on one thread is
  // answered without another trip through the I/O wait.
  for (;;) {
    bool progressed = false;
    while (!local_.empty()) {
      Message* m = local_.front();
      local_.pop_front();
      handle(m, index_);
      progressed = true;
    }
    for (uint32_t source = 0; source < inbound_.size(); ++source) {
      if (!inbound_[source]) {
        continue;
      }
      Message* m;
      while (inbound_[source]->try_pop(m)) {
        handle(m, source);
        progressed = true;
      }
    }
    if (shard_ && run_worker()) {
      // INFO, memcached's stats and SCAN's shard skipping read these. Published before this
      // pass's replies leave the thread (flush_outgoing, next), whichever way the pass ended
      // (a ticket barrier too): a client that has a reply sees its command counted.
      publish_gauges();
      progressed = true;
    }
    flush_outgoing();
    if (!progressed && local_.empty()) {
      return worked;
    }
    worked = worked || progressed;
  }
}

void StageThread::handle(Message* message, uint32_t source) {
  switch (message->kind) {
    case Message::Kind::kCommands:
      // Queued, not run: the worker runs its inboxes in order (run_worker).
      inboxes_[source].batches.push_back(static_cast<CommandBatch*>(message));
      return;
    case Message::Kind::kReplies:
      take_replies(static_cast<ReplyBatch&>(*message));
      reply_pool_.release(static_cast<ReplyBatch*>(message));
      return;
    case Message::Kind::kControl:
      for (const auto& item : static_cast<ControlBatch&>(*message).items) {
        if (item.type == ControlItem::Type::kNewConnection) {
          adopt_connection(item.conn);
        } else {
          resume_read(item.conn);
        }
      }
      break;
  }
  delete message;
}

void StageThread::send_message(uint32_t thread, Message* message) {
  if (thread == index_) {
    local_.push_back(message);
    return;
  }
  auto& overflow = overflow_[thread];
  if (overflow.empty() && runtime_.thread(thread).inbound_from(index_).try_push(message)) {
    ring_doorbell_[thread] = true;
    return;
  }
  overflow.push_back(message);
}

void StageThread::flush_outgoing() {
  for (uint32_t w = 0; w < command_out_.size(); ++w) {
    if (command_out_[w]) {
      command_out_[w]->seal();
      send_message(runtime_.worker_thread(w), command_out_[w]);
      command_out_[w] = nullptr;
    }
  }
  for (uint32_t r = 0; r < reply_out_.size(); ++r) {
    if (reply_out_[r]) {
      send_message(runtime_.replier_thread(r), reply_out_[r]);
      reply_out_[r] = nullptr;
    }
  }
  for (uint32_t t = 0; t < control_out_.size(); ++t) {
    if (control_out_[t]) {
      send_message(t, control_out_[t]);
      control_out_[t] = nullptr;
    }
  }
  for (uint32_t t = 0; t < overflow_.size(); ++t) {
    auto& overflow = overflow_[t];
    while (!overflow.empty() && runtime_.thread(t).inbound_from(index_).try_push(overflow.front())) {
      overflow.pop_front();
      ring_doorbell_[t] = true;
    }
    if (ring_doorbell_[t]) {
      ring_doorbell_[t] = false;
      runtime_.thread(t).doorbell().ring_if_parked();
    }
  }
}

CommandBatch& StageThread::command_batch_for(uint32_t worker) {
  if (!command_out_[worker]) {
    command_out_[worker] = command_pool_.acquire();
  }
  return *command_out_[worker];
}

ReplyBatch& StageThread::reply_batch_for(uint32_t replier) {
  if (!reply_out_[replier]) {
    reply_out_[replier] = reply_pool_.acquire();
  }
  return *reply_out_[replier];
}

void StageThread::run_timers(int64_t now_ms) {
  if (!lingering_.empty() && now_ms >= next_linger_poll_ms_) {
    next_linger_poll_ms_ = now_ms + LingeringSockets::kPollIntervalMs;
    lingering_.poll(now_ms);
  }
  if (parser_index_ >= 0 && now_ms >= next_idle_check_ms_) {
    next_idle_check_ms_ = now_ms + kIdleCheckIntervalMs;
    close_idle_connections(now_ms);
  }
  if (shard_ && now_ms >= next_expire_ms_) {
    int64_t hz = std::clamp<int64_t>(runtime_.limits().hz.load(std::memory_order_relaxed), 1, 500);
    next_expire_ms_ = now_ms + 1000 / hz;
    constexpr size_t kSlotsPerStep = 256;
    constexpr int kMaxSteps = 64;
    // Redis's rule: keep going while a step finds more than a quarter of its sample expired.
    for (int step = 0; step < kMaxSteps; ++step) {
      size_t expired = shard_->expire_step(now_ms, kSlotsPerStep);
      if (expired < kSlotsPerStep / 4) {
        break;
      }
    }
    publish_gauges();
    // Worker 0's tick also samples INFO's instantaneous rates (every 100 ms at hz 10).
    if (runtime_.worker_thread(0) == index_ && runtime_.stats_sampler().due(now_ms)) {
      runtime_.sample_stats(now_ms);
    }
  }
}

void StageThread::on_accept(int listen_fd, int fd) {
  auto& counters = runtime_.counters();
  counters.connections_received.fetch_add(1, std::memory_order_relaxed);
  if (runtime_.stopping() ||
      counters.connected_clients.load() >= runtime_.limits().maxclients.load(std::memory_order_relaxed)) {
    static constexpr char kMaxClients[] = "-ERR max number of clients reached\r\n";
    [[maybe_unused]] ssize_t n = send(fd, kMaxClients, sizeof kMaxClients - 1, MSG_NOSIGNAL);
    counters.rejected_connections.fetch_add(1, std::memory_order_relaxed);
    close(fd);
    return;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (int keepalive = static_cast<int>(runtime_.limits().tcp_keepalive_seconds.load(std::memory_order_relaxed));
      keepalive > 0) {
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &keepalive, sizeof keepalive);
    int interval = std::max(1, keepalive / 3);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  }
  counters.connected_clients.fetch_add(1);
  auto* conn = new Connection(runtime_.next_client_id(), fd);
  for (const Listener& listener : listeners_) {
    if (listener.fd == listen_fd) {
      conn->protocol = listener.protocol;
    }
  }
  if (const auto& factory = runtime_.transform_factory()) {
    ConnectionTransforms transforms = factory(fd);
    conn->recv_transform = std::move(transforms.recv);
    conn->send_transform = std::move(transforms.send);
  }
  uint32_t parser = runtime_.next_parser();
  conn->parser_thread = runtime_.parser_thread(parser);
  conn->replier_index = runtime_.next_replier();
  conn->replier_thread = runtime_.replier_thread(conn->replier_index);
  if (conn->parser_thread == index_) {
    adopt_connection(conn);
    return;
  }
  queue_control(conn->parser_thread, ControlItem::Type::kNewConnection, conn);
}

void StageThread::queue_control(uint32_t thread, ControlItem::Type type, Connection* conn) {
  auto*& control = control_out_[thread];
  if (!control) {
    control = new ControlBatch();
  }
  control->items.push_back({type, conn});
}

}  // namespace tessera::runtime
