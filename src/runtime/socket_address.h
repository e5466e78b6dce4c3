// "ip:port" strings for a socket's peer and local addresses (CLIENT LIST addr/laddr).
#pragma once

#include <string>

namespace tessera::runtime {

std::string peer_address(int fd);
std::string local_address(int fd);

}  // namespace tessera::runtime
