// `tern broker [server.properties] [--override name=value]... [--help]`: a real broker, like
// kafka-server-start.sh. No arguments: PLAINTEXT://127.0.0.1:9092, data in ./tern-data.
// Exit status: 0 after a clean stop (SIGTERM/SIGINT), 1 when the broker fails, 2 for a bad
// command line or configuration (one clear error line).
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include <unistd.h>

#include "broker/server/broker.h"
#include "broker/server/config.h"
#include "sim/real/real_runtime.h"
#include "tools/commands.h"
#include "tools/process_tuning.h"

namespace tern::tools {
namespace {

// The runtime the signal handler stops. RealRuntime::stop() is async-signal-safe.
real::RealRuntime* g_runtime = nullptr;

void on_signal(int) {
  if (g_runtime != nullptr) g_runtime->stop();
}

void print_usage(std::FILE* out) {
  std::fprintf(out,
               "usage: tern broker [server.properties] [--override name=value]...\n"
               "\n"
               "Runs a Kafka-compatible broker until SIGTERM/SIGINT. Settings use Apache\n"
               "Kafka's names (node.id, listeners, advertised.listeners, log.dirs,\n"
               "num.partitions, default.replication.factor, auto.create.topics.enable,\n"
               "message.max.bytes, socket.request.max.bytes, log.segment.bytes,\n"
               "log.retention.ms/hours/bytes, log.flush.interval.messages/ms, max.connections)\n"
               "plus tern.flush.durable (true: fsync before acks=all is answered).\n"
               "Defaults: listeners=PLAINTEXT://127.0.0.1:9092, log.dirs=./tern-data.\n");
}

// Splits a log dir into (the runtime's disk root, the data dir under it): the broker's disk
// paths are relative to the root.
std::pair<std::string, std::string> split_dir(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  const size_t slash = dir.rfind('/');
  if (slash == std::string::npos) return {".", dir};
  if (slash == 0) return {"/", dir.substr(1)};
  return {dir.substr(0, slash), dir.substr(slash + 1)};
}

}  // namespace

int cmd_broker(int argc, char** argv) {
  tune_allocator_for_large_buffers();
  server::BrokerConfig config;
  std::string properties_path;
  std::vector<std::string> overrides;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      print_usage(stdout);
      return 0;
    }
    if (arg == "--override") {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "tern broker: --override needs name=value\n");
        return 2;
      }
      overrides.emplace_back(argv[++i]);
    } else if (arg.rfind("--override=", 0) == 0) {
      overrides.emplace_back(arg.substr(11));
    } else if (!arg.empty() && arg[0] == '-') {
      std::fprintf(stderr, "tern broker: unknown option '%s' (see --help)\n", argv[i]);
      return 2;
    } else if (properties_path.empty()) {
      properties_path = std::string(arg);
    } else {
      std::fprintf(stderr, "tern broker: more than one properties file ('%s')\n", argv[i]);
      return 2;
    }
  }
  if (!properties_path.empty()) {
    std::ifstream in(properties_path);
    if (!in) {
      std::fprintf(stderr, "tern broker: cannot read %s\n", properties_path.c_str());
      return 2;
    }
    std::stringstream text;
    text << in.rdbuf();
    Status s = server::parse_properties(config, text.str());
    if (!s.ok()) {
      std::fprintf(stderr, "tern broker: %s: %s\n", properties_path.c_str(),
                   s.error().context().c_str());
      return 2;
    }
  }
  for (const std::string& o : overrides) {
    Status s = server::apply_override(config, o);
    if (!s.ok()) {
      std::fprintf(stderr, "tern broker: --override %s: %s\n", o.c_str(),
                   s.error().context().c_str());
      return 2;
    }
  }
  Status valid = server::validate(config);
  if (!valid.ok()) {
    std::fprintf(stderr, "tern broker: %s\n", valid.error().context().c_str());
    return 2;
  }
  for (const std::string& w : config.warnings) std::fprintf(stderr, "tern broker: warning: %s\n",
                                                            w.c_str());

  // The runtime's disk root is the log dir's parent; the broker sees the log dir by name.
  auto [root, data] = split_dir(config.log_dirs.front());
  if (data.empty() || data == "." || data == "..") {
    std::fprintf(stderr, "tern broker: log.dirs: '%s' cannot be a data directory\n",
                 config.log_dirs.front().c_str());
    return 2;
  }
  const std::string shown_dir = config.log_dirs.front();
  server::BrokerConfig broker_config = config;
  broker_config.log_dirs.front() = data;

  real::RealRuntime::Options options;
  options.node_name = "broker" + std::to_string(config.node_id);
  options.data_root = root;
  real::RealRuntime rt(options);
  g_runtime = &rt;
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  Status result;
  bool finished = false;
  server::Broker broker(rt, broker_config);
  rt.run([&] {
    // Announce once listening (the bound port matters when the listener asked for port 0).
    rt.spawn("announce", [&] {
      while (!finished && !broker.bound_address().has_value()) {
        if (!rt.sleep_for(Duration::millis(5)).ok()) return;
      }
      if (auto a = broker.bound_address()) {
        std::fprintf(stdout, "tern broker: serving PLAINTEXT://%s (node.id=%d, log.dirs=%s)\n",
                     a->to_string().c_str(), config.node_id, shown_dir.c_str());
        std::fflush(stdout);
      }
    });
    result = broker.run();
    finished = true;
  });
  if (!finished) {
    // A signal stopped the loop: let the broker close its connections and flush its logs.
    broker.stop();
    rt.run([] {});
  }
  g_runtime = nullptr;
  if (!result.ok()) {
    std::fprintf(stderr, "tern broker: %s\n", result.error().message().c_str());
    return 1;
  }
  std::fprintf(stderr, "tern broker: stopped\n");
  return 0;
}

}  // namespace tern::tools
