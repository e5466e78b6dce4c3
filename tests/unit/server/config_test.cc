// Tests for the configuration module: defaults, redis.conf-style files (comments, quotes,
// escapes), flags overriding the file, memory units, every startup error path, CONFIG GET
// patterns and CONFIG SET (mutable, immutable, bad values, Redis's exact error texts), and
// that the shipped etc/tessera.conf loads to the defaults.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "server/config.h"
#include "server/config_keys.h"

namespace tessera::server {
namespace {

constexpr int64_t kMiB = 1024 * 1024;

// CONFIG SET of one pair.
std::optional<std::string> config_set(Config& config, std::string_view key, std::string_view value) {
  const std::string_view pair[] = {key, value};
  return server::config_set(config, pair);
}

// Writes `text` to a fresh file under the temp dir and removes it on destruction.
class TempConfigFile {
 public:
  explicit TempConfigFile(const std::string& text) {
    path_ = (std::filesystem::temp_directory_path() /
             ("tessera_config_test_" + std::to_string(counter_++) + ".conf"))
                .string();
    std::ofstream(path_) << text;
  }
  ~TempConfigFile() { std::filesystem::remove(path_); }
  TempConfigFile(const TempConfigFile&) = delete;
  TempConfigFile& operator=(const TempConfigFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  std::string path_;
};

Config load(std::vector<std::string> args) {
  args.insert(args.begin(), "tessera-server");
  std::vector<char*> argv;
  for (std::string& arg : args) {
    argv.push_back(arg.data());
  }
  return load_config(static_cast<int>(argv.size()), argv.data());
}

std::string get_one(const Config& config, std::string_view key) {
  auto pairs = config_get(config, key);
  REQUIRE(pairs.size() == 1);
  return pairs[0].second;
}

// Runs `fn`, requires a runtime_error, and returns its message.
template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const std::runtime_error& error) {
    return error.what();
  }
  FAIL("expected std::runtime_error");
  return {};
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

std::string set_error(Config& config, std::string_view key, std::string_view value) {
  auto error = config_set(config, key, value);
  REQUIRE(error.has_value());
  return *error;
}

std::string bad_value(std::string_view key, std::string_view reason) {
  return "ERR CONFIG SET failed (possibly related to argument '" + std::string(key) + "') - " + std::string(reason);
}

}  // namespace

TEST_CASE("no arguments gives the documented defaults") {
  Config config = load({});
  CHECK(config.bind == "127.0.0.1");
  CHECK(config.port == 6379);
  CHECK(config.tcp_backlog == 511);
  CHECK(config.io_backend == IoBackend::kAuto);
  CHECK(config.proto_max_bulk_len == 512 * kMiB);
  CHECK(config.databases == 16);
  CHECK(config.loglevel == "notice");
  CHECK(config.memcached_port == 11211);
  CHECK(config.item_size_max == kMiB);
  CHECK(config.config_file.empty());
  CHECK(config_get(config, "*").size() == config_keys().size());
}

TEST_CASE("split_config_line follows sdssplitargs") {
  using Args = std::vector<std::string>;
  CHECK(split_config_line("  port   6379  ") == Args{"port", "6379"});
  CHECK(split_config_line("") == Args{});
  CHECK(split_config_line(R"(logfile "a b\tc\x41\"")") == Args{"logfile", "a b\tcA\""});
  CHECK(split_config_line(R"(logfile 'it\'s "raw"\n')") == Args{"logfile", "it's \"raw\"\\n"});
  CHECK(split_config_line(R"(logfile "")") == Args{"logfile", ""});
  CHECK_THROWS_AS(split_config_line(R"(logfile "open)"), std::runtime_error);
  CHECK_THROWS_AS(split_config_line("logfile 'open"), std::runtime_error);
  CHECK_THROWS_AS(split_config_line(R"(logfile "a"b)"), std::runtime_error);
}

TEST_CASE("config file: comments, blank lines, quotes, case-insensitive keys") {
  TempConfigFile file(
      "# a comment with an unbalanced ' quote\n"
      "\n"
      "   # indented comment\n"
      "PORT 7000\n"
      "Bind \"0.0.0.0\"\n"
      "logfile '/tmp/tessera log.txt'\n"
      "loglevel WARNING\n"
      "io-backend epoll\n"
      "client-output-buffer-limit normal 1mb 512kb 5\n"
      "client-output-buffer-limit pubsub 32mb 8mb 60\n"
      "proto-max-bulk-len 2gb\r\n");
  Config config = load({file.path()});
  CHECK(config.port == 7000);
  CHECK(config.bind == "0.0.0.0");
  CHECK(config.logfile == "/tmp/tessera log.txt");
  CHECK(config.loglevel == "warning");
  CHECK(config.io_backend == IoBackend::kEpoll);
  CHECK(config.client_output_buffer_hard == kMiB);
  CHECK(config.client_output_buffer_soft == 512 * 1024);
  CHECK(config.client_output_buffer_soft_seconds == 5);
  CHECK(config.proto_max_bulk_len == 2048 * kMiB);
  CHECK(config.config_file == file.path());
}

TEST_CASE("flags override the file, by bare path or --config") {
  TempConfigFile file("port 7000\nworkers 3\n");
  SUBCASE("bare first argument") {
    Config config = load({file.path(), "--port", "0", "--parsers", "2"});
    CHECK(config.port == 0);
    CHECK(config.workers == 3);
    CHECK(config.parsers == 2);
  }
  SUBCASE("--config after a flag still loads first") {
    Config config = load({"--workers", "2", "--config", file.path()});
    CHECK(config.port == 7000);
    CHECK(config.workers == 2);
  }
  SUBCASE("multi-word value as one quoted flag or as separate words") {
    Config config = load({"--client-output-buffer-limit", "normal 1mb 1mb 0"});
    CHECK(config.client_output_buffer_hard == kMiB);
    CHECK(config.client_output_buffer_soft_seconds == 0);
    config = load({"--client-output-buffer-limit", "normal", "2mb", "1mb", "7", "--hz", "20"});
    CHECK(config.client_output_buffer_hard == 2 * kMiB);
    CHECK(config.client_output_buffer_soft_seconds == 7);
    CHECK(config.hz == 20);
  }
  SUBCASE("--help and --version are left to the caller") {
    CHECK(load({"--help", "--port", "1"}).port == 1);
    CHECK(load({"--version"}).port == 6379);
  }
}

TEST_CASE("memory units follow Redis") {
  CHECK(parse_memory("0") == 0);
  CHECK(parse_memory("100") == 100);
  CHECK(parse_memory("100b") == 100);
  CHECK(parse_memory("1k") == 1000);
  CHECK(parse_memory("1kb") == 1024);
  CHECK(parse_memory("1K") == 1000);
  CHECK(parse_memory("1KB") == 1024);
  CHECK(parse_memory("3m") == 3'000'000);
  CHECK(parse_memory("3Mb") == 3 * kMiB);
  CHECK(parse_memory("2g") == 2'000'000'000);
  CHECK(parse_memory("2GB") == 2048 * kMiB);
  CHECK(parse_memory("9223372036854775807") == INT64_MAX);
  for (const char* bad : {"", "kb", "-1", "+1", "1.5mb", "1tb", "1 mb", "abc", "9223372036854775808",
                          "9000000000gb"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_memory(bad).has_value());
  }
}

TEST_CASE("startup errors name the key, the value and the file line") {
  auto flag_error = [](std::vector<std::string> args) { return error_of([&] { load(args); }); };
  CHECK(contains(flag_error({"--nosuch", "1"}), "unknown config key 'nosuch'"));
  CHECK(contains(flag_error({"--port", "abc"}), "argument couldn't be parsed into an integer"));
  CHECK(contains(flag_error({"--port", "abc"}), "'port'"));
  CHECK(contains(flag_error({"--port", "65536"}), "between 0 and 65535"));
  CHECK(contains(flag_error({"--port", "1", "2"}), "wrong number of arguments"));
  CHECK(contains(flag_error({"--port"}), "needs a value"));
  CHECK(contains(flag_error({"--config"}), "--config needs a file name"));
  CHECK(contains(flag_error({"--port", "1", "stray"}), "wrong number of arguments"));
  CHECK(contains(flag_error({"-x", "1"}), "unexpected argument '-x'"));
  CHECK(contains(flag_error({"/nonexistent/tessera.conf"}), "cannot open config file"));
  CHECK(contains(flag_error({"--workers", "129"}), "between 0 and 128"));
  CHECK(contains(flag_error({"--maxclients", "0"}), "between 1 and 4294967295"));
  CHECK(contains(flag_error({"--proto-max-bulk-len", "1k"}), "between 1048576 and"));
  CHECK(contains(flag_error({"--proto-max-bulk-len", "lots"}), "argument must be a memory value"));
  CHECK(contains(flag_error({"--client-query-buffer-limit", "-1"}), "argument must be a memory value"));
  CHECK(contains(flag_error({"--io-backend", "kqueue"}), "one of the following: auto, io_uring, epoll"));
  CHECK(contains(flag_error({"--loglevel", "loud"}), "one of the following: debug, verbose, notice, warning"));
  CHECK(contains(flag_error({"--databases", "3"}), "argument must be 16"));
  CHECK(contains(flag_error({"--bind", "127.0.0.1", "::1"}), "exactly one address"));
  CHECK(contains(flag_error({"--client-output-buffer-limit", "normal 1 2"}), "Wrong number of arguments"));
  CHECK(contains(flag_error({"--client-output-buffer-limit", "master 1 2 3"}), "Invalid client class"));
  CHECK(contains(flag_error({"--client-output-buffer-limit", "normal 1 2 -3"}), "Error in hard, soft"));
  CHECK(contains(flag_error({"--client-max-inflight-commands", "0"}), "between 1 and"));

  TempConfigFile bad_line("# ok\nport 7000\nmaxclients many\n");
  std::string message = flag_error({bad_line.path()});
  CHECK(contains(message, "line 3"));
  CHECK(contains(message, "'maxclients'"));
  CHECK(contains(message, "many"));
  TempConfigFile bad_quotes("bind \"127.0.0.1\n");
  CHECK(contains(flag_error({bad_quotes.path()}), "line 1: unbalanced quotes"));
  TempConfigFile unknown("\nfrobnicate yes\n");
  CHECK(contains(flag_error({unknown.path()}), "line 2: unknown config key 'frobnicate'"));
}

TEST_CASE("apply_directive applies one key") {
  Config config;
  apply_directive(config, "timeout", {"30"});
  CHECK(config.timeout == 30);
  CHECK_THROWS_AS(apply_directive(config, "timeout", {}), std::runtime_error);
  CHECK_THROWS_AS(apply_directive(config, "no-such-key", {"1"}), std::runtime_error);
}

TEST_CASE("CONFIG GET renders Redis syntax and matches globs") {
  Config config;
  CHECK(get_one(config, "proto-max-bulk-len") == "536870912");
  CHECK(get_one(config, "client-query-buffer-limit") == "1073741824");
  CHECK(get_one(config, "client-output-buffer-limit") == "normal 268435456 67108864 60 replica 0 0 0 pubsub 0 0 0");
  CHECK(get_one(config, "io-backend") == "auto");
  CHECK(get_one(config, "logfile") == "");
  CHECK(get_one(config, "PORT") == "6379");  // CONFIG GET is case-insensitive
  CHECK(config_get(config, "nosuch").empty());
  CHECK(config_get(config, "config_file").empty());

  auto names = [&](std::string_view pattern) {
    std::vector<std::string> result;
    for (auto& [name, value] : config_get(config, pattern)) {
      result.push_back(name);
    }
    return result;
  };
  CHECK(names("client-*") == std::vector<std::string>{"client-query-buffer-limit", "client-output-buffer-limit",
                                                      "client-max-inflight-commands"});
  CHECK(names("log*") == std::vector<std::string>{"logfile", "loglevel"});
  CHECK(names("?z") == std::vector<std::string>{"hz"});
  CHECK(names("*s").size() == 7);  // maxclients parsers workers repliers databases client-max-inflight-commands spin-polls
}

TEST_CASE("CONFIG SET changes only mutable keys, all or nothing") {
  Config config;
  CHECK(config_key_mutable("maxclients"));
  CHECK(config_key_mutable("LOGLEVEL"));
  CHECK_FALSE(config_key_mutable("port"));
  CHECK_FALSE(config_key_mutable("databases"));
  CHECK_FALSE(config_key_mutable("nosuch"));

  CHECK_FALSE(config_set(config, "maxclients", "50").has_value());
  CHECK(config.maxclients == 50);
  CHECK_FALSE(config_set(config, "timeout", "300").has_value());
  CHECK_FALSE(config_set(config, "proto-max-bulk-len", "2mb").has_value());
  CHECK(config.proto_max_bulk_len == 2 * kMiB);
  CHECK_FALSE(config_set(config, "client-query-buffer-limit", "64mb").has_value());
  CHECK_FALSE(config_set(config, "client-max-inflight-commands", "100").has_value());
  CHECK_FALSE(config_set(config, "loglevel", "debug").has_value());
  CHECK(config.loglevel == "debug");
  CHECK_FALSE(config_set(config, "hz", "0").has_value());
  CHECK(config.hz == 1);  // clamped like Redis
  CHECK_FALSE(config_set(config, "hz", "100000").has_value());
  CHECK(config.hz == 500);
  CHECK_FALSE(config_set(config, "client-output-buffer-limit", "normal 1mb 1kb 9 replica 1 2 3").has_value());
  CHECK(get_one(config, "client-output-buffer-limit") == "normal 1048576 1024 9 replica 0 0 0 pubsub 0 0 0");
  CHECK_FALSE(config_set(config, "client-output-buffer-limit", "pubsub 1 2 3").has_value());
  CHECK(config.client_output_buffer_hard == kMiB);

  CHECK(set_error(config, "nosuch", "1") == "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'");
  CHECK(set_error(config, "port", "1") == bad_value("port", "can't set immutable config"));
  CHECK(set_error(config, "databases", "16") == bad_value("databases", "can't set immutable config"));
  CHECK(set_error(config, "maxclients", "abc") ==
        bad_value("maxclients", "argument couldn't be parsed into an integer"));
  CHECK(set_error(config, "maxclients", "0") ==
        bad_value("maxclients", "argument must be between 1 and 4294967295 inclusive"));
  CHECK(set_error(config, "timeout", "-1") ==
        bad_value("timeout", "argument must be between 0 and 2147483647 inclusive"));
  CHECK(set_error(config, "hz", "abc") == bad_value("hz", "argument couldn't be parsed into an integer"));
  CHECK(set_error(config, "proto-max-bulk-len", "1zz") ==
        bad_value("proto-max-bulk-len", "argument must be a memory value"));
  CHECK(set_error(config, "proto-max-bulk-len", "1") ==
        bad_value("proto-max-bulk-len", "argument must be between 1048576 and 9223372036854775807 inclusive"));
  CHECK(set_error(config, "loglevel", "foo") ==
        bad_value("loglevel", "argument(s) must be one of the following: debug, verbose, notice, warning"));
  CHECK(set_error(config, "client-output-buffer-limit", "normal 1 2") ==
        bad_value("client-output-buffer-limit", "Wrong number of arguments in buffer limit configuration."));
  CHECK(set_error(config, "client-output-buffer-limit", "foo 1 1 1") ==
        bad_value("client-output-buffer-limit", "Invalid client class specified in buffer limit configuration."));
  CHECK(set_error(config, "client-output-buffer-limit", "normal 5 5 5 pubsub a 1 1") ==
        bad_value("client-output-buffer-limit",
                  "Error in hard, soft or soft_seconds setting in buffer limit configuration."));
  CHECK(config.client_output_buffer_hard == kMiB);  // the failed SET changed nothing
  CHECK(config.maxclients == 50);
}

TEST_CASE("CONFIG SET with several pairs: names are checked first, then values, all or nothing") {
  Config config;
  auto set = [&](std::initializer_list<std::string_view> pairs) {
    return config_set(config, std::span<const std::string_view>(pairs.begin(), pairs.size()));
  };
  CHECK_FALSE(set({"hz", "20", "maxclients", "77"}).has_value());
  CHECK(config.hz == 20);
  CHECK(config.maxclients == 77);
  // A repeated name, in any case, is the error before any value is parsed (Redis 7.0).
  CHECK(set({"hz", "10", "hz", "11"}) == bad_value("hz", "duplicate parameter"));
  CHECK(set({"HZ", "10", "hz", "abc"}) == bad_value("hz", "duplicate parameter"));
  // The first bad name wins, whatever its kind; an unknown name beats an earlier bad value.
  CHECK(set({"hz", "abc", "nope", "1"}) == "ERR Unknown option or number of arguments for CONFIG SET - 'nope'");
  CHECK(set({"hz", "10", "hz", "11", "nope", "1"}) == bad_value("hz", "duplicate parameter"));
  CHECK(set({"port", "1", "nope", "1"}) == bad_value("port", "can't set immutable config"));
  // Values: the first bad one is the error, and nothing changes.
  CHECK(set({"maxclients", "5", "hz", "abc"}) == bad_value("hz", "argument couldn't be parsed into an integer"));
  CHECK(config.hz == 20);
  CHECK(config.maxclients == 77);
}

TEST_CASE("usage lists every flag with its default") {
  std::string usage = config_usage();
  for (auto& [name, value] : config_get(Config{}, "*")) {
    CAPTURE(name);
    CHECK(contains(usage, "--" + name + " "));
  }
  CHECK(contains(usage, "(default: 6379)"));
  CHECK(contains(usage, "--config FILE"));
}

TEST_CASE("etc/tessera.conf loads cleanly to the defaults") {
  auto path = std::filesystem::path(__FILE__).parent_path() / "../../../etc/tessera.conf";
  REQUIRE(std::filesystem::exists(path));
  Config loaded = load({path.string()});
  CHECK(config_get(loaded, "*") == config_get(Config{}, "*"));
}

TEST_CASE("memcached port: a number, 0 to disable, auto for a free port") {
  CHECK(load({"--memcached-port", "0"}).memcached_port == 0);
  CHECK(load({"--memcached-port", "auto"}).memcached_port == kAutoPort);
  CHECK(get_one(load({"--memcached-port", "auto"}), "memcached-port") == "auto");
  CHECK(contains(error_of([] { load({"--memcached-port", "70000"}); }), "memcached-port"));
  CHECK(contains(error_of([] { load({"--memcached-port", "-1"}); }), "memcached-port"));
}

TEST_CASE("memcached's flags map onto Tessera's keys") {
  Config config = load({"-p", "22122", "-U", "0", "-c", "77", "-t", "3", "-I", "2m", "-l", "0.0.0.0", "-u", "nobody"});
  CHECK(config.memcached_port == 22122);
  CHECK(config.maxclients == 77);
  CHECK(config.workers == 3);
  CHECK(config.item_size_max == 2 * kMiB);
  CHECK(config.bind == "0.0.0.0");
  CHECK(load({"-I", "512k"}).item_size_max == 512 * 1024);
  CHECK(load({"-I", "4096"}).item_size_max == 4096);
  CHECK(load({"-m", "64"}).port == 6379);  // accepted and ignored (no memory limit yet)
  CHECK(contains(error_of([] { load({"-U", "11211"}); }), "UDP"));
  CHECK(contains(error_of([] { load({"-I", "100"}); }), "item-size-max"));
  CHECK(contains(error_of([] { load({"-p"}); }), "needs a value"));
}

}  // namespace tessera::server
