// CycleClock: a cheap monotonic tick count for timing every command (INFO commandstats'
// usec), and the rate that turns ticks into microseconds.
//
// On x86-64 a tick is one TSC cycle: reading it is one instruction (about 12 ns on the
// reference VM, against about 30 ns for clock_gettime). Elsewhere a tick is a steady_clock
// nanosecond. The TSC rate is measured against steady_clock over the time since anchor():
// the longer the server runs, the more exact it gets (after 1 ms it is within 0.1%).
// REQUIRES: an invariant TSC (Linux's `constant_tsc`, every x86-64 server CPU of the last
// decade), so that ticks mean the same time on every core.
//
// Thread safety: now() is safe anywhere; anchor() runs once at startup, before any thread
// that calls ticks_per_usec() starts.
#pragma once

#include <chrono>
#include <cstdint>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace tessera::runtime {

class CycleClock {
 public:
  static uint64_t now() {
#if defined(__x86_64__)
    return __rdtsc();
#else
    return steady_ns();
#endif
  }

  // Records the reference point the rate is measured from.
  static void anchor() { anchor_state() = Anchor{now(), steady_ns()}; }

  // Ticks per microsecond, measured since anchor().
  static double ticks_per_usec() {
#if defined(__x86_64__)
    const Anchor start = anchor_state();
    const uint64_t elapsed_ns = steady_ns() - start.ns;
    const uint64_t elapsed_ticks = now() - start.ticks;
    if (start.ns == 0 || elapsed_ns == 0 || elapsed_ticks == 0) {
      return 1000.0;  // not anchored yet: nothing can have been timed either
    }
    return static_cast<double>(elapsed_ticks) * 1000.0 / static_cast<double>(elapsed_ns);
#else
    return 1000.0;
#endif
  }

 private:
  struct Anchor {
    uint64_t ticks = 0;
    uint64_t ns = 0;
  };
  static Anchor& anchor_state() {
    static Anchor anchor;
    return anchor;
  }
  static uint64_t steady_ns() {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
            .count());
  }
};

}  // namespace tessera::runtime
