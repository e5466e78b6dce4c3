// The config key table and the value parsers behind it (integers, memory sizes, enums,
// client-output-buffer-limit), plus the table-driven CONFIG GET / CONFIG SET entry points.
// Error texts are Redis 7's, word for word, so a client sees the same CONFIG SET errors.
//
// Thread safety: see config_keys.h. CONFIG SET runs on whichever thread executes the
// command; it mutates only the Config it is handed.
#include "server/config_keys.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <limits>
#include <utility>
#include <vector>

#include "core/glob.h"
#include "engine/string_util.h"

namespace tessera::server {
namespace {

constexpr int64_t kIntMax = std::numeric_limits<int>::max();
constexpr int64_t kUIntMax = std::numeric_limits<unsigned>::max();  // Redis's UINT configs
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kMaxPort = 65535;
// memcached's -I bounds: 1 KiB to 1 GiB.
constexpr int64_t kMinItemSizeMax = 1024;
constexpr int64_t kMaxItemSizeMax = 1024LL * 1024 * 1024;
constexpr int64_t kMaxStageThreads = 128;  // parsers/workers/repliers, like io-threads' bound
constexpr int64_t kMinBufferLimit = 1024 * 1024;  // Redis's floor for bulk/query limits
constexpr int64_t kRequiredDatabases = 16;
constexpr int64_t kMinHz = 1;    // Redis CONFIG_MIN_HZ: hz is clamped, not rejected
constexpr int64_t kMaxHz = 500;  // Redis CONFIG_MAX_HZ
constexpr size_t kWordsPerBufferClass = 4;  // class hard soft seconds

constexpr std::string_view kNotInteger = "argument couldn't be parsed into an integer";
constexpr std::string_view kNotMemory = "argument must be a memory value";
constexpr std::string_view kWrongArity = "wrong number of arguments";

constexpr std::array<std::string_view, 4> kLogLevels = {"debug", "verbose", "notice", "warning"};
constexpr std::array<std::pair<std::string_view, IoBackend>, 3> kIoBackends = {{
    {"auto", IoBackend::kAuto},
    {"io_uring", IoBackend::kIoUring},
    {"epoll", IoBackend::kEpoll},
}};
constexpr std::array<std::pair<std::string_view, ThreadLayout>, 2> kThreadLayouts = {{
    {"shared", ThreadLayout::kShared},
    {"dedicated", ThreadLayout::kDedicated},
}};

bool equals_nocase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::optional<int64_t> parse_integer(std::string_view text) {
  int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) {
    return std::nullopt;
  }
  return value;
}

std::string range_error(int64_t min, int64_t max) {
  return "argument must be between " + std::to_string(min) + " and " + std::to_string(max) + " inclusive";
}

// One value, parsed as an integer (or memory size) within [kMin, kMax], stored in Member.
template <auto Member, int64_t kMin, int64_t kMax, bool kMemory = false>
std::optional<std::string> apply_number(Config& config, ConfigValues values) {
  if (values.size() != 1) {
    return std::string(kWrongArity);
  }
  std::optional<int64_t> value = kMemory ? parse_memory(values[0]) : parse_integer(values[0]);
  if (!value) {
    return std::string(kMemory ? kNotMemory : kNotInteger);
  }
  if (*value < kMin || *value > kMax) {
    return range_error(kMin, kMax);
  }
  using Field = std::remove_reference_t<decltype(config.*Member)>;
  config.*Member = static_cast<Field>(*value);
  return std::nullopt;
}

template <auto Member>
std::string render_number(const Config& config) {
  return std::to_string(config.*Member);
}

template <auto Member>
std::optional<std::string> apply_string(Config& config, ConfigValues values) {
  if (values.size() != 1) {
    return std::string(kWrongArity);
  }
  config.*Member = values[0];
  return std::nullopt;
}

template <auto Member>
std::string render_string(const Config& config) {
  return config.*Member;
}

// memcached-port: a port, 0 (no memcached listener) or "auto" (a free port, printed).
std::optional<std::string> apply_memcached_port(Config& config, ConfigValues values) {
  if (values.size() != 1) {
    return std::string(kWrongArity);
  }
  if (equals_nocase(values[0], "auto")) {
    config.memcached_port = kAutoPort;
    return std::nullopt;
  }
  std::optional<int64_t> value = parse_integer(values[0]);
  if (!value || *value < 0 || *value > kMaxPort) {
    return "argument must be auto or between 0 and " + std::to_string(kMaxPort) + " inclusive";
  }
  config.memcached_port = static_cast<int>(*value);
  return std::nullopt;
}
std::string render_memcached_port(const Config& config) {
  return config.memcached_port == kAutoPort ? "auto" : std::to_string(config.memcached_port);
}

std::optional<std::string> apply_bind(Config& config, ConfigValues values) {
  // Tessera listens on exactly one address; Redis's multi-address form is refused.
  if (values.size() != 1 || values[0].empty()) {
    return "exactly one address is supported";
  }
  config.bind = values[0];
  return std::nullopt;
}

template <size_t N>
std::string one_of_error(const std::array<std::string_view, N>& names) {
  std::string text = "argument(s) must be one of the following: ";
  for (size_t i = 0; i < N; ++i) {
    text += (i == 0 ? "" : ", ");
    text += names[i];
  }
  return text;
}

std::optional<std::string> apply_loglevel(Config& config, ConfigValues values) {
  if (values.size() == 1) {
    for (std::string_view level : kLogLevels) {
      if (equals_nocase(values[0], level)) {
        config.loglevel = std::string(level);
        return std::nullopt;
      }
    }
  }
  return one_of_error(kLogLevels);
}

// A key whose value is one of a fixed set of names (io-backend, thread-layout).
template <auto Field, const auto& Table>
std::optional<std::string> apply_choice(Config& config, ConfigValues values) {
  if (values.size() == 1) {
    for (const auto& [name, value] : Table) {
      if (equals_nocase(values[0], name)) {
        config.*Field = value;
        return std::nullopt;
      }
    }
  }
  std::array<std::string_view, Table.size()> names;
  std::transform(Table.begin(), Table.end(), names.begin(), [](const auto& e) { return e.first; });
  return one_of_error(names);
}

template <auto Field, const auto& Table>
std::string render_choice(const Config& config) {
  for (const auto& [name, value] : Table) {
    if (value == config.*Field) {
      return std::string(name);
    }
  }
  return {};
}

// Keys Redis clients read (redis-benchmark asks CONFIG GET save / appendonly) for a feature
// Tessera does not have: persistence. Only the "off" value is accepted.
std::optional<std::string> apply_no_save(Config&, ConfigValues values) {
  if (values.size() == 1 && values[0].empty()) {
    return std::nullopt;
  }
  return "argument must be \"\" (Tessera does not persist data)";
}
std::string render_no_save(const Config&) { return ""; }
std::optional<std::string> apply_no_appendonly(Config&, ConfigValues values) {
  if (values.size() == 1 && equals_nocase(values[0], "no")) {
    return std::nullopt;
  }
  return "argument must be 'no' (Tessera does not persist data)";
}
std::string render_no_appendonly(const Config&) { return "no"; }

std::optional<std::string> apply_databases(Config& config, ConfigValues values) {
  if (auto error = apply_number<&Config::databases, 1, kIntMax>(config, values)) {
    return error;
  }
  if (config.databases != kRequiredDatabases) {
    return "argument must be " + std::to_string(kRequiredDatabases) + " (Tessera has a fixed number of databases)";
  }
  return std::nullopt;
}

std::optional<std::string> apply_hz(Config& config, ConfigValues values) {
  if (auto error = apply_number<&Config::hz, 0, kIntMax>(config, values)) {
    return error;
  }
  config.hz = static_cast<int>(std::clamp<int64_t>(config.hz, kMinHz, kMaxHz));
  return std::nullopt;
}

// `class hard soft seconds` groups, Redis syntax. Only `normal` is kept; `replica`, `slave`
// and `pubsub` are validated and ignored. All groups are checked before any is stored.
std::optional<std::string> apply_output_buffer_limit(Config& config, ConfigValues values) {
  if (values.empty() || values.size() % kWordsPerBufferClass != 0) {
    return "Wrong number of arguments in buffer limit configuration.";
  }
  struct Limit {
    int64_t hard, soft, seconds;
  };
  std::optional<Limit> normal;
  for (size_t i = 0; i < values.size(); i += kWordsPerBufferClass) {
    const std::string& name = values[i];
    bool is_normal = equals_nocase(name, "normal");
    if (!is_normal && !equals_nocase(name, "replica") && !equals_nocase(name, "slave") &&
        !equals_nocase(name, "pubsub")) {
      return "Invalid client class specified in buffer limit configuration.";
    }
    auto hard = parse_memory(values[i + 1]);
    auto soft = parse_memory(values[i + 2]);
    auto seconds = parse_integer(values[i + 3]);
    if (!hard || !soft || !seconds || *seconds < 0) {
      return "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
    }
    if (is_normal) {
      normal = Limit{*hard, *soft, *seconds};
    }
  }
  if (normal) {
    config.client_output_buffer_hard = normal->hard;
    config.client_output_buffer_soft = normal->soft;
    config.client_output_buffer_soft_seconds = normal->seconds;
  }
  return std::nullopt;
}

std::string render_output_buffer_limit(const Config& config) {
  return "normal " + std::to_string(config.client_output_buffer_hard) + " " +
         std::to_string(config.client_output_buffer_soft) + " " +
         std::to_string(config.client_output_buffer_soft_seconds) + " replica 0 0 0 pubsub 0 0 0";
}

constexpr bool kMutable = true;
constexpr bool kFixed = false;
constexpr bool kMultiWord = true;
constexpr bool kOneWord = false;

const ConfigKey kKeys[] = {
    {"bind", "address to listen on (one address)", kFixed, kOneWord, apply_bind,
     render_string<&Config::bind>},
    {"port", "TCP port; 0 binds a free port and prints it", kFixed, kOneWord,
     apply_number<&Config::port, 0, kMaxPort>, render_number<&Config::port>},
    {"memcached-port", "memcached protocol TCP port; 0 disables it, auto binds a free port and prints it",
     kFixed, kOneWord, apply_memcached_port, render_memcached_port},
    {"item-size-max", "largest value a memcached client may store, in bytes (memcached -I)", kFixed, kOneWord,
     apply_number<&Config::item_size_max, kMinItemSizeMax, kMaxItemSizeMax, true>,
     render_number<&Config::item_size_max>},
    {"tcp-backlog", "listen() backlog", kFixed, kOneWord, apply_number<&Config::tcp_backlog, 0, kIntMax>,
     render_number<&Config::tcp_backlog>},
    {"tcp-keepalive", "TCP keepalive interval in seconds, 0 = off", kFixed, kOneWord,
     apply_number<&Config::tcp_keepalive, 0, kIntMax>, render_number<&Config::tcp_keepalive>},
    {"timeout", "close a client idle this many seconds, 0 = never", kMutable, kOneWord,
     apply_number<&Config::timeout, 0, kIntMax>, render_number<&Config::timeout>},
    {"maxclients", "maximum simultaneous client connections", kMutable, kOneWord,
     apply_number<&Config::maxclients, 1, kUIntMax>, render_number<&Config::maxclients>},
    {"parsers", "parser (network) threads, 0 = derived from core count", kFixed, kOneWord,
     apply_number<&Config::parsers, 0, kMaxStageThreads>, render_number<&Config::parsers>},
    {"workers", "worker (shard) threads, 0 = derived from core count", kFixed, kOneWord,
     apply_number<&Config::workers, 0, kMaxStageThreads>, render_number<&Config::workers>},
    {"repliers", "replier threads, 0 = derived from core count", kFixed, kOneWord,
     apply_number<&Config::repliers, 0, kMaxStageThreads>, render_number<&Config::repliers>},
    {"io-backend", "socket I/O backend: auto, io_uring or epoll", kFixed, kOneWord,
     apply_choice<&Config::io_backend, kIoBackends>, render_choice<&Config::io_backend, kIoBackends>},
    {"thread-layout", "shared: each thread hosts a parser, a worker and a replier; dedicated: one role per thread",
     kFixed, kOneWord, apply_choice<&Config::thread_layout, kThreadLayouts>,
     render_choice<&Config::thread_layout, kThreadLayouts>},
    {"spin-polls", "empty I/O polls a thread makes before it parks (0 = park at once)", kFixed, kOneWord,
     apply_number<&Config::spin_polls, 0, kIntMax>, render_number<&Config::spin_polls>},
    {"proto-max-bulk-len", "largest bulk string a client may send, in bytes", kMutable, kOneWord,
     apply_number<&Config::proto_max_bulk_len, kMinBufferLimit, kInt64Max, true>,
     render_number<&Config::proto_max_bulk_len>},
    {"client-query-buffer-limit", "largest unparsed input buffered per client, in bytes", kMutable,
     kOneWord, apply_number<&Config::client_query_buffer_limit, kMinBufferLimit, kInt64Max, true>,
     render_number<&Config::client_query_buffer_limit>},
    {"client-output-buffer-limit", "normal <hard> <soft> <soft-seconds>: unread reply limit", kMutable,
     kMultiWord, apply_output_buffer_limit, render_output_buffer_limit},
    {"client-max-inflight-commands", "commands parsed but unanswered per client before reading pauses",
     kMutable, kOneWord, apply_number<&Config::client_max_inflight_commands, 1, kIntMax>,
     render_number<&Config::client_max_inflight_commands>},
    {"databases", "number of databases (must be 16)", kFixed, kOneWord, apply_databases,
     render_number<&Config::databases>},
    {"hz", "active expiry cycles per second per worker (clamped to 1..500)", kMutable, kOneWord, apply_hz,
     render_number<&Config::hz>},
    // Settable at runtime so that scripts turning persistence off (CONFIG SET save "") work.
    {"save", "persistence snapshots: not supported, only \"\" (off) is accepted", kMutable, kOneWord, apply_no_save,
     render_no_save},
    {"appendonly", "append-only file: not supported, only no is accepted", kMutable, kOneWord, apply_no_appendonly,
     render_no_appendonly},
    {"logfile", "log file path, empty = stderr", kFixed, kOneWord, apply_string<&Config::logfile>,
     render_string<&Config::logfile>},
    {"loglevel", "debug, verbose, notice or warning", kMutable, kOneWord, apply_loglevel,
     render_string<&Config::loglevel>},
};

}  // namespace

std::span<const ConfigKey> config_keys() { return kKeys; }

const ConfigKey* find_config_key(std::string_view name) {
  for (const ConfigKey& key : kKeys) {
    if (equals_nocase(key.name, name)) {
      return &key;
    }
  }
  return nullptr;
}

std::optional<int64_t> parse_memory(std::string_view text) {
  // Redis memtoull: decimal digits, then an optional unit (case-insensitive).
  struct Unit {
    std::string_view suffix;
    int64_t multiplier;
  };
  static constexpr Unit kUnits[] = {
      {"kb", 1024LL},       {"mb", 1024LL * 1024},        {"gb", 1024LL * 1024 * 1024},
      {"k", 1000LL},        {"m", 1000LL * 1000},         {"g", 1000LL * 1000 * 1000},
      {"b", 1},
  };
  int64_t multiplier = 1;
  std::string_view digits = text;
  for (const Unit& unit : kUnits) {
    if (text.size() > unit.suffix.size() &&
        equals_nocase(text.substr(text.size() - unit.suffix.size()), unit.suffix)) {
      multiplier = unit.multiplier;
      digits = text.substr(0, text.size() - unit.suffix.size());
      break;
    }
  }
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  std::optional<int64_t> value = parse_integer(digits);
  if (!value || *value > kInt64Max / multiplier) {
    return std::nullopt;
  }
  return *value * multiplier;
}

bool config_key_mutable(std::string_view key) {
  const ConfigKey* spec = find_config_key(key);
  return spec != nullptr && spec->mutable_at_runtime;
}

std::optional<std::string> config_set(Config& config, std::span<const std::string_view> pairs) {
  auto failed = [](std::string_view key, std::string_view reason) {
    return "ERR CONFIG SET failed (possibly related to argument '" + std::string(engine::as_c_string(key)) + "') - " +
           std::string(reason);
  };
  std::vector<const ConfigKey*> specs;
  for (size_t i = 0; i + 1 < pairs.size(); i += 2) {
    const std::string_view key = pairs[i];
    const ConfigKey* spec = find_config_key(key);
    if (spec == nullptr) {
      return "ERR Unknown option or number of arguments for CONFIG SET - '" + std::string(engine::as_c_string(key)) +
             "'";
    }
    if (!spec->mutable_at_runtime) {
      return failed(key, "can't set immutable config");
    }
    if (std::find(specs.begin(), specs.end(), spec) != specs.end()) {
      return failed(key, "duplicate parameter");
    }
    specs.push_back(spec);
  }
  Config candidate = config;
  for (size_t i = 0; i < specs.size(); ++i) {
    const std::string_view value = pairs[2 * i + 1];
    std::vector<std::string> values =
        specs[i]->multi_word ? split_config_words(value) : std::vector<std::string>{std::string(value)};
    if (auto reason = specs[i]->apply(candidate, values)) {
      return failed(pairs[2 * i], *reason);
    }
  }
  config = std::move(candidate);
  return std::nullopt;
}

std::vector<std::pair<std::string, std::string>> config_get(const Config& config, std::string_view pattern) {
  std::vector<std::pair<std::string, std::string>> result;
  for (const ConfigKey& key : kKeys) {
    if (core::glob_match(pattern, key.name, /*nocase=*/true)) {
      result.emplace_back(std::string(key.name), key.render(config));
    }
  }
  return result;
}

std::vector<std::string> split_config_words(std::string_view text) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) {
      ++i;
    }
    size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) {
      ++i;
    }
    if (i > start) {
      words.emplace_back(text.substr(start, i - start));
    }
  }
  return words;
}


}  // namespace tessera::server
