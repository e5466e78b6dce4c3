// Version strings: Tessera's own, and the Redis version whose behaviour it follows (reported
// as redis_version / HELLO's version so clients enable the matching features).
#pragma once

#include <string_view>

namespace tessera::server {

inline constexpr std::string_view kTesseraVersion = "0.1.0";
inline constexpr std::string_view kRedisCompatibleVersion = "7.0.15";

}  // namespace tessera::server
