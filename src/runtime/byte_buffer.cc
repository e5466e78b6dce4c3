// The per-thread spare pool behind ByteBuffer's lent storage: a stack of standard blocks,
// most recently returned on top (its lines are the likeliest still cached), at most
// ByteBuffer::kMaxSpareBlocks deep. Freed with the thread.
#include "runtime/byte_buffer.h"

#include <vector>

namespace tessera::runtime {
namespace {

thread_local std::vector<std::unique_ptr<char[]>> spare_blocks;

}  // namespace

std::unique_ptr<char[]> ByteBuffer::take_spare_block() {
  if (spare_blocks.empty()) {
    return std::make_unique_for_overwrite<char[]>(kInitialCapacity);
  }
  std::unique_ptr<char[]> block = std::move(spare_blocks.back());
  spare_blocks.pop_back();
  return block;
}

void ByteBuffer::put_spare_block(std::unique_ptr<char[]> block) {
  if (spare_blocks.size() < kMaxSpareBlocks) {
    spare_blocks.push_back(std::move(block));
  }
}

}  // namespace tessera::runtime
