// Config: every server setting, its default, and how it is read from a redis.conf-style file
// (`key value ...` lines, `#` comments, quoted values) and from command-line flags, which
// override the file. CONFIG GET/SET go through the same table of keys.
//
// Thread safety: built at startup on the main thread. Afterwards CONFIG SET changes only
// the keys marked mutable, whose values live in atomics (see RuntimeLimits in the runtime);
// this struct is then read-only.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tessera::server {

enum class IoBackend { kAuto, kIoUring, kEpoll };

// memcached_port value meaning "bind a free port and print it" (`--memcached-port auto`).
inline constexpr int kAutoPort = -1;
enum class ThreadLayout { kShared, kDedicated };

struct Config {
  // Network
  std::string bind = "127.0.0.1";
  int port = 6379;  // 0: bind a free port and print it
  // memcached protocol port over the same keyspace; 0 = no memcached listener.
  int memcached_port = 11211;
  int tcp_backlog = 511;
  int64_t tcp_keepalive = 300;
  int64_t timeout = 0;  // idle client timeout in seconds, 0 = never
  int64_t maxclients = 10000;  // Redis bounds it as an unsigned int: 1 .. 4294967295

  // Topology (0 = derived from the core count at startup)
  int parsers = 0;
  int workers = 0;
  int repliers = 0;
  IoBackend io_backend = IoBackend::kAuto;
  ThreadLayout thread_layout = ThreadLayout::kShared;
  int64_t spin_polls = 3;

  // Limits (Redis names and defaults)
  int64_t proto_max_bulk_len = 512LL * 1024 * 1024;
  int64_t client_query_buffer_limit = 1024LL * 1024 * 1024;
  // client-output-buffer-limit for normal clients: hard bytes, soft bytes, soft seconds.
  // Unlike Redis's "normal 0 0 0", the default is bounded: a client that never reads is
  // disconnected instead of buffered without bound.
  int64_t client_output_buffer_hard = 256LL * 1024 * 1024;
  int64_t client_output_buffer_soft = 64LL * 1024 * 1024;
  int64_t client_output_buffer_soft_seconds = 60;
  // Commands parsed but not yet answered, per connection; the parser stops reading a
  // connection this far ahead until replies drain.
  int64_t client_max_inflight_commands = 16384;

  // memcached's item_size_max (-I): larger values get SERVER_ERROR object too large.
  int64_t item_size_max = 1024 * 1024;

  // Keyspace
  int databases = 16;  // fixed, accepted for compatibility
  int hz = 10;         // active expiry cycles per second per worker

  // Process
  std::string logfile;  // empty = stderr
  std::string loglevel = "notice";
  std::string config_file;  // the file loaded, if any (CONFIG GET reports nothing for it)
};

// Parses flags (`--port 0`, `--workers 2`, `--config FILE`, and any config key written as
// `--key value`), loading the config file first when one is named (as a bare first argument
// like redis-server, or with --config). Throws std::runtime_error with a message naming the
// bad key or value.
Config load_config(int argc, char** argv);

// Applies one `key value...` directive (file line or flag) to `config`. Throws on an unknown
// key or a bad value.
void apply_directive(Config& config, const std::string& key, const std::vector<std::string>& values);

// CONFIG GET: all (name, value) pairs whose name matches the glob, in Redis's value syntax.
std::vector<std::pair<std::string, std::string>> config_get(const Config& config, std::string_view pattern);

// CONFIG SET with name/value pairs (REQUIRES: an even count), all or nothing, as Redis 7's
// configSetCommand: every name is checked first, and the first unknown, immutable or
// repeated one is the error; then the values are applied in order, and the first bad value
// is the error. Returns Redis's exact error text on failure; on success `config` is updated
// and the caller publishes the new values to the runtime. Multi-word keys
// (client-output-buffer-limit) take their words in one value, as in Redis.
std::optional<std::string> config_set(Config& config, std::span<const std::string_view> pairs);

// True if CONFIG SET may change `key` (case-insensitive); false for unknown keys.
bool config_key_mutable(std::string_view key);

// Loads a redis.conf-style file into `config` (keys case-insensitive, `#` comments, quoted
// arguments). Throws std::runtime_error naming the file, line number, key and value.
void load_config_file(Config& config, const std::string& path);

// Splits one config line into arguments like Redis's sdssplitargs: whitespace separates,
// "double quotes" take \n \r \t \b \a \\ \" \xHH escapes, 'single quotes' take \'.
// Throws std::runtime_error on unbalanced quotes.
std::vector<std::string> split_config_line(std::string_view line);

// --help text: every flag with its default and a one-line description, from the key table,
// one per line. The caller prints the "Usage:" line above it.
std::string config_usage();

// "512mb" -> bytes, "1gb", "100k", plain numbers. Redis semantics (k=1000, kb=1024 ...).
std::optional<int64_t> parse_memory(std::string_view text);

}  // namespace tessera::server
