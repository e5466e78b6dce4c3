// ByteBuffer: append, consume and compaction keep the readable bytes; appending nothing
// (an empty reply, whose view may have a null data pointer) is a no-op.
#include "runtime/byte_buffer.h"

#include <doctest/doctest.h>

#include <string>
#include <string_view>

using tessera::runtime::ByteBuffer;

TEST_CASE("appending an empty view, even with a null data pointer, changes nothing") {
  ByteBuffer b;
  b.append(std::string_view{});
  CHECK(b.empty());
  b.append("ab");
  b.append(std::string_view{});
  CHECK(b.readable() == "ab");
}

TEST_CASE("bytes survive consume, growth and compaction in order") {
  ByteBuffer b;
  std::string expected;
  for (int i = 0; i < 2000; ++i) {
    std::string piece = std::to_string(i) + ",";
    b.append(piece);
    expected += piece;
    if (i % 3 == 0) {
      b.consume(2);
      expected.erase(0, 2);
    }
  }
  CHECK(b.readable() == expected);
  b.consume(expected.size());
  CHECK(b.empty());
}
