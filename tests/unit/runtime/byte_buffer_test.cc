// ByteBuffer: append, consume and compaction keep the readable bytes; appending nothing
// (an empty reply, whose view may have a null data pointer) is a no-op; an idle buffer lends
// its block back, and the thread's spare pool hands out the most recent block first; a lent
// tail stays where its writer puts it.
#include "runtime/byte_buffer.h"

#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>
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

TEST_CASE("an idle buffer gives its block back, and the next buffer reuses the same block") {
  ByteBuffer a;
  a.append("GET key\r\n");
  const char* block = a.readable().data();
  a.release_if_idle();
  CHECK(a.capacity() == ByteBuffer::kInitialCapacity);  // not idle: unread bytes keep it
  a.consume(a.size());
  a.release_if_idle();
  CHECK(a.capacity() == 0);
  CHECK(a.empty());

  ByteBuffer b;
  b.append("+OK\r\n");
  CHECK(b.readable().data() == block);  // the most recent spare block, still cached
  CHECK(b.readable() == "+OK\r\n");
  a.append("x");  // a takes a fresh block of its own
  CHECK(a.readable().data() != block);
  CHECK(a.readable() == "x");
}

TEST_CASE("a block grown past the standard size goes to the allocator, not the pool") {
  ByteBuffer big;
  big.append(std::string(3 * ByteBuffer::kInitialCapacity, 'v'));
  CHECK(big.capacity() > ByteBuffer::kInitialCapacity);
  big.consume(big.size());
  big.release_if_idle();
  CHECK(big.capacity() == 0);
  ByteBuffer next;
  next.append("y");
  CHECK(next.capacity() == ByteBuffer::kInitialCapacity);
}

TEST_CASE("the spare pool keeps at most kMaxSpareBlocks blocks, per thread") {
  std::thread([] {
    std::vector<ByteBuffer> buffers(ByteBuffer::kMaxSpareBlocks + 8);
    for (auto& b : buffers) {
      b.append("z");
    }
    std::vector<const char*> blocks;
    for (auto& b : buffers) {
      blocks.push_back(b.readable().data());
      b.consume(1);
      b.release_if_idle();
    }
    // Handed out last-returned first; the 8 returned past the cap were freed.
    for (size_t i = 0; i < ByteBuffer::kMaxSpareBlocks; ++i) {
      ByteBuffer b;
      b.append("w");
      CHECK(b.readable().data() == blocks[ByteBuffer::kMaxSpareBlocks - 1 - i]);
      b.consume(1);
      // b's block is freed at scope end (not released): the pool shrinks by one each turn.
    }
  }).join();
}

TEST_CASE("a lent tail keeps its place while the bytes before it are consumed") {
  ByteBuffer b;
  b.append("SET a 1\r\n");
  char* tail = b.lend_tail(1024);  // a single-shot receive now owns the free space
  b.consume(b.size());             // the parser consumes everything before the tail
  b.release_if_idle();             // and may not take the block away
  CHECK(b.capacity() == ByteBuffer::kInitialCapacity);
  std::memcpy(tail, "GET a\r\n", 7);  // the receive completes
  b.give_back_tail(7);
  CHECK(b.readable() == "GET a\r\n");
  b.consume(7);
  CHECK(b.empty());
  b.release_if_idle();
  CHECK(b.capacity() == 0);
}

TEST_CASE("a loan that ends with nothing written leaves the buffer as it was") {
  ByteBuffer b;
  b.append("ab");
  b.lend_tail(16);
  b.give_back_tail(0);  // EOF or an error
  CHECK(b.readable() == "ab");
}

TEST_CASE("a loan that ends with nothing written after every byte was consumed leaves a reusable buffer") {
  ByteBuffer b;
  b.append("PING\r\n");
  b.lend_tail(64);
  b.consume(b.size());  // positions kept: the tail is lent
  b.give_back_tail(0);  // EOF: nothing written
  CHECK(b.empty());
  CHECK(b.free_space() == b.capacity());  // rewound: the whole block is free again
  b.release_if_idle();
  CHECK(b.capacity() == 0);
  CHECK(b.free_space() == 0);  // positions back at 0, not past the end of no storage
  b.append("GET k\r\n");
  CHECK(b.readable() == "GET k\r\n");
}
