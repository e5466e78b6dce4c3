// CommandStats: the error-code table and the read and reset sides (command_stats.h).
#include "runtime/command_stats.h"

#include <cstring>

namespace tessera::runtime {

std::string_view error_code(std::string_view message) {
  // Redis searches "-CODE message" for a space within 32 bytes; the model keeps no dash.
  const size_t space = message.substr(0, kErrorCodeSearch).find(' ');
  if (space == std::string_view::npos) {
    return "ERR";
  }
  return message.substr(0, space);
}

CommandStats::CommandStats(size_t commands)
    : command_count_(commands), commands_(std::make_unique<PerCommand[]>(commands)) {}

void CommandStats::error_reply(std::string_view message) {
  bump(error_replies_, 1);
  const std::string_view code = error_code(message);
  const size_t known = code_count_.load(std::memory_order_relaxed);
  // A handful of codes exist (ERR, WRONGTYPE, NOPROTO ...): a linear search is the fast one.
  for (size_t i = 0; i < known; ++i) {
    if (error_code_text(i) == code) {
      bump(codes_[i].count, 1);
      return;
    }
  }
  if (known == kMaxErrorCodes) {
    return;
  }
  ErrorCode& slot = codes_[known];
  std::memcpy(slot.text.data(), code.data(), code.size());
  slot.length = code.size();
  slot.count.store(1, std::memory_order_relaxed);
  code_count_.store(known + 1, std::memory_order_release);  // publishes text and length
}

CommandStats::CommandTotals CommandStats::command(size_t index) const {
  const PerCommand& c = commands_[index];
  return CommandTotals{c.calls.load(std::memory_order_relaxed), c.ticks.load(std::memory_order_relaxed),
                       c.failed.load(std::memory_order_relaxed), c.rejected.load(std::memory_order_relaxed)};
}

void CommandStats::reset() {
  for (size_t i = 0; i < command_count_; ++i) {
    PerCommand& c = commands_[i];
    c.calls.store(0, std::memory_order_relaxed);
    c.ticks.store(0, std::memory_order_relaxed);
    c.failed.store(0, std::memory_order_relaxed);
    c.rejected.store(0, std::memory_order_relaxed);
  }
  error_replies_.store(0, std::memory_order_relaxed);
  const size_t known = code_count_.load(std::memory_order_acquire);
  for (size_t i = 0; i < known; ++i) {
    codes_[i].count.store(0, std::memory_order_relaxed);
  }
}

}  // namespace tessera::runtime
