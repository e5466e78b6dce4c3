// Reading the configuration at startup: the redis.conf-style file (tokenized like Redis's
// sdssplitargs), the command-line flags that override it, and the --help text. Every key
// and how its value is parsed comes from the table in config_keys.cc.
//
// Thread safety: runs once on the main thread before any other thread starts. Errors are
// std::runtime_error (startup code), each naming the key, the value and, for files, the line.
#include "server/config.h"

#include <algorithm>
#include <cstdio>
#include <cctype>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <stdexcept>

#include "server/config_keys.h"

namespace tessera::server {
namespace {

constexpr std::string_view kFlagPrefix = "--";
constexpr std::string_view kConfigFlag = "--config";
constexpr int kHexBase = 16;
constexpr size_t kUsageColumnGap = 2;  // spaces between the flag column and its description

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\0'; }

int hex_digit(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower >= 'a' && lower <= 'f') {
    return lower - 'a' + 10;
  }
  return -1;
}

char unescape(char c) {
  switch (c) {
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    case 'b': return '\b';
    case 'a': return '\a';
    default: return c;
  }
}

std::string join(const std::vector<std::string>& words) {
  std::string text;
  for (const std::string& word : words) {
    text += (text.empty() ? "" : " ");
    text += word;
  }
  return text;
}

std::string lowercase(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return lower;
}

bool is_flag(std::string_view arg) { return arg.substr(0, kFlagPrefix.size()) == kFlagPrefix; }

// The caller prints these and exits before loading; they are skipped here.
bool is_caller_flag(std::string_view arg) {
  return arg == "--help" || arg == "-h" || arg == "--version" || arg == "-v";
}

// memcached's command-line flags that map onto Tessera's keys, so memcached's users can
// swap the binary in their scripts. An empty key marks a flag handled specially.
struct MemcachedFlag {
  std::string_view flag;
  std::string_view key;
};
constexpr MemcachedFlag kMemcachedFlags[] = {
    {"-p", "memcached-port"}, {"-c", "maxclients"}, {"-t", "workers"}, {"-I", "item-size-max"},
    {"-l", "bind"},           {"-U", ""},           {"-m", ""},        {"-u", ""},
};

const MemcachedFlag* find_memcached_flag(std::string_view arg) {
  for (const MemcachedFlag& f : kMemcachedFlags) {
    if (f.flag == arg) {
      return &f;
    }
  }
  return nullptr;
}

// memcached's -I sizes: a plain number of bytes, or k / m suffixes in powers of 1024.
std::string memcached_size(std::string_view value) {
  if (value.empty()) {
    return std::string(value);
  }
  const char unit = static_cast<char>(std::tolower(static_cast<unsigned char>(value.back())));
  if (unit == 'k' || unit == 'm') {
    return std::string(value.substr(0, value.size() - 1)) + (unit == 'k' ? "kb" : "mb");
  }
  return std::string(value);
}

// Applies one memcached-style flag and its value.
void apply_memcached_flag(Config& config, const MemcachedFlag& flag, std::string_view value) {
  if (flag.flag == "-U") {
    if (value != "0") {
      throw std::runtime_error("-U " + std::string(value) + ": UDP is not supported (only -U 0)");
    }
    return;
  }
  if (flag.flag == "-m") {
    std::fprintf(stderr, "tessera-server: -m %.*s ignored: Tessera has no memory limit or eviction yet\n",
                 static_cast<int>(value.size()), value.data());
    return;
  }
  if (flag.flag == "-u") {
    return;  // memcached drops root privileges to this user; Tessera runs as started
  }
  std::string text = flag.flag == "-I" ? memcached_size(value) : std::string(value);
  apply_directive(config, std::string(flag.key), {text});
}

}  // namespace

std::vector<std::string> split_config_line(std::string_view line) {
  std::vector<std::string> args;
  size_t i = 0;
  while (true) {
    while (i < line.size() && is_space(line[i])) {
      ++i;
    }
    if (i >= line.size()) {
      return args;
    }
    std::string current;
    bool in_double = false;
    bool in_single = false;
    bool done = false;
    while (!done) {
      if (in_double) {
        if (i >= line.size()) {
          throw std::runtime_error("unbalanced quotes in configuration line");
        }
        if (line[i] == '\\' && i + 3 < line.size() && line[i + 1] == 'x' && hex_digit(line[i + 2]) >= 0 &&
            hex_digit(line[i + 3]) >= 0) {
          current += static_cast<char>(hex_digit(line[i + 2]) * kHexBase + hex_digit(line[i + 3]));
          i += 3;
        } else if (line[i] == '\\' && i + 1 < line.size()) {
          current += unescape(line[++i]);
        } else if (line[i] == '"') {
          if (i + 1 < line.size() && !is_space(line[i + 1])) {
            throw std::runtime_error("closing quote must be followed by a space in configuration line");
          }
          done = true;
        } else {
          current += line[i];
        }
      } else if (in_single) {
        if (i >= line.size()) {
          throw std::runtime_error("unbalanced quotes in configuration line");
        }
        if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == '\'') {
          current += '\'';
          ++i;
        } else if (line[i] == '\'') {
          if (i + 1 < line.size() && !is_space(line[i + 1])) {
            throw std::runtime_error("closing quote must be followed by a space in configuration line");
          }
          done = true;
        } else {
          current += line[i];
        }
      } else if (i >= line.size() || is_space(line[i])) {
        done = true;
      } else if (line[i] == '"') {
        in_double = true;
      } else if (line[i] == '\'') {
        in_single = true;
      } else {
        current += line[i];
      }
      if (i < line.size()) {
        ++i;
      }
    }
    args.push_back(std::move(current));
  }
}

void apply_directive(Config& config, const std::string& key, const std::vector<std::string>& values) {
  const ConfigKey* spec = find_config_key(key);
  if (spec == nullptr) {
    throw std::runtime_error("unknown config key '" + key + "'");
  }
  std::vector<std::string> words = values;
  if (spec->multi_word && values.size() == 1) {
    words = split_config_words(values[0]);
  }
  if (auto reason = spec->apply(config, words)) {
    throw std::runtime_error("bad value for '" + std::string(spec->name) + "' ('" + join(values) + "'): " + *reason);
  }
}

void load_config_file(Config& config, const std::string& path) {
  std::ifstream file(path);
  if (!file) {
    throw std::runtime_error("cannot open config file '" + path + "'");
  }
  std::string line;
  for (int line_number = 1; std::getline(file, line); ++line_number) {
    size_t start = line.find_first_not_of(" \t\r\n");
    if (start == std::string::npos || line[start] == '#') {
      continue;  // as in Redis, a comment line is skipped before it is tokenized
    }
    try {
      std::vector<std::string> args = split_config_line(line);
      std::string key = lowercase(args[0]);
      args.erase(args.begin());
      apply_directive(config, key, args);
    } catch (const std::runtime_error& error) {
      throw std::runtime_error("config file '" + path + "', line " + std::to_string(line_number) + ": " +
                               error.what() + " (>>> '" + line + "')");
    }
  }
  config.config_file = path;
}

Config load_config(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  std::optional<std::string> file;
  size_t first_flag = 0;
  if (!args.empty() && !args[0].starts_with('-')) {
    file = std::string(args[0]);  // redis-server /etc/redis.conf
    first_flag = 1;
  }
  for (size_t i = first_flag; i < args.size(); ++i) {
    if (args[i] == kConfigFlag) {
      if (i + 1 >= args.size()) {
        throw std::runtime_error("--config needs a file name");
      }
      file = std::string(args[i + 1]);
    }
  }

  Config config;
  if (file) {
    load_config_file(config, *file);
  }
  for (size_t i = first_flag; i < args.size();) {
    std::string_view arg = args[i++];
    if (is_caller_flag(arg)) {
      continue;
    }
    if (const MemcachedFlag* flag = find_memcached_flag(arg)) {
      if (i >= args.size()) {
        throw std::runtime_error("flag '" + std::string(arg) + "' needs a value");
      }
      apply_memcached_flag(config, *flag, args[i++]);
      continue;
    }
    if (!is_flag(arg)) {
      throw std::runtime_error("unexpected argument '" + std::string(arg) + "' (flags are --key value)");
    }
    std::vector<std::string> values;
    while (i < args.size() && !is_flag(args[i])) {
      values.emplace_back(args[i++]);
    }
    if (arg == kConfigFlag) {
      continue;  // already loaded, before every other flag so that flags override it
    }
    std::string key = lowercase(arg.substr(kFlagPrefix.size()));
    if (values.empty()) {
      throw std::runtime_error("flag '" + std::string(arg) + "' needs a value");
    }
    apply_directive(config, key, values);
  }
  return config;
}

std::string config_usage() {
  const Config defaults;
  auto flag_text = [](std::string_view name) { return "  --" + std::string(name) + " <value>"; };
  size_t width = 0;
  for (const ConfigKey& key : config_keys()) {
    width = std::max(width, flag_text(key.name).size() + kUsageColumnGap);
  }
  const int column = static_cast<int>(width);
  std::ostringstream text;
  text << std::left << std::setw(column) << "  --config FILE" << "load a redis.conf-style file\n";
  for (const ConfigKey& key : config_keys()) {
    std::string rendered = key.render(defaults);
    text << std::left << std::setw(column) << flag_text(key.name) << key.description
         << " (default: " << (rendered.empty() ? "\"\"" : rendered) << (key.mutable_at_runtime ? "; CONFIG SET" : "")
         << ")\n";
  }
  text << std::left << std::setw(column) << "  --help" << "print this text\n";
  text << std::left << std::setw(column) << "  --version" << "print the version\n";
  return text.str();
}

}  // namespace tessera::server
