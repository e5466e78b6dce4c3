// Transaction: one multi-key command whose keys span several workers, run under the ticket
// protocol so it is atomic with respect to every other command:
//   1. The parser takes the next global ticket and sends one part to each involved worker.
//   2. A worker runs a ticketed part only when every lower ticket has completed
//      (TicketBoard::completed == ticket); until then it holds back that source's later
//      commands (per-connection order) but keeps serving its other sources.
//   3. On its turn a worker runs the part's prepare step and "arrives"; from then on it runs
//      nothing else until all parts have arrived (the barrier), then runs the apply step.
//   4. The last part to apply completes the ticket and wakes the workers.
// Deadlock freedom: the lowest incomplete ticket's parts are never behind a stalled record
// (a source only stalls at a higher ticket; one parser's tickets are increasing), so that
// ticket always completes. Single-shard commands never take a ticket.
//
// Thread safety: `arrived`/`applied` are acq_rel counters; they order every prepare before
// every apply and every apply before the ticket's completion. The last applier deletes it.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "engine/cross_shard.h"
#include "runtime/spsc_ring.h"

namespace tessera::runtime {

struct Transaction {
  Transaction(uint64_t t, uint32_t n) : ticket(t), parts(n) {}
  const uint64_t ticket;
  const uint32_t parts;
  std::atomic<uint32_t> arrived{0};
  std::atomic<uint32_t> applied{0};
  engine::CrossShardState state;
  std::vector<uint32_t> worker_threads;  // whom to wake when the barrier opens
};

struct TicketBoard {
  alignas(kCacheLine) std::atomic<uint64_t> next{0};       // parsers take tickets here
  alignas(kCacheLine) std::atomic<uint64_t> completed{0};  // every ticket below is done
};

}  // namespace tessera::runtime
