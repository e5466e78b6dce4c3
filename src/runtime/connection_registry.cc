// ConnectionRegistry: the client list behind CLIENT LIST / CLIENT KILL / INFO clients.
// Lock order: the registry mutex is a leaf; nothing else is taken while it is held.
#include <sys/socket.h>

#include "runtime/connection.h"
#include "runtime/runtime_state.h"

namespace tessera::runtime {

void ConnectionRegistry::add(Connection* conn, const engine::SessionState& session) {
  std::lock_guard lock(mutex_);
  clients_.emplace(conn->id, ClientInfo{conn, session});
}

void ConnectionRegistry::remove(uint64_t id) {
  std::lock_guard lock(mutex_);
  clients_.erase(id);
}

void ConnectionRegistry::publish(const engine::SessionState& session) {
  std::lock_guard lock(mutex_);
  auto it = clients_.find(session.client_id);
  if (it != clients_.end()) {
    it->second.session = session;
  }
}

engine::ClientKillResult ConnectionRegistry::kill(const engine::ClientKillFilter& filter) {
  std::lock_guard lock(mutex_);
  engine::ClientKillResult result;
  for (auto& [cid, info] : clients_) {
    if (!filter.normal_type || cid == filter.skip_id || (filter.id != 0 && cid != filter.id) ||
        (!filter.addr.empty() && info.session.peer != filter.addr) ||
        (!filter.laddr.empty() && info.session.local != filter.laddr)) {
      continue;
    }
    ++result.killed;
    if (cid == filter.caller_id) {
      result.caller = true;
      continue;
    }
    info.conn->kill_requested.store(true);
    // The fd stays open while registered (the replier removes before closing it).
    shutdown(info.conn->fd, SHUT_RDWR);
  }
  return result;
}

void ConnectionRegistry::kill_all() {
  std::lock_guard lock(mutex_);
  for (auto& [cid, info] : clients_) {
    info.conn->kill_requested.store(true);
    // Read side only: replies already owed are still sent before the close.
    shutdown(info.conn->fd, SHUT_RD);
  }
}

}  // namespace tessera::runtime
