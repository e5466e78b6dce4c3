// SpscRing: single-threaded behaviour (order, full, empty, wrap-around) and a two-thread
// stress test that TSan checks for races (scripts/test.sh runs it under TSan).
#include <doctest/doctest.h>

#include <cstdint>
#include <thread>

#include "runtime/spsc_ring.h"

using tessera::runtime::SpscRing;

TEST_CASE("ring is FIFO and reports full and empty") {
  SpscRing<int> ring(4);
  int out = 0;
  CHECK_FALSE(ring.try_pop(out));
  CHECK(ring.empty_approx());
  for (int i = 0; i < 4; ++i) {
    CHECK(ring.try_push(i));
  }
  CHECK_FALSE(ring.try_push(99));
  for (int i = 0; i < 4; ++i) {
    REQUIRE(ring.try_pop(out));
    CHECK(out == i);
  }
  CHECK_FALSE(ring.try_pop(out));
}

TEST_CASE("ring wraps around many times") {
  SpscRing<uint64_t> ring(8);
  uint64_t next_in = 0;
  uint64_t next_out = 0;
  for (int round = 0; round < 1000; ++round) {
    int pushes = round % 7 + 1;
    for (int i = 0; i < pushes && ring.try_push(next_in); ++i) {
      ++next_in;
    }
    uint64_t v;
    int pops = round % 5 + 1;
    for (int i = 0; i < pops && ring.try_pop(v); ++i) {
      CHECK(v == next_out);
      ++next_out;
    }
  }
  uint64_t v;
  while (ring.try_pop(v)) {
    CHECK(v == next_out++);
  }
  CHECK(next_out == next_in);
}

TEST_CASE("ring transfers every item in order between two threads") {
  constexpr uint64_t kItems = 200000;
  SpscRing<uint64_t> ring(64);
  std::thread producer([&] {
    for (uint64_t i = 1; i <= kItems;) {
      if (ring.try_push(i)) {
        ++i;
      } else {
        std::this_thread::yield();
      }
    }
  });
  uint64_t expected = 1;
  uint64_t sum = 0;
  while (expected <= kItems) {
    uint64_t v;
    if (ring.try_pop(v)) {
      REQUIRE(v == expected);
      sum += v;
      ++expected;
    } else {
      std::this_thread::yield();
    }
  }
  producer.join();
  CHECK(sum == kItems * (kItems + 1) / 2);
}

TEST_CASE("ring carries pointers whose pointees are visible to the consumer") {
  struct Payload {
    uint64_t a;
    uint64_t b;
  };
  constexpr int kItems = 20000;
  SpscRing<Payload*> ring(16);
  std::thread producer([&] {
    for (int i = 0; i < kItems;) {
      auto* p = new Payload{static_cast<uint64_t>(i), static_cast<uint64_t>(i) * 3};
      while (!ring.try_push(p)) {
        std::this_thread::yield();
      }
      ++i;
    }
  });
  for (int i = 0; i < kItems;) {
    Payload* p;
    if (ring.try_pop(p)) {
      CHECK(p->a == static_cast<uint64_t>(i));
      CHECK(p->b == static_cast<uint64_t>(i) * 3);
      delete p;
      ++i;
    } else {
      std::this_thread::yield();
    }
  }
  producer.join();
}
