// Messages between stage threads. Rings carry Message*; the receiver owns (and deletes) the
// message. Everything a stage sends to one destination during one loop iteration travels as
// one batch: one ring slot and at most one wake-up per destination per iteration.
//
//   CommandBatch  parser -> worker    commands to run on the worker's shard
//   ReplyBatch    worker/parser -> replier   model replies (and close records), sequenced
//   ControlBatch  any -> parser       new connections, resume-reading requests
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "engine/command.h"
#include "protocol/reply.h"
#include "protocol/wire_format.h"

namespace tessera::runtime {

struct Connection;
struct Transaction;

struct Message {
  enum class Kind : uint8_t { kCommands, kReplies, kControl };
  explicit Message(Kind k) : kind(k) {}
  virtual ~Message() = default;
  Kind kind;
};

// Which part of a split command a record is (a single-shard command is part 0 of 1).
struct PartInfo {
  uint16_t count = 1;
  uint16_t index = 0;
  engine::Join join = engine::Join::kNone;
  uint32_t total_keys = 0;        // kArrayInKeyOrder: keys in the whole command
  uint32_t positions_begin = 0;   // into the batch's `positions`: this part's key order
  uint32_t positions_count = 0;
};

struct CommandRecord {
  Connection* conn;
  uint64_t seq;
  const engine::CommandSpec* spec;
  uint32_t args_begin;  // into CommandBatch::args
  uint32_t argc;
  int16_t db;
  protocol::WireFormat format;
  PartInfo part;
  Transaction* txn = nullptr;  // set for a part of a multi-shard command (transaction.h)
};

struct CommandBatch final : Message {
  CommandBatch() : Message(Kind::kCommands) {}
  std::vector<CommandRecord> commands;
  std::vector<std::string_view> args;  // view `bytes`, fixed up by seal()
  std::vector<uint64_t> hashes;        // parallel to args (0 for non-key args)
  std::vector<uint32_t> positions;
  std::vector<char> bytes;
  std::vector<std::pair<size_t, size_t>> spans;  // offsets while `bytes` may still grow

  // Appends one argument (copied) and returns its index.
  uint32_t add_arg(std::string_view a, uint64_t hash) {
    size_t off = bytes.size();
    bytes.insert(bytes.end(), a.begin(), a.end());
    spans.emplace_back(off, a.size());
    hashes.push_back(hash);
    return static_cast<uint32_t>(spans.size() - 1);
  }
  void clear() {
    commands.clear();
    args.clear();
    hashes.clear();
    positions.clear();
    bytes.clear();
    spans.clear();
  }
  size_t capacity_bytes() const { return bytes.capacity() + commands.capacity() * sizeof(CommandRecord); }
  // Builds `args` once all arguments are appended (the byte vector no longer moves).
  void seal() {
    args.resize(spans.size());
    for (size_t i = 0; i < spans.size(); ++i) {
      args[i] = std::string_view(bytes.data() + spans[i].first, spans[i].second);
    }
  }
};

struct ReplyRecord {
  Connection* conn;
  uint64_t seq;
  size_t model_begin;
  size_t model_end;
  protocol::WireFormat format;
  bool is_close;
  PartInfo part;
};

struct ReplyBatch final : Message {
  ReplyBatch() : Message(Kind::kReplies) {}
  std::vector<ReplyRecord> replies;
  protocol::ReplyBuffer model;
  std::vector<uint32_t> positions;

  void clear() {
    replies.clear();
    model.clear();
    positions.clear();
  }
  size_t capacity_bytes() const { return model.capacity() + replies.capacity() * sizeof(ReplyRecord); }
};

struct ControlItem {
  enum class Type : uint8_t { kNewConnection, kResumeRead };
  Type type;
  Connection* conn;
};

struct ControlBatch final : Message {
  ControlBatch() : Message(Kind::kControl) {}
  std::vector<ControlItem> items;
};

}  // namespace tessera::runtime
