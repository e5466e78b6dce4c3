// Test harness for the memcached commands: bytes in, bytes out, over N shards. Requests are
// parsed by the real MemcacheParser (or MemcacheBinaryParser after a 0x80 first byte),
// packed by prepare_memcache_command, run by their handlers on the shard owning the key
// (a multi-key get split per shard and joined with the runtime's join_parts), and encoded
// by the real memcached encoders. Commands that run on the parser thread (stats) are not
// covered here. Single-threaded; tests only.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/memcache_binary_request.h"
#include "engine/memcache_request.h"
#include "engine/reply_join.h"
#include "engine/shard.h"
#include "protocol/memcache_binary.h"
#include "protocol/memcache_model.h"

namespace tessera::engine::test {

class MemcacheHarness {
 public:
  // 2023-11-14T22:13:20Z: a fixed "now" so expiry arithmetic is exact.
  static constexpr int64_t kStartMs = 1'700'000'000'000;

  explicit MemcacheHarness(uint32_t shards = 1) {
    for (uint32_t i = 0; i < shards; ++i) {
      shards_.push_back(std::make_unique<Shard>(i, shards));
    }
  }

  int64_t now_ms = kStartMs;

  Shard& shard_for(std::string_view key) { return *shards_[core::hash_key(key) % shards_.size()]; }

  // Sends `wire` (any number of commands) and returns every reply byte.
  std::string send(std::string_view wire) {
    pending_ += wire;
    std::string out;
    for (;;) {
      if (binary_) {
        if (!step_binary(out)) {
          break;
        }
      } else if (!step_text(out)) {
        break;
      }
    }
    return out;
  }

 private:
  bool step_text(std::string& out) {
    protocol::MemcacheRequest request;
    auto result = text_parser_.parse(pending_, request);
    switch (result.status) {
      case protocol::MemcacheParseStatus::kNeedMore:
        pending_.erase(0, result.consumed);
        return false;
      case protocol::MemcacheParseStatus::kBinary:
        binary_ = true;
        return true;
      case protocol::MemcacheParseStatus::kClose:
        pending_.clear();
        out += "<closed>";
        return false;
      case protocol::MemcacheParseStatus::kError:
        if (request.value_too_large) {
          request.noreply = result.suppressed;
          run_text(request, out);
        } else if (!result.suppressed) {
          out.append(result.error).append("\r\n");
        }
        break;
      case protocol::MemcacheParseStatus::kOk:
        if (request.command == protocol::MemcacheCommand::kQuit) {
          pending_.clear();
          out += "<closed>";
          return false;
        }
        run_text(request, out);
        break;
    }
    pending_.erase(0, result.consumed);
    return true;
  }

  bool step_binary(std::string& out) {
    protocol::MemcacheBinaryRequest request;
    auto result = binary_parser_.parse(pending_, request);
    if (result.status == protocol::MemcacheBinaryParseStatus::kNeedMore) {
      pending_.erase(0, result.consumed);
      return false;
    }
    if (result.status == protocol::MemcacheBinaryParseStatus::kError && !request.value_too_large) {
      protocol::append_binary_error(out, request.opcode, result.error, request.opaque);
      pending_.erase(0, result.consumed);
      return !result.close_after_reply;
    }
    if (result.status == protocol::MemcacheBinaryParseStatus::kClose) {
      pending_.clear();
      return false;
    }
    std::vector<std::string_view> args;
    const CommandSpec* spec = prepare_memcache_binary_command(request, storage_, args);
    REQUIRE(spec != nullptr);
    std::string model = run(*spec, args);
    protocol::encode_memcache_binary(model, out);
    pending_.erase(0, result.consumed);
    return true;
  }

  void run_text(const protocol::MemcacheRequest& request, std::string& out) {
    std::vector<std::string_view> args;
    const CommandSpec* spec = prepare_memcache_command(request, storage_, args);
    REQUIRE(spec != nullptr);
    protocol::encode_memcache_text(run(*spec, args), out);
  }

  std::string run_on(Shard& shard, const CommandSpec& spec, std::span<const std::string_view> args) {
    protocol::ReplyBuffer buffer;
    protocol::ReplyWriter writer(buffer);
    CommandContext ctx{args, writer, now_ms, 0, &shard};
    shard.run_due_flush(now_ms);  // as the worker does before each pass
    spec.handler(ctx);
    return std::string(buffer.view());
  }

  std::string run(const CommandSpec& spec, std::span<const std::string_view> args) {
    switch (spec.routing) {
      case Routing::kKey:
        return run_on(shard_for(args[static_cast<size_t>(spec.first_key)]), spec, args);
      case Routing::kAllShards: {
        std::vector<std::string> models;
        for (auto& shard : shards_) {
          models.push_back(run_on(*shard, spec, args));
        }
        return join(spec.join, models, {}, 0);
      }
      case Routing::kMultiKey:
        return run_split(spec, args);
      default: {
        Shard none(0, 1);
        return run_on(none, spec, args);
      }
    }
  }

  // Like the parser role: per shard, the arguments before the keys plus that shard's keys.
  std::string run_split(const CommandSpec& spec, std::span<const std::string_view> args) {
    const auto first = static_cast<size_t>(spec.first_key);
    std::vector<std::vector<std::string_view>> parts(shards_.size());
    std::vector<std::vector<uint32_t>> positions(shards_.size());
    for (size_t s = 0; s < shards_.size(); ++s) {
      parts[s].assign(args.begin(), args.begin() + static_cast<std::ptrdiff_t>(first));
    }
    for (size_t i = first; i < args.size(); ++i) {
      const size_t s = core::hash_key(args[i]) % shards_.size();
      parts[s].push_back(args[i]);
      positions[s].push_back(static_cast<uint32_t>(i - first));
    }
    std::vector<std::string> models;
    std::vector<std::vector<uint32_t>> used_positions;
    for (size_t s = 0; s < shards_.size(); ++s) {
      if (!positions[s].empty()) {
        models.push_back(run_on(*shards_[s], spec, parts[s]));
        used_positions.push_back(positions[s]);
      }
    }
    return join(spec.join, models, used_positions, static_cast<uint32_t>(args.size() - first));
  }

  static std::string join(Join how, const std::vector<std::string>& models,
                          const std::vector<std::vector<uint32_t>>& positions, uint32_t total_keys) {
    std::vector<ReplyPart> parts;
    for (size_t i = 0; i < models.size(); ++i) {
      parts.push_back(ReplyPart{models[i], positions.empty() ? std::span<const uint32_t>() : positions[i]});
    }
    protocol::ReplyBuffer joined;
    protocol::ReplyWriter writer(joined);
    join_parts(how, parts, total_keys, writer);
    return std::string(joined.view());
  }

  std::vector<std::unique_ptr<Shard>> shards_;
  protocol::MemcacheParser text_parser_;
  protocol::MemcacheBinaryParser binary_parser_;
  bool binary_ = false;
  std::string pending_;
  std::string storage_;
};

}  // namespace tessera::engine::test
