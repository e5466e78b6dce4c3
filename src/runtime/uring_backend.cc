// IoBackend over io_uring (liburing): multishot recv into a ring of provided buffers (one
// armed receive per connection for its whole life, copied into conn->in as data arrives;
// plain single-shot recv where the kernel has no buffer rings), send from
// conn->sending (double-buffered with conn->out so replies keep accumulating while a send
// is in flight), single-shot accept re-armed per completion, and a read on the doorbell
// eventfd so a parked thread wakes in io_uring_submit_and_wait.
//
// user_data = pointer | operation (pointers are 8-byte aligned, the low 3 bits are free).
// Invariant: a Connection is never freed while recv_in_flight or send_in_flight is set;
// read_busy/write_busy report them and the stages wait for the completions.
//
// Sockets are registered files of the ring (slot = fd), so a send or an armed receive does
// not take and drop a reference to the socket's file each time; the ring's own fd is
// registered too, for io_uring_enter. Invariant: slot fd holds conn's socket only while
// registered_[fd] == conn, and forget(conn) empties it before the fd is closed (else the
// ring would keep the socket open). Without kernel support both fall back to plain fds.
#include <liburing.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "runtime/connection.h"
#include "runtime/io_backend.h"

namespace tessera::runtime {
namespace {

constexpr unsigned kRingEntries = 4096;
constexpr size_t kRecvChunk = 16 * 1024;
constexpr uint64_t kOpMask = 7;
// Provided receive buffers, per thread: a completion takes one, the backend copies it into
// the connection's buffer and returns it at once, so few are ever out.
constexpr unsigned kProvidedBuffers = 128;  // power of two (buffer-ring requirement)
constexpr size_t kProvidedBufferBytes = 8 * 1024;
constexpr int kBufferGroup = 0;
// Registered-file slots per ring, at most: a socket with a larger fd uses its plain fd.
constexpr rlim_t kMaxFixedFiles = 65536;

enum Op : uint64_t { kOpRecv = 1, kOpSend = 2, kOpAccept = 3, kOpDoorbell = 4, kOpCancel = 5, kOpAcceptLater = 6 };

class UringBackend final : public IoBackend {
 public:
  UringBackend(IoHandler& handler, int doorbell_fd) : handler_(handler), doorbell_fd_(doorbell_fd) {}
  // REQUIRES: called on the thread that will use the ring (SINGLE_ISSUER).
  bool init() {
    // Task work deferred to our own io_uring_enter calls (no IPIs or interrupts of the
    // thread for each completion) when the kernel has it; plainer setups otherwise.
    static constexpr unsigned kFlagSets[] = {
        IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
        IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN,
        0,
    };
    bool ok = false;
    for (unsigned flags : kFlagSets) {
      io_uring_params params{};
      params.flags = flags;
      if (io_uring_queue_init_params(kRingEntries, &ring_, &params) == 0) {
        ok = true;
        break;
      }
    }
    if (!ok) {
      return false;
    }
    initialized_ = true;
    io_uring_register_ring_fd(&ring_);  // optional: enter then skips the ring fd's lookup
    setup_fixed_files();
    if (buffer_rings_wanted()) {
      setup_buffer_ring();
    }
    arm_doorbell();
    return true;
  }
  ~UringBackend() override {
    if (initialized_) {
      io_uring_queue_exit(&ring_);
    }
    if (buffer_ring_ != nullptr) {
      munmap(buffer_ring_, buffer_ring_bytes_);
    }
  }

  const char* name() const override { return "io_uring"; }

  void add_listener(int fd) override {
    listening_.push_back(fd);
    arm_accept(fd);
  }
  void remove_listener(int fd) override { std::erase(listening_, fd); }

  void enable_read(Connection* conn) override {
    conn->reading = true;
    if (conn->recv_in_flight) {
      return;
    }
    io_uring_sqe* sqe = get_sqe();
    if (buffer_ring_ != nullptr) {
      io_uring_prep_recv_multishot(sqe, conn->fd, nullptr, 0, 0);
      use_fixed_file(conn, sqe);
      sqe->flags |= IOSQE_BUFFER_SELECT;
      sqe->buf_group = kBufferGroup;
    } else {
      char* dst = conn->recv_buffer().lend_tail(kRecvChunk);
      io_uring_prep_recv(sqe, conn->fd, dst, conn->recv_buffer().free_space(), 0);
    }
    io_uring_sqe_set_data64(sqe, reinterpret_cast<uint64_t>(conn) | kOpRecv);
    conn->recv_in_flight = true;
  }
  void disable_read(Connection* conn) override {
    conn->reading = false;
    if (conn->recv_in_flight) {
      // A multishot receive keeps delivering, and a single-shot one waits for input: cancel
      // either (it then ends with -ECANCELED, or completes with what it had).
      io_uring_sqe* sqe = get_sqe();
      io_uring_prep_cancel64(sqe, reinterpret_cast<uint64_t>(conn) | kOpRecv, 0);
      io_uring_sqe_set_data64(sqe, kOpCancel);
    }
  }
  bool read_busy(const Connection* conn) const override { return conn->recv_in_flight; }

  void flush(Connection* conn) override {
    if (conn->send_in_flight || conn->out.empty()) {
      return;
    }
    conn->sending.swap(conn->out);
    submit_send(conn);
  }
  bool write_busy(const Connection* conn) const override { return conn->send_in_flight; }
  void forget(Connection* conn) override {
    const auto fd = static_cast<size_t>(conn->fd);
    if (fd < registered_.size() && registered_[fd] == conn) {
      int empty = -1;
      io_uring_register_files_update(&ring_, static_cast<unsigned>(fd), &empty, 1);
      registered_[fd] = nullptr;
    }
  }

  void wait(int timeout_ms) override {
    if (timeout_ms == 0) {
      io_uring_submit_and_get_events(&ring_);
    } else if (timeout_ms < 0) {
      io_uring_submit_and_wait(&ring_, 1);
    } else {
      __kernel_timespec ts{};
      ts.tv_sec = timeout_ms / 1000;
      ts.tv_nsec = static_cast<long long>(timeout_ms % 1000) * 1000000;
      io_uring_cqe* cqe = nullptr;
      io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
    }
    reap();
  }

 private:
  io_uring_sqe* get_sqe() {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    while (sqe == nullptr) {
      io_uring_submit(&ring_);
      sqe = io_uring_get_sqe(&ring_);
    }
    return sqe;
  }

  void submit_send(Connection* conn) {
    auto data = conn->sending.readable();
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_send(sqe, conn->fd, data.data(), data.size(), MSG_NOSIGNAL);
    use_fixed_file(conn, sqe);
    io_uring_sqe_set_data64(sqe, reinterpret_cast<uint64_t>(conn) | kOpSend);
    conn->send_in_flight = true;
  }

  // A sparse table with one slot per possible fd (up to kMaxFixedFiles): the kernel refuses
  // more slots than RLIMIT_NOFILE allows.
  void setup_fixed_files() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
      return;
    }
    const rlim_t slots = std::min(limit.rlim_cur, kMaxFixedFiles);
    if (io_uring_register_files_sparse(&ring_, static_cast<unsigned>(slots)) == 0) {
      registered_.assign(static_cast<size_t>(slots), nullptr);
    }
  }

  // Points sqe (prepared with conn->fd) at conn's registered slot, registering the socket
  // the first time this ring uses it. Leaves the plain fd where there is no slot.
  void use_fixed_file(Connection* conn, io_uring_sqe* sqe) {
    const auto fd = static_cast<size_t>(conn->fd);
    if (fd >= registered_.size()) {
      return;
    }
    if (registered_[fd] != conn) {
      if (io_uring_register_files_update(&ring_, static_cast<unsigned>(fd), &conn->fd, 1) != 1) {
        return;
      }
      registered_[fd] = conn;
    }
    sqe->flags |= IOSQE_FIXED_FILE;  // sqe->fd, the slot, is already fd
  }

  void arm_accept(int listen_fd) {
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_accept(sqe, listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    io_uring_sqe_set_data64(sqe, (static_cast<uint64_t>(listen_fd) << 3) | kOpAccept);
  }

  // Accepting again on `listen_fd` in kAcceptBackoffMs (accept_lacks_resources).
  void arm_accept_later(int listen_fd) {
    static constexpr __kernel_timespec kBackoff{0, static_cast<long long>(kAcceptBackoffMs) * 1'000'000};
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_timeout(sqe, const_cast<__kernel_timespec*>(&kBackoff), 0, 0);  // the kernel only reads it
    io_uring_sqe_set_data64(sqe, (static_cast<uint64_t>(listen_fd) << 3) | kOpAcceptLater);
  }

  void arm_doorbell() {
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_read(sqe, doorbell_fd_, &doorbell_value_, sizeof doorbell_value_, 0);
    io_uring_sqe_set_data64(sqe, kOpDoorbell);
  }

  void reap() {
    // Completions are copied out first: handlers may submit (and a full CQ must drain).
    for (;;) {
      io_uring_cqe* cqe;
      unsigned head;
      unsigned count = 0;
      Completion batch[kBatch];
      io_uring_for_each_cqe(&ring_, head, cqe) {
        batch[count++] = Completion{cqe->user_data, cqe->res, cqe->flags};
        if (count == kBatch) {
          break;
        }
      }
      io_uring_cq_advance(&ring_, count);
      for (unsigned i = 0; i < count; ++i) {
        complete(batch[i], i + 1 < count ? &batch[i + 1] : nullptr);
      }
      if (count < kBatch) {
        return;
      }
    }
  }

  struct Completion {
    uint64_t data;
    int res;
    uint32_t flags;
  };

  // TESSERA_URING_BUFFER_RING=0 keeps single-shot receives, as on kernels without buffer
  // rings (before 5.19): how the tests reach that path on a newer kernel.
  static bool buffer_rings_wanted() {
    const char* setting = std::getenv("TESSERA_URING_BUFFER_RING");
    return setting == nullptr || std::strcmp(setting, "0") != 0;
  }

  // Registers kProvidedBuffers buffers as group kBufferGroup. Without kernel support the
  // backend keeps single-shot receives (buffer_ring_ stays null).
  void setup_buffer_ring() {
    buffer_ring_bytes_ = kProvidedBuffers * sizeof(io_uring_buf);
    void* mem = mmap(nullptr, buffer_ring_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
      return;
    }
    auto* br = static_cast<io_uring_buf_ring*>(mem);
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<uint64_t>(br);
    reg.ring_entries = kProvidedBuffers;
    reg.bgid = kBufferGroup;
    if (io_uring_register_buf_ring(&ring_, &reg, 0) != 0) {
      munmap(mem, buffer_ring_bytes_);
      return;
    }
    buffers_ = std::make_unique<char[]>(kProvidedBuffers * kProvidedBufferBytes);
    io_uring_buf_ring_init(br);
    for (unsigned i = 0; i < kProvidedBuffers; ++i) {
      io_uring_buf_ring_add(br, buffers_.get() + i * kProvidedBufferBytes, kProvidedBufferBytes,
                            static_cast<unsigned short>(i), io_uring_buf_ring_mask(kProvidedBuffers),
                            static_cast<int>(i));
    }
    io_uring_buf_ring_advance(br, kProvidedBuffers);
    buffer_ring_ = br;
  }

  void recycle_buffer(unsigned id) {
    io_uring_buf_ring_add(buffer_ring_, buffers_.get() + id * kProvidedBufferBytes, kProvidedBufferBytes,
                          static_cast<unsigned short>(id), io_uring_buf_ring_mask(kProvidedBuffers), 0);
    io_uring_buf_ring_advance(buffer_ring_, 1);
  }

  static bool is_data(const Completion& c) { return c.res > 0 && (c.flags & IORING_CQE_F_BUFFER); }

  // A multishot receive completion: data is copied out of its provided buffer, which goes
  // straight back to the ring. Without IORING_CQE_F_MORE the receive has ended (EOF, error,
  // cancel, or no buffer was free) and is re-armed if the parser still wants to read.
  // Consecutive data completions of one connection (a request larger than a provided
  // buffer: a 1000-key TABLE.MGET is about 20 KiB) reach the parser as one receive, so it
  // parses the request once instead of resuming after every buffer.
  void complete_multishot_recv(Connection* conn, const Completion& c, const Completion* next) {
    const bool ended = (c.flags & IORING_CQE_F_MORE) == 0;
    if (ended) {
      conn->recv_in_flight = false;
    }
    if (is_data(c)) {
      unsigned id = c.flags >> IORING_CQE_BUFFER_SHIFT;
      ByteBuffer& in = conn->recv_buffer();
      std::memcpy(in.prepare(static_cast<size_t>(c.res)), buffers_.get() + id * kProvidedBufferBytes,
                  static_cast<size_t>(c.res));
      in.commit(static_cast<size_t>(c.res));
      recycle_buffer(id);
      pending_recv_bytes_ += c.res;
      if (!ended && next != nullptr && next->data == c.data && is_data(*next)) {
        return;  // the next completion carries on this receive
      }
      const long n = pending_recv_bytes_;
      pending_recv_bytes_ = 0;
      handler_.on_recv(conn, n);
      return;
    }
    if (c.res == -ENOBUFS || ended_without_input(c.res)) {
      after_early_end(conn);
      return;
    }
    handler_.on_recv(conn, c.res);  // 0 = EOF, < 0 = error
  }

  // A receive that ended with neither input nor an error of the socket's own: cancelled by
  // disable_read, or interrupted.
  static bool ended_without_input(int res) { return res == -ECANCELED || res == -EAGAIN || res == -EINTR; }
  // After such an end, multishot or single-shot: the parser gets the end it waits for when
  // its read side is ending, else the receive is armed again while it still reads (a paused
  // connection stays unarmed until enable_read).
  void after_early_end(Connection* conn) {
    if (conn->read_ending) {
      handler_.on_recv(conn, 0);
    } else if (conn->reading) {
      enable_read(conn);
    }
  }
  static constexpr unsigned kBatch = 256;

  void complete(const Completion& c, const Completion* next) {
    uint64_t op = c.data & kOpMask;
    if (op == kOpDoorbell) {
      arm_doorbell();
      return;
    }
    if (op == kOpCancel) {
      return;  // the cancelled receive reports its own end
    }
    if (op == kOpAccept) {
      int listen_fd = static_cast<int>(c.data >> 3);
      if (c.res >= 0) {
        handler_.on_accept(listen_fd, c.res);
      }
      const bool still_listening = std::find(listening_.begin(), listening_.end(), listen_fd) != listening_.end();
      if (still_listening && accept_lacks_resources(-c.res)) {
        arm_accept_later(listen_fd);
      } else if (still_listening && c.res != -EBADF && c.res != -EINVAL) {
        arm_accept(listen_fd);
      }
      return;
    }
    if (op == kOpAcceptLater) {  // the backoff's timeout has expired
      int listen_fd = static_cast<int>(c.data >> 3);
      if (std::find(listening_.begin(), listening_.end(), listen_fd) != listening_.end()) {
        arm_accept(listen_fd);
      }
      return;
    }
    auto* conn = reinterpret_cast<Connection*>(c.data & ~kOpMask);
    if (op == kOpRecv && buffer_ring_ != nullptr) {
      complete_multishot_recv(conn, c, next);
      return;
    }
    if (op == kOpRecv) {
      conn->recv_in_flight = false;
      conn->recv_buffer().give_back_tail(c.res > 0 ? static_cast<size_t>(c.res) : 0);
      if (ended_without_input(c.res)) {
        after_early_end(conn);
        return;
      }
      handler_.on_recv(conn, c.res);
      return;
    }
    // kOpSend
    if (c.res < 0) {
      if (c.res == -EAGAIN || c.res == -EINTR) {
        submit_send(conn);
        return;
      }
      conn->send_in_flight = false;
      conn->sending.clear();
      handler_.on_send_error(conn, c.res);
      return;
    }
    conn->sending.consume(static_cast<size_t>(c.res));
    if (!conn->sending.empty()) {
      submit_send(conn);
    } else if (!conn->out.empty()) {
      conn->sending.swap(conn->out);
      submit_send(conn);
    } else {
      conn->send_in_flight = false;
    }
    handler_.on_sent(conn);
  }

  IoHandler& handler_;
  int doorbell_fd_;
  io_uring ring_{};
  bool initialized_ = false;
  long pending_recv_bytes_ = 0;  // data of a receive whose next completion continues it
  std::vector<int> listening_;  // listening sockets with an accept armed
  std::vector<const Connection*> registered_;  // slot (= fd) -> the connection it holds
  uint64_t doorbell_value_ = 0;
  io_uring_buf_ring* buffer_ring_ = nullptr;  // null: single-shot receives
  size_t buffer_ring_bytes_ = 0;
  std::unique_ptr<char[]> buffers_;
};

}  // namespace

std::unique_ptr<IoBackend> make_uring_backend(IoHandler& handler, int doorbell_fd) {
  auto backend = std::make_unique<UringBackend>(handler, doorbell_fd);
  if (!backend->init()) {
    return nullptr;
  }
  return backend;
}

bool io_uring_available() {
  io_uring ring;
  if (io_uring_queue_init(8, &ring, 0) < 0) {
    return false;
  }
  io_uring_queue_exit(&ring);
  return true;
}

}  // namespace tessera::runtime
