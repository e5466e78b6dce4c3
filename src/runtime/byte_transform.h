// Per-connection byte transforms: the seam where TLS plugs in. A connection may carry a
// receive transform, run by its parser thread on the bytes received before parsing
// (TLS: decrypt), and a send transform, run by its replier thread on encoded replies before
// they are sent (TLS: encrypt). The two run concurrently on different threads, so they must
// share no mutable state (the architecture's split record-layer design).
// A connection without transforms (today: every plain TCP connection) pays nothing: the
// backend receives straight into the parse buffer and replies go straight to the output.
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "runtime/byte_buffer.h"

namespace tessera::runtime {

class RecvTransform {
 public:
  virtual ~RecvTransform() = default;
  // Consumes what it can of `wire` and appends the plain bytes to `plain`. Returns false on
  // a fatal input error (the connection is then closed).
  virtual bool decode(ByteBuffer& wire, ByteBuffer& plain) = 0;
};

class SendTransform {
 public:
  virtual ~SendTransform() = default;
  // Appends the wire form of `plain` to `wire`.
  virtual void encode(std::string_view plain, ByteBuffer& wire) = 0;
};

struct ConnectionTransforms {
  std::unique_ptr<RecvTransform> recv;
  std::unique_ptr<SendTransform> send;
};

// Called once per accepted connection on the accepting thread; may return empty transforms.
using TransformFactory = std::function<ConnectionTransforms(int fd)>;

}  // namespace tessera::runtime
