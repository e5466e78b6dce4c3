// Join of split-command parts; see reply_join.h for each rule.
#include "engine/reply_join.h"

#include <vector>

#include "engine/table_join.h"

namespace tessera::engine {
namespace {

using protocol::ReplyReader;
using protocol::ReplyTag;

// Returns the first part whose reply is an error, or null.
const ReplyPart* first_error(std::span<const ReplyPart> parts) {
  for (const auto& part : parts) {
    if (!part.model.empty() && static_cast<ReplyTag>(part.model[0]) == ReplyTag::kError) {
      return &part;
    }
  }
  return nullptr;
}

void copy_value(std::string_view model, protocol::ReplyWriter& out) { out.buffer().append(model); }

void join_in_key_order(std::span<const ReplyPart> parts, uint32_t total_keys, protocol::ReplyWriter& out) {
  std::vector<std::string_view> slots(total_keys);
  for (const auto& part : parts) {
    ReplyReader reader(part.model);
    auto header = reader.next();
    for (uint32_t j = 0; j < header.count && j < part.positions.size(); ++j) {
      slots[part.positions[j]] = reader.skip_value();
    }
  }
  out.array(total_keys);
  for (auto value : slots) {
    if (value.empty()) {
      out.null();
    } else {
      copy_value(value, out);
    }
  }
}

}  // namespace

void join_parts(Join join, std::span<const ReplyPart> parts, uint32_t total_keys,
                protocol::ReplyWriter& out) {
  if (parts.size() == 1) {
    copy_value(parts[0].model, out);
    return;
  }
  if (const ReplyPart* error = first_error(parts)) {
    copy_value(error->model, out);
    return;
  }
  switch (join) {
    case Join::kNone:
    case Join::kAllOk:
      if (join == Join::kNone) {
        copy_value(parts[0].model, out);
      } else {
        out.ok();
      }
      return;
    case Join::kArrayInKeyOrder:
      join_in_key_order(parts, total_keys, out);
      return;
    case Join::kSumIntegers: {
      int64_t sum = 0;
      for (const auto& part : parts) {
        sum += ReplyReader(part.model).next().integer;
      }
      out.integer(sum);
      return;
    }
    case Join::kConcatArrays: {
      uint32_t total = 0;
      for (const auto& part : parts) {
        total += ReplyReader(part.model).next().count;
      }
      out.array(total);
      for (const auto& part : parts) {
        ReplyReader reader(part.model);
        reader.next();
        out.buffer().append(std::string_view(reader.position(), part.model.data() + part.model.size() - reader.position()));
      }
      return;
    }
    case Join::kColumnarInKeyOrder:
      join_table_parts(parts, total_keys, out);
      return;
    case Join::kFirstPart:
      copy_value(parts[0].model, out);  // possibly empty: a command without a reply
      return;
    case Join::kAnyNonNull:
      for (const auto& part : parts) {
        auto tag = static_cast<ReplyTag>(part.model[0]);
        if (tag != ReplyTag::kNull && tag != ReplyTag::kNullArray) {
          copy_value(part.model, out);
          return;
        }
      }
      out.null();
      return;
  }
}

}  // namespace tessera::engine
