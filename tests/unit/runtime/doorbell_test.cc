// Doorbell: a producer rings only a parked consumer, and a parked consumer never misses
// work (the Dekker handshake of doorbell.h), checked with a real eventfd and two threads.
#include <doctest/doctest.h>

#include <poll.h>

#include <atomic>
#include <thread>

#include "runtime/doorbell.h"
#include "runtime/spsc_ring.h"

using tessera::runtime::Doorbell;
using tessera::runtime::SpscRing;

TEST_CASE("a running consumer is not rung") {
  Doorbell bell;
  bell.set_parked(false);
  bell.ring_if_parked();
  CHECK(bell.rings_sent() == 0);
  bell.set_parked(true);
  bell.ring_if_parked();
  CHECK(bell.rings_sent() == 1);
  pollfd p{bell.fd(), POLLIN, 0};
  CHECK(poll(&p, 1, 0) == 1);
  bell.drain();
  CHECK(poll(&p, 1, 0) == 0);
}

TEST_CASE("no wake-up is lost between a parking consumer and a producer") {
  constexpr int kItems = 5000;
  Doorbell bell;
  SpscRing<int> ring(8);
  std::thread producer([&] {
    for (int i = 0; i < kItems;) {
      if (ring.try_push(i)) {
        bell.ring_if_parked();
        ++i;
      } else {
        std::this_thread::yield();
      }
    }
  });
  int received = 0;
  while (received < kItems) {
    int v;
    if (ring.try_pop(v)) {
      REQUIRE(v == received);
      ++received;
      continue;
    }
    bell.set_parked(true);
    if (!ring.empty_approx()) {
      bell.set_parked(false);
      continue;
    }
    pollfd p{bell.fd(), POLLIN, 0};
    // Bounded wait: a lost wake-up would show as a 10 s stall and fail the test.
    REQUIRE(poll(&p, 1, 10000) == 1);
    bell.set_parked(false);
    bell.drain();
  }
  producer.join();
  CHECK(received == kItems);
}
