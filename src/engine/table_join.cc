// Join of TABLE.* parts; see table_join.h for the part form.
#include "engine/table_join.h"

#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::engine {
namespace {

using protocol::ReplyReader;

constexpr size_t kBitsPerByte = 8;
constexpr uint32_t kFixedColumnElements = 3;     // type, values, validity
constexpr uint32_t kVariableColumnElements = 4;  // type, data, validity, offsets

struct ColumnPart {
  std::string_view type;
  std::string_view values;
  std::string_view validity;
  std::string_view offsets;  // variable width only
  bool variable = false;
};

bool bit(std::string_view bitmap, size_t i) {
  return (static_cast<uint8_t>(bitmap[i / kBitsPerByte]) >> (i % kBitsPerByte)) & 1;
}

uint32_t offset_at(std::string_view offsets, size_t i) {
  uint32_t v;
  std::memcpy(&v, offsets.data() + i * sizeof(uint32_t), sizeof v);
  return v;
}

// Reads the part header; returns a reader positioned at the payload.
ReplyReader open_part(const ReplyPart& part) {
  ReplyReader reader(part.model);
  reader.next();  // array(2)
  reader.next();  // kind
  return reader;
}

void join_columnar(std::span<const ReplyPart> parts, uint32_t total_keys, protocol::ReplyWriter& out) {
  // columns[p][c]
  std::vector<std::vector<ColumnPart>> columns(parts.size());
  for (size_t p = 0; p < parts.size(); ++p) {
    ReplyReader reader = open_part(parts[p]);
    uint32_t count = reader.next().count;
    for (uint32_t c = 0; c < count; ++c) {
      ColumnPart col;
      uint32_t elements = reader.next().count;
      col.type = reader.next().str;
      col.values = reader.next().str;
      col.validity = reader.next().str;
      if (elements == kVariableColumnElements) {
        col.offsets = reader.next().str;
        col.variable = true;
      }
      columns[p].push_back(col);
    }
  }
  const size_t column_count = columns[0].size();
  const size_t validity_bytes = (total_keys + kBitsPerByte - 1) / kBitsPerByte;
  out.array(static_cast<uint32_t>(column_count));
  for (size_t c = 0; c < column_count; ++c) {
    const bool variable = columns[0][c].variable;
    out.array(variable ? kVariableColumnElements : kFixedColumnElements);
    out.bulk(columns[0][c].type);
    std::string validity(validity_bytes, '\0');
    for (size_t p = 0; p < parts.size(); ++p) {
      const ColumnPart& col = columns[p][c];
      for (size_t j = 0; j < parts[p].positions.size(); ++j) {
        if (bit(col.validity, j)) {
          uint32_t pos = parts[p].positions[j];
          validity[pos / kBitsPerByte] = static_cast<char>(validity[pos / kBitsPerByte] | (1u << (pos % kBitsPerByte)));
        }
      }
    }
    if (!variable) {
      size_t width = 0;
      for (size_t p = 0; p < parts.size() && width == 0; ++p) {
        if (!parts[p].positions.empty()) {
          width = columns[p][c].values.size() / parts[p].positions.size();
        }
      }
      char* values = out.bulk_uninitialized(width * total_keys);
      std::memset(values, 0, width * total_keys);
      for (size_t p = 0; p < parts.size(); ++p) {
        const char* src = columns[p][c].values.data();
        for (size_t j = 0; j < parts[p].positions.size(); ++j) {
          std::memcpy(values + size_t{parts[p].positions[j]} * width, src + j * width, width);
        }
      }
      out.bulk(validity);
      continue;
    }
    // Variable width: find each key's cell, then lay the cells out in key order.
    std::vector<std::string_view> cells(total_keys);
    size_t data_bytes = 0;
    for (size_t p = 0; p < parts.size(); ++p) {
      const ColumnPart& col = columns[p][c];
      for (size_t j = 0; j < parts[p].positions.size(); ++j) {
        uint32_t begin = offset_at(col.offsets, j);
        uint32_t end = offset_at(col.offsets, j + 1);
        cells[parts[p].positions[j]] = col.values.substr(begin, end - begin);
        data_bytes += end - begin;
      }
    }
    char* data = out.bulk_uninitialized(data_bytes);
    std::vector<uint32_t> offsets(size_t{total_keys} + 1, 0);
    size_t at = 0;
    for (uint32_t k = 0; k < total_keys; ++k) {
      std::memcpy(data + at, cells[k].data(), cells[k].size());
      at += cells[k].size();
      offsets[k + 1] = static_cast<uint32_t>(at);
    }
    out.bulk(validity);
    out.bulk(std::string_view(reinterpret_cast<const char*>(offsets.data()), offsets.size() * sizeof(uint32_t)));
  }
}

// Element j of part p's payload array goes to positions[j]; returns the slots.
std::vector<std::string_view> slots_in_key_order(std::span<const ReplyPart> parts, uint32_t total_keys) {
  std::vector<std::string_view> slots(total_keys);
  for (const auto& part : parts) {
    ReplyReader reader = open_part(part);
    uint32_t count = reader.next().count;
    for (uint32_t j = 0; j < count && j < part.positions.size(); ++j) {
      slots[part.positions[j]] = reader.skip_value();
    }
  }
  return slots;
}

void join_rows(std::span<const ReplyPart> parts, uint32_t total_keys, protocol::ReplyWriter& out) {
  std::vector<std::string_view> slots = slots_in_key_order(parts, total_keys);
  out.array(total_keys);
  for (std::string_view value : slots) {
    if (value.empty()) {
      out.null();
    } else {
      out.buffer().append(value);
    }
  }
}

void join_json(std::span<const ReplyPart> parts, uint32_t total_keys, protocol::ReplyWriter& out) {
  std::vector<std::string_view> slots = slots_in_key_order(parts, total_keys);
  std::string doc = "[";
  for (uint32_t k = 0; k < total_keys; ++k) {
    if (k != 0) {
      doc.push_back(',');
    }
    if (slots[k].empty()) {
      doc += "null";
    } else {
      doc += ReplyReader(slots[k]).next().str;
    }
  }
  doc.push_back(']');
  out.bulk(doc);
}

void join_sums(std::span<const ReplyPart> parts, protocol::ReplyWriter& out) {
  std::vector<std::string_view> names;
  std::vector<int64_t> sums;
  for (size_t p = 0; p < parts.size(); ++p) {
    ReplyReader reader = open_part(parts[p]);
    uint32_t count = reader.next().count / 2;
    for (uint32_t i = 0; i < count; ++i) {
      std::string_view name = reader.next().str;
      int64_t value = reader.next().integer;
      if (p == 0) {
        names.push_back(name);
        sums.push_back(value);
      } else if (i < sums.size()) {
        sums[i] += value;
      }
    }
  }
  out.map(static_cast<uint32_t>(names.size()));
  for (size_t i = 0; i < names.size(); ++i) {
    out.bulk(names[i]);
    out.integer(sums[i]);
  }
}

}  // namespace

void join_table_parts(std::span<const ReplyPart> parts, uint32_t total_keys, protocol::ReplyWriter& out) {
  ReplyReader reader(parts[0].model);
  reader.next();
  auto kind = static_cast<TablePartKind>(reader.next().integer);
  switch (kind) {
    case TablePartKind::kColumnar:
      join_columnar(parts, total_keys, out);
      return;
    case TablePartKind::kRows:
      join_rows(parts, total_keys, out);
      return;
    case TablePartKind::kJson:
      join_json(parts, total_keys, out);
      return;
    case TablePartKind::kSums:
      join_sums(parts, out);
      return;
  }
  out.error("ERR malformed table reply part");
}

}  // namespace tessera::engine
