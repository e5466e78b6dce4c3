// Test harness for command handlers: a miniature of the runtime's routing over N Shards
// (arity check, kKey by hash, kMultiKey split per shard and joined, kAllShards fan-out and
// join, kCursor by the cursor's low byte), decoding each reply from the model bytes into a
// Value and a redis-cli-like string: OK, (error) ERR ..., (integer) 3, "bulk", (nil),
// [a, b]. Also checks every handler wrote exactly one value.
//
// Specs are looked up in string_commands()/key_commands() directly (the registry,
// command_registry.cc, belongs to the lead). Single-threaded; tests only.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/key_table.h"
#include "engine/command.h"
#include "engine/shard.h"
#include "engine/string_util.h"
#include "protocol/reply.h"

namespace tessera::engine::test {

// 2023-11-14T22:13:20Z: a fixed "now" so TTL arithmetic is exact.
inline constexpr int64_t kStartMs = 1'700'000'000'000;

struct Value {
  protocol::ReplyTag tag = protocol::ReplyTag::kNull;
  std::string str;
  int64_t integer = 0;
  std::vector<Value> elems;
};

inline Value decode_value(protocol::ReplyReader& reader) {
  protocol::ReplyValue v = reader.next();
  Value out;
  out.tag = v.tag;
  out.str = std::string(v.str);
  out.integer = v.integer;
  switch (v.tag) {
    case protocol::ReplyTag::kArray:
    case protocol::ReplyTag::kSet:
    case protocol::ReplyTag::kPush:
      for (uint32_t i = 0; i < v.count; ++i) {
        out.elems.push_back(decode_value(reader));
      }
      break;
    case protocol::ReplyTag::kMap:
      for (uint32_t i = 0; i < 2 * v.count; ++i) {
        out.elems.push_back(decode_value(reader));
      }
      break;
    default:
      break;
  }
  return out;
}

inline std::string render(const Value& v) {
  using protocol::ReplyTag;
  switch (v.tag) {
    case ReplyTag::kSimple:
      return v.str;
    case ReplyTag::kError:
      return "(error) " + v.str;
    case ReplyTag::kInteger:
      return "(integer) " + std::to_string(v.integer);
    case ReplyTag::kBulk:
      return "\"" + v.str + "\"";
    case ReplyTag::kNull:
    case ReplyTag::kNullArray:
      return "(nil)";
    case ReplyTag::kArray: {
      std::string s = "[";
      for (size_t i = 0; i < v.elems.size(); ++i) {
        s += (i ? ", " : "") + render(v.elems[i]);
      }
      return s + "]";
    }
    default:
      return "(unsupported tag)";
  }
}

inline const CommandSpec* lookup_spec(std::string_view name) {
  for (auto family : {string_commands(), key_commands()}) {
    for (const CommandSpec& spec : family) {
      if (equals_nocase(spec.name, name)) {
        return &spec;
      }
    }
  }
  return nullptr;
}

class TestServer final : public ShardDirectory {
 public:
  explicit TestServer(uint32_t shards = 1) {
    for (uint32_t i = 0; i < shards; ++i) {
      shards_.push_back(std::make_unique<Shard>(i, shards, this));
    }
  }

  // The runtime answers from the counts its workers publish; here every shard is at hand.
  bool may_hold_keys(uint32_t shard, int db_index) const override {
    const core::KeyTable* table = shards_[shard]->db_if_exists(db_index);
    return table != nullptr && table->size() != 0;
  }

  int64_t now_ms = kStartMs;
  int db = 0;

  Shard& shard(size_t i) { return *shards_[i]; }
  size_t shard_count() const { return shards_.size(); }
  uint32_t shard_of(std::string_view key) const {
    return static_cast<uint32_t>(core::hash_key(key) % shards_.size());
  }

  Value call(const std::vector<std::string>& argv) {
    std::vector<std::string_view> args(argv.begin(), argv.end());
    const CommandSpec* spec = lookup_spec(args.at(0));
    REQUIRE_MESSAGE(spec != nullptr, "unknown command ", argv[0]);
    if (!arity_ok(spec->arity, args.size())) {
      return error_value("ERR wrong number of arguments for '" + std::string(spec->name) +
                         "' command");
    }
    switch (spec->routing) {
      case Routing::kKey:
        return run_on(shard_of(args[static_cast<size_t>(spec->first_key)]), *spec, args);
      case Routing::kMultiKey:
        return run_multi_key(*spec, args);
      case Routing::kAllShards:
        return run_all(*spec, args);
      case Routing::kCursor: {
        auto cursor = parse_cursor(args[static_cast<size_t>(spec->cursor_arg)]);
        uint32_t target = cursor ? static_cast<uint32_t>((*cursor & 0xFF) % shards_.size()) : 0;
        return run_on(target, *spec, args);
      }
      default:
        FAIL("routing not supported by the test harness");
        return {};
    }
  }

  std::string run(std::initializer_list<std::string_view> argv) {
    return render(call(std::vector<std::string>(argv.begin(), argv.end())));
  }

 private:
  static Value error_value(std::string text) {
    Value v;
    v.tag = protocol::ReplyTag::kError;
    v.str = std::move(text);
    return v;
  }

  Value run_on(uint32_t target, const CommandSpec& spec, std::span<const std::string_view> args) {
    protocol::ReplyBuffer buffer;
    protocol::ReplyWriter writer(buffer);
    CommandContext ctx{args, writer, now_ms, db, shards_[target].get()};
    spec.handler(ctx);
    protocol::ReplyReader reader(buffer.view());
    REQUIRE_MESSAGE(!reader.at_end(), spec.name, " wrote no reply");
    Value v = decode_value(reader);
    CHECK_MESSAGE(reader.at_end(), spec.name, " wrote more than one reply");
    return v;
  }

  Value run_multi_key(const CommandSpec& spec, std::span<const std::string_view> args) {
    const size_t first = static_cast<size_t>(spec.first_key);
    const size_t last = spec.last_key < 0 ? args.size() - 1 : static_cast<size_t>(spec.last_key);
    const size_t step = static_cast<size_t>(spec.key_step);
    const bool pairs = (spec.flags & kKeyValuePairs) != 0;
    if (shards_.size() == 1 || (pairs && args.size() % 2 == 0)) {
      return run_on(0, spec, args);
    }
    // Split: per shard the command name plus its keys (and values), remembering positions.
    std::vector<std::vector<std::string_view>> parts(shards_.size(), {args[0]});
    std::vector<std::vector<size_t>> order(shards_.size());
    size_t key_number = 0;
    for (size_t i = first; i <= last; i += step, ++key_number) {
      uint32_t s = shard_of(args[i]);
      parts[s].push_back(args[i]);
      if (pairs) {
        parts[s].push_back(args[i + 1]);
      }
      order[s].push_back(key_number);
    }
    std::vector<uint32_t> used;
    for (uint32_t s = 0; s < shards_.size(); ++s) {
      if (order[s].size() != 0) {
        used.push_back(s);
      }
    }
    if (used.size() == 1) {
      return run_on(used[0], spec, args);
    }
    REQUIRE_MESSAGE(spec.join != Join::kNone, spec.name, " has keys on several shards");
    std::vector<Value> results;
    for (uint32_t s : used) {
      results.push_back(run_on(s, spec, parts[s]));
    }
    if (spec.join == Join::kArrayInKeyOrder) {
      Value joined;
      joined.tag = protocol::ReplyTag::kArray;
      joined.elems.resize(key_number);
      for (size_t p = 0; p < used.size(); ++p) {
        for (size_t k = 0; k < order[used[p]].size(); ++k) {
          joined.elems[order[used[p]][k]] = results[p].elems.at(k);
        }
      }
      return joined;
    }
    return join(spec.join, results);
  }

  Value run_all(const CommandSpec& spec, std::span<const std::string_view> args) {
    std::vector<Value> results;
    for (uint32_t s = 0; s < shards_.size(); ++s) {
      results.push_back(run_on(s, spec, args));
    }
    return join(spec.join, results);
  }

  static Value join(Join how, std::vector<Value>& parts) {
    for (Value& part : parts) {
      if (part.tag == protocol::ReplyTag::kError) {
        return part;
      }
    }
    Value out = parts.at(0);
    switch (how) {
      case Join::kSumIntegers:
        out.integer = 0;
        for (Value& part : parts) {
          out.integer += part.integer;
        }
        return out;
      case Join::kConcatArrays:
        out.elems.clear();
        for (Value& part : parts) {
          out.elems.insert(out.elems.end(), part.elems.begin(), part.elems.end());
        }
        return out;
      case Join::kAnyNonNull:
        for (Value& part : parts) {
          if (part.tag != protocol::ReplyTag::kNull) {
            return part;
          }
        }
        return out;
      case Join::kAllOk:
      default:
        return out;
    }
  }

  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace tessera::engine::test
