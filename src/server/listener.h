// Listening sockets: TCP, non-blocking, SO_REUSEADDR, bound to one address (IPv4 or IPv6).
// Port 0 binds a free port; bound_port() tells which.
#pragma once

#include <string>

namespace tessera::server {

// Throws std::runtime_error naming the address on failure.
int open_listener(const std::string& bind_address, int port, int backlog);
int bound_port(int fd);

}  // namespace tessera::server
