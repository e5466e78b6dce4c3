// Memcached reply shapes in the reply model and their text encoding (memcache_model.h).
#include "protocol/memcache_model.h"

namespace tessera::protocol {
namespace {

constexpr std::string_view kCrlf = "\r\n";
constexpr uint32_t kValueFields = 3;
constexpr uint32_t kValueFieldsWithCas = 4;

// One element of a values reply (the array or null already read).
void encode_value(ReplyReader& reader, const ReplyValue& element, std::string& out) {
  if (element.tag != ReplyTag::kArray) {
    return;  // a miss
  }
  std::string_view key = reader.next().str;
  auto flags = static_cast<uint32_t>(reader.next().integer);
  std::string_view data = reader.next().str;
  if (element.count >= kValueFieldsWithCas) {
    append_memcache_value_cas(out, key, flags, data, static_cast<uint64_t>(reader.next().integer));
  } else {
    append_memcache_value(out, key, flags, data);
  }
}

void encode_meta(ReplyReader& reader, std::string& out) {
  std::string_view code = reader.next().str;
  ReplyValue value = reader.next();
  std::string_view flags = reader.next().str;
  if (value.tag == ReplyTag::kBulk) {
    begin_meta_value(out, value.str.size());
    out.append(flags);
    end_meta_value(out, value.str);
    return;
  }
  out.append(code);
  out.append(flags);
  end_meta(out);
}

}  // namespace

void write_memcache_value(ReplyWriter& w, std::string_view key, uint32_t flags, std::string_view data) {
  w.array(kValueFields);
  w.bulk(key);
  w.integer(flags);
  w.bulk(data);
}

void write_memcache_value_cas(ReplyWriter& w, std::string_view key, uint32_t flags, std::string_view data,
                              uint64_t cas) {
  w.array(kValueFieldsWithCas);
  w.bulk(key);
  w.integer(flags);
  w.bulk(data);
  w.integer(static_cast<int64_t>(cas));
}

void write_meta_reply(ReplyWriter& w, MetaCode code, const std::string_view* value, std::string_view flags) {
  constexpr uint32_t kMetaFields = 3;
  w.push(kMetaFields);
  w.simple(meta_code_text(code));
  if (value != nullptr) {
    w.bulk(*value);
  } else {
    w.null();
  }
  w.bulk(flags);
}

void encode_memcache_text(std::string_view model, std::string& out) {
  ReplyReader reader(model);
  while (!reader.at_end()) {
    ReplyValue v = reader.next();
    switch (v.tag) {
      case ReplyTag::kSimple:
      case ReplyTag::kError:
        out.append(v.str);
        out.append(kCrlf);
        break;
      case ReplyTag::kArray:
        for (uint32_t i = 0; i < v.count; ++i) {
          encode_value(reader, reader.next(), out);
        }
        append_memcache_status(out, MemcacheStatus::kEnd);
        break;
      case ReplyTag::kPush:
        encode_meta(reader, out);
        break;
      default: {
        // Not a memcached shape: a programming error in the engine. Skip its elements so
        // the stream stays aligned, and send memcached's generic failure reply instead.
        const uint32_t elements = v.tag == ReplyTag::kMap ? v.count * 2 : v.tag == ReplyTag::kSet ? v.count : 0;
        for (uint32_t i = 0; i < elements; ++i) {
          reader.skip_value();
        }
        append_memcache_error(out, "SERVER_ERROR unexpected reply");
        break;
      }
    }
  }
}

}  // namespace tessera::protocol
