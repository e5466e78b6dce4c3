// CommandStats (command_stats.h): per-command counts, error codes filed as Redis files
// them, the cap on distinct codes, reset; and the CycleClock rate INFO converts ticks with.
#include <doctest/doctest.h>

#include <string>
#include <thread>

#include "runtime/command_stats.h"
#include "runtime/cycle_clock.h"

namespace tessera::runtime {
namespace {

TEST_CASE("an error is filed under its first word when a space comes within 31 bytes, else ERR") {
  CHECK(error_code("ERR syntax error") == "ERR");
  CHECK(error_code("WRONGTYPE Operation against a key holding the wrong kind of value") == "WRONGTYPE");
  CHECK(error_code("NOPROTO unsupported protocol version") == "NOPROTO");
  CHECK(error_code("NOSPACE") == "ERR");
  CHECK(error_code("") == "ERR");
  CHECK(error_code(" leading space") == "");  // Redis files it under an empty code too
  const std::string code30(30, 'C');
  CHECK(error_code(code30 + " text") == code30);     // space at byte 30: within the search
  CHECK(error_code(code30 + "C text") == "ERR");     // space at byte 31: beyond it
}

TEST_CASE("calls, time, failures and rejections add up per command; reset zeroes them") {
  CommandStats stats(4);
  stats.executed(1, 100, false);
  stats.executed(1, 50, true);
  stats.add_ticks(1, 7);
  stats.rejected(1);
  stats.rejected(3);
  const auto one = stats.command(1);
  CHECK(one.calls == 2);
  CHECK(one.ticks == 157);
  CHECK(one.failed == 1);
  CHECK(one.rejected == 1);
  CHECK(stats.command(3).rejected == 1);
  CHECK(stats.command(3).calls == 0);
  CHECK(stats.command(0).calls == 0);
  stats.reset();
  for (size_t i = 0; i < 4; ++i) {
    const auto c = stats.command(i);
    CHECK(c.calls + c.ticks + c.failed + c.rejected == 0);
  }
}

TEST_CASE("error replies count in the total and per code; codes past the cap count in the total only") {
  CommandStats stats(1);
  stats.error_reply("ERR syntax error");
  stats.error_reply("WRONGTYPE Operation against a key holding the wrong kind of value");
  stats.error_reply("ERR value is not an integer or out of range");
  CHECK(stats.error_replies() == 3);
  REQUIRE(stats.error_code_count() == 2);
  CHECK(stats.error_code_text(0) == "ERR");
  CHECK(stats.error_code_replies(0) == 2);
  CHECK(stats.error_code_text(1) == "WRONGTYPE");
  CHECK(stats.error_code_replies(1) == 1);

  for (size_t i = stats.error_code_count(); i < CommandStats::kMaxErrorCodes + 5; ++i) {
    stats.error_reply("CODE" + std::to_string(i) + " text");
  }
  CHECK(stats.error_code_count() == CommandStats::kMaxErrorCodes);
  CHECK(stats.error_replies() == 3 + CommandStats::kMaxErrorCodes + 5 - 2);
  stats.error_reply("ERR again");  // a known code still counts
  CHECK(stats.error_code_replies(0) == 3);

  stats.reset();
  CHECK(stats.error_replies() == 0);
  CHECK(stats.error_code_replies(0) == 0);
  CHECK(stats.error_code_count() == CommandStats::kMaxErrorCodes);  // codes stay, at zero
}

TEST_CASE("the cycle clock runs forward at a positive rate measured since the anchor") {
  CycleClock::anchor();
  const uint64_t before = CycleClock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  const uint64_t after = CycleClock::now();
  CHECK(after > before);
  const double rate = CycleClock::ticks_per_usec();
  CHECK(rate > 1.0);  // at least 1 MHz: a TSC or steady_clock's nanoseconds
  // 2 ms of ticks convert to about 2000 us (loosely: a preemption between the anchor's two
  // clock reads skews a rate measured over a few milliseconds).
  CHECK(static_cast<double>(after - before) / rate >= 1000.0);
}

}  // namespace
}  // namespace tessera::runtime
