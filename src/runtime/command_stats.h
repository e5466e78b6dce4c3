// CommandStats: one StageThread's share of INFO commandstats, errorstats and
// total_error_replies. Per registered command and subcommand (config|get): calls executed,
// their execution time in CycleClock ticks, how many of them replied an error (failed) and
// how many were refused before running (rejected: wrong arity). Per error code (the first
// word of an error reply, as Redis files them): how many such replies were sent. INFO sums
// every thread's share.
//
// Thread safety: the owning StageThread is the only writer of the counts (a relaxed load
// and store, no read-modify-write on the hot path). INFO reads, and CONFIG RESETSTAT zeroes,
// from other threads through the same relaxed atomics: a reset racing an increment may lose
// one of the two, which statistics can afford. An error code's text is written before the
// code count is published (release), and never changes afterwards.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace tessera::runtime {

// The error code Redis files an error reply under: its first word, when a space comes
// within the first kErrorCodeSearch bytes, else "ERR".
std::string_view error_code(std::string_view message);
inline constexpr size_t kErrorCodeSearch = 31;

class CommandStats {
 public:
  // Distinct error codes kept per thread; replies with further codes count only in the total.
  static constexpr size_t kMaxErrorCodes = 128;

  struct CommandTotals {
    uint64_t calls = 0;
    uint64_t ticks = 0;
    uint64_t failed = 0;
    uint64_t rejected = 0;
  };

  explicit CommandStats(size_t commands);
  CommandStats(const CommandStats&) = delete;
  CommandStats& operator=(const CommandStats&) = delete;

  // Owner thread only. `command` is a statistics slot (engine/command.h).
  void executed(size_t command, uint64_t ticks, bool failed) {
    PerCommand& c = commands_[command];
    bump(c.calls, 1);
    bump(c.ticks, ticks);
    if (failed) {
      bump(c.failed, 1);
    }
  }
  // Time of a step that does not stand for the call (another part of a split command).
  void add_ticks(size_t command, uint64_t ticks) { bump(commands_[command].ticks, ticks); }
  void rejected(size_t command) { bump(commands_[command].rejected, 1); }
  void error_reply(std::string_view message);

  // Any thread.
  CommandTotals command(size_t index) const;
  uint64_t error_replies() const { return error_replies_.load(std::memory_order_relaxed); }
  size_t error_code_count() const { return code_count_.load(std::memory_order_acquire); }
  // REQUIRES: i < error_code_count().
  std::string_view error_code_text(size_t i) const { return {codes_[i].text.data(), codes_[i].length}; }
  uint64_t error_code_replies(size_t i) const { return codes_[i].count.load(std::memory_order_relaxed); }
  void reset();

 private:
  struct PerCommand {
    std::atomic<uint64_t> calls{0};
    std::atomic<uint64_t> ticks{0};
    std::atomic<uint64_t> failed{0};
    std::atomic<uint64_t> rejected{0};
  };
  struct ErrorCode {
    std::array<char, kErrorCodeSearch> text{};
    size_t length = 0;
    std::atomic<uint64_t> count{0};
  };
  static void bump(std::atomic<uint64_t>& counter, uint64_t by) {
    counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
  }

  size_t command_count_;
  std::unique_ptr<PerCommand[]> commands_;
  std::atomic<uint64_t> error_replies_{0};
  std::array<ErrorCode, kMaxErrorCodes> codes_;
  std::atomic<size_t> code_count_{0};
};

}  // namespace tessera::runtime
