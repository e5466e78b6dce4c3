// tessera-server: loads the configuration (embedded defaults, an optional file, flags),
// picks the topology and I/O backend, opens the listener, starts the stage threads and waits
// for SIGTERM/SIGINT (SHUTDOWN raises SIGTERM) to stop them gracefully.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "engine/command.h"
#include "engine/string_util.h"
#include "runtime/runtime.h"
#include "server/config.h"
#include "server/listener.h"
#include "server/open_files.h"
#include "server/server_state.h"
#include "server/topology.h"
#include "server/version.h"

using namespace tessera;

namespace {

bool has_flag(int argc, char** argv, std::string_view flag) {
  for (int i = 1; i < argc; ++i) {
    if (argv[i] == flag) {
      return true;
    }
  }
  return false;
}

void print_command_table() {
  fmt::print("| Command | Group | Arity | Since | Summary |\n|---|---|---|---|---|\n");
  for (const auto& spec : engine::all_commands()) {
    fmt::print("| {} | {} | {} | {} | {} |\n", engine::ascii_uppercase(spec.name), spec.group, spec.arity, spec.since,
               spec.summary);
  }
}

int run(int argc, char** argv) {
  if (has_flag(argc, argv, "--help") || has_flag(argc, argv, "-h")) {
    fmt::print("Usage: tessera-server [config-file] [--key value ...]\n\n{}", server::config_usage());
    return 0;
  }
  if (has_flag(argc, argv, "--version") || has_flag(argc, argv, "-v")) {
    fmt::print("tessera-server {} (Redis {} compatible)\n", server::kTesseraVersion, server::kRedisCompatibleVersion);
    return 0;
  }
  if (has_flag(argc, argv, "--commands-markdown")) {
    // The README's command table is generated from the registry by this flag.
    print_command_table();
    return 0;
  }
  server::Config config = server::load_config(argc, argv);
  if (!config.logfile.empty() && std::freopen(config.logfile.c_str(), "a", stderr) == nullptr) {
    throw std::runtime_error("cannot open logfile " + config.logfile);
  }

  // Signals are taken synchronously by this thread; stage threads inherit the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  runtime::Topology topology = server::choose_topology(config, std::thread::hardware_concurrency());
  const int64_t reserved_fds = server::reserved_descriptors(topology);
  const server::OpenFilesOutcome files = server::raise_open_files_limit(config.maxclients, reserved_fds);
  for (const std::string& message : files.messages) {
    fmt::print(stderr, "tessera: {}\n", message);
  }
  if (files.too_low) {
    return 1;
  }
  config.maxclients = files.maxclients;
  int listen_fd = server::open_listener(config.bind, config.port, config.tcp_backlog);
  server::ServerState state(config);
  state.set_reserved_descriptors(reserved_fds);
  runtime::Runtime rt(topology, state);
  state.attach(rt);
  rt.add_listener(listen_fd, runtime::ClientProtocol::kResp);
  int memcache_fd = -1;
  if (config.memcached_port != 0) {
    memcache_fd = server::open_listener(config.bind, config.memcached_port == server::kAutoPort ? 0 : config.memcached_port,
                                        config.tcp_backlog);
    rt.add_listener(memcache_fd, runtime::ClientProtocol::kMemcacheText);
    state.set_memcached_port(server::bound_port(memcache_fd));
  }
  rt.start();
  fmt::print(stderr, "tessera {}: io={} parsers={} workers={} repliers={} layout={}\n", server::kTesseraVersion,
             rt.backend_name(), topology.parsers, topology.workers, topology.repliers,
             topology.layout == runtime::ThreadLayout::kShared ? "shared" : "dedicated");
  std::printf("listening resp %s %d\n", config.bind.c_str(), server::bound_port(listen_fd));
  if (memcache_fd >= 0) {
    std::printf("listening memcache %s %d\n", config.bind.c_str(), server::bound_port(memcache_fd));
  }
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  fmt::print(stderr, "tessera: received {}, shutting down\n", signal_number == SIGINT ? "SIGINT" : "SIGTERM");
  rt.request_stop();
  rt.join();
  close(listen_fd);
  if (memcache_fd >= 0) {
    close(memcache_fd);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    fmt::print(stderr, "tessera-server: {}\n", e.what());
    return 1;
  }
}
