// Parser role, memcached side: turns the bytes of a memcached connection into numbered
// commands on the same path RESP commands take (parser_role.cc routes them). The engine
// packs each request (engine/memcache_request.h); this file only handles what the
// connection itself must do: errors answered right here, `quit`, connections memcached
// closes, and the switch to the binary protocol.
#include "engine/memcache_binary_request.h"
#include "engine/memcache_request.h"
#include "runtime/connection.h"
#include "runtime/runtime.h"
#include "runtime/stage_thread.h"

namespace tessera::runtime {

StageThread::ParseStep StageThread::parse_memcache_command(Connection* conn, std::string_view input) {
  if (conn->protocol == ClientProtocol::kMemcacheBinary) {
    return parse_memcache_binary_command(conn, input);
  }
  protocol::MemcacheRequest& request = memcache_request_;
  request.clear();
  const protocol::MemcacheParseResult result = conn->memcache_parser->parse(input, request);
  // Dispatch copies what it needs before the bytes behind `request` are consumed.
  switch (result.status) {
    case protocol::MemcacheParseStatus::kNeedMore:
      conn->in.consume(result.consumed);  // non-zero while a rejected data block is skipped
      return ParseStep::kNeedMore;
    case protocol::MemcacheParseStatus::kOk:
      dispatch_memcache(conn, request);
      break;
    case protocol::MemcacheParseStatus::kError:
      if (request.value_too_large) {
        // The worker unlinks the key, as memcached does, and sends the error.
        request.noreply = result.suppressed;
        dispatch_memcache(conn, request);
      } else if (!result.suppressed) {
        reply_now(conn, conn->next_seq++, result.error);
      }
      break;
    case protocol::MemcacheParseStatus::kClose:
      end_read_side(conn);
      return ParseStep::kParsed;
    case protocol::MemcacheParseStatus::kBinary: {
      // memcached decides by the first byte of a command: from now on this connection
      // speaks the binary protocol.
      protocol::MemcacheLimits limits;
      limits.item_size_max = static_cast<size_t>(runtime_.limits().item_size_max.load(std::memory_order_relaxed));
      conn->memcache_binary_parser = std::make_unique<protocol::MemcacheBinaryParser>(limits);
      conn->protocol = ClientProtocol::kMemcacheBinary;
      return ParseStep::kParsed;  // nothing consumed: the loop parses the packet next
    }
  }
  conn->in.consume(result.consumed);
  return ParseStep::kParsed;
}

void StageThread::dispatch_memcache(Connection* conn, const protocol::MemcacheRequest& request) {
  const engine::CommandSpec* spec = engine::prepare_memcache_command(request, memcache_args_, args_scratch_);
  if (spec == nullptr) {
    end_read_side(conn);  // quit: memcached closes without a reply
    return;
  }
  route_command(conn, conn->next_seq++, *spec, args_scratch_);
}

StageThread::ParseStep StageThread::parse_memcache_binary_command(Connection* conn, std::string_view input) {
  protocol::MemcacheBinaryRequest& request = memcache_binary_request_;
  request.clear();
  const protocol::MemcacheBinaryParseResult result = conn->memcache_binary_parser->parse(input, request);
  switch (result.status) {
    case protocol::MemcacheBinaryParseStatus::kNeedMore:
      conn->in.consume(result.consumed);  // non-zero while a rejected body is skipped
      return ParseStep::kNeedMore;
    case protocol::MemcacheBinaryParseStatus::kClose:
      end_read_side(conn);
      return ParseStep::kParsed;
    case protocol::MemcacheBinaryParseStatus::kError:
      if (request.value_too_large) {
        // The worker unlinks the key (SET), as memcached does, and sends E2BIG.
        const engine::CommandSpec* spec =
            engine::prepare_memcache_binary_command(request, memcache_args_, args_scratch_);
        route_command(conn, conn->next_seq++, *spec, args_scratch_);
      } else {
        reply_binary_now(conn, request.opcode, result.error, request.opaque);
      }
      conn->in.consume(result.consumed);
      if (result.close_after_reply) {
        end_read_side(conn);
      }
      return ParseStep::kParsed;
    case protocol::MemcacheBinaryParseStatus::kOk:
      break;
  }
  const engine::CommandSpec* spec = engine::prepare_memcache_binary_command(request, memcache_args_, args_scratch_);
  if (spec == nullptr) {
    // QUIT answers, QUITQ does not; both close.
    if (!request.quiet) {
      reply_binary_now(conn, request.opcode, protocol::MemcacheBinaryStatus::kNoError, request.opaque);
    }
    conn->in.consume(result.consumed);
    end_read_side(conn);
    return ParseStep::kParsed;
  }
  route_command(conn, conn->next_seq++, *spec, args_scratch_);
  conn->in.consume(result.consumed);
  return ParseStep::kParsed;
}

// An error response, or with kNoError an empty success (QUIT): write_binary_error sends the
// status text, which is empty for kNoError, as the body.
void StageThread::reply_binary_now(Connection* conn, uint8_t opcode, protocol::MemcacheBinaryStatus status,
                                   uint32_t opaque) {
  ReplyBatch& batch = reply_batch_for(conn->replier_index);
  const size_t begin = batch.model.size();
  protocol::ReplyWriter writer(batch.model);
  protocol::write_binary_error(writer, opcode, status, opaque);
  batch.replies.push_back(
      ReplyRecord{conn, conn->next_seq++, begin, batch.model.size(), conn->reply_format(), false, PartInfo{}});
}

}  // namespace tessera::runtime
