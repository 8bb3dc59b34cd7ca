#pragma once
#include "tools/process_tuning.h"
// Shared by `tern topics|produce|consume|perf`: flag parsing with one-line errors, property
// parsing (k=v), and running a body inside a RealRuntime. Header-only because tools/meson.build
// lists the cmd_*.cpp files only.
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "broker/client/cluster.h"
#include "broker/client/producer.h"
#include "sim/real/real_runtime.h"
#include "sim/runtime/result.h"

namespace tern::tools {

// Kafka producer settings by their config names (acks, linger.ms, batch.size, ...), for
// --producer-property / --producer-props; defined in cmd_produce.cpp.
Status apply_producer_property(client::ProducerOptions& o, const std::string& k,
                               const std::string& v);

struct FlagSpec {
  std::string_view name;  // "--topic"
  bool takes_value = false;
  std::string_view help;
  // Takes one or more values, like Kafka's "--producer-props k=v k=v": the arguments after
  // the flag up to the next one starting with '-'.
  bool many = false;
};

class Flags {
 public:
  bool has(std::string_view name) const { return values_.count(std::string(name)) > 0; }
  // The last value given for a flag.
  std::optional<std::string> get(std::string_view name) const {
    auto it = values_.find(std::string(name));
    if (it == values_.end() || it->second.empty()) return std::nullopt;
    return it->second.back();
  }
  std::vector<std::string> all(std::string_view name) const {
    auto it = values_.find(std::string(name));
    return it == values_.end() ? std::vector<std::string>{} : it->second;
  }
  const std::vector<std::string>& positional() const { return positional_; }

  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positional_;
};

// Parses argv[1..argc) against `specs`. "--name value" and "--name=value" both work.
// Errors name the offending flag: "unknown option '--x'", "option '--topic' needs a value".
inline Result<Flags> parse_flags(int argc, char** argv, const std::vector<FlagSpec>& specs) {
  Flags out;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.size() < 2 || arg.substr(0, 2) != "--") {
      if (!arg.empty() && arg[0] == '-' && arg != "-") {
        return Error(Errc::invalid_argument, fmt::format("unknown option '{}'", arg));
      }
      out.positional_.emplace_back(arg);
      continue;
    }
    std::string_view name = arg;
    std::optional<std::string> value;
    if (auto eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = std::string(arg.substr(eq + 1));
    }
    const FlagSpec* spec = nullptr;
    for (const auto& s : specs) {
      if (s.name == name) spec = &s;
    }
    if (spec == nullptr) {
      return Error(Errc::invalid_argument, fmt::format("unknown option '{}'", name));
    }
    if (spec->takes_value) {
      if (!value) {
        if (i + 1 >= argc) {
          return Error(Errc::invalid_argument, fmt::format("option '{}' needs a value", name));
        }
        value = argv[++i];
      }
    } else if (value) {
      return Error(Errc::invalid_argument, fmt::format("option '{}' takes no value", name));
    }
    auto& values = out.values_[std::string(name)];
    values.push_back(value.value_or(""));
    while (spec->many && i + 1 < argc && argv[i + 1][0] != '-') values.emplace_back(argv[++i]);
  }
  return out;
}

inline std::string flags_help(std::string_view usage, const std::vector<FlagSpec>& specs) {
  std::string out = fmt::format("usage: {}\n\noptions:\n", usage);
  for (const auto& s : specs) {
    std::string left =
        std::string(s.name) + (s.many ? " <value>..." : s.takes_value ? " <value>" : "");
    out += fmt::format("  {:<34} {}\n", left, s.help);
  }
  return out;
}

inline Result<int64_t> parse_int(std::string_view flag, std::string_view text, int64_t min,
                                 int64_t max) {
  if (text.empty()) {
    return Error(Errc::invalid_argument, fmt::format("{} needs a number", flag));
  }
  int64_t v = 0;
  bool neg = false;
  size_t i = 0;
  if (text[0] == '-') {
    neg = true;
    i = 1;
  }
  if (i == text.size()) {
    return Error(Errc::invalid_argument, fmt::format("{}: '{}' is not a number", flag, text));
  }
  for (; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9' || v > (INT64_MAX - 9) / 10) {
      return Error(Errc::invalid_argument, fmt::format("{}: '{}' is not a number", flag, text));
    }
    v = v * 10 + (text[i] - '0');
  }
  if (neg) v = -v;
  if (v < min || v > max) {
    return Error(Errc::invalid_argument,
                 fmt::format("{}: {} is out of range [{}, {}]", flag, v, min, max));
  }
  return v;
}

// "k=v" -> (k, v). The value may contain '='.
inline Result<std::pair<std::string, std::string>> parse_property(std::string_view flag,
                                                                  std::string_view text) {
  auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return Error(Errc::invalid_argument,
                 fmt::format("{} expects key=value, got '{}'", flag, text));
  }
  return std::make_pair(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
}

// Kafka's tools unescape "\t", "\n" in separators given on the command line.
inline std::string unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      const char c = s[i + 1];
      if (c == 't') { out += '\t'; ++i; continue; }
      if (c == 'n') { out += '\n'; ++i; continue; }
      if (c == '\\') { out += '\\'; ++i; continue; }
    }
    out += s[i];
  }
  return out;
}

inline Result<bool> parse_bool(std::string_view flag, std::string_view v) {
  if (v == "true") return true;
  if (v == "false") return false;
  return Error(Errc::invalid_argument, fmt::format("{}: expected true or false, got '{}'", flag,
                                                   v));
}

// Client options for a CLI: bounded connect/request times so an unreachable broker is a
// prompt one-line error rather than a hang.
inline client::ClientOptions cli_client_options(std::vector<Address> bootstrap,
                                                std::string client_id) {
  client::ClientOptions o;
  o.bootstrap = std::move(bootstrap);
  o.connection.client_id = std::move(client_id);
  o.connection.connect_timeout = Duration::seconds(5);
  o.connection.request_timeout = Duration::seconds(30);
  return o;
}

// How long a CLI waits for its first connection before giving up.
inline constexpr Duration kCliReachTimeout = Duration::seconds(5);

// Set by SIGINT/SIGTERM; the tools' loops check it.
inline volatile std::sig_atomic_t g_interrupted = 0;

inline void install_interrupt_handler() {
  struct sigaction sa {};
  sa.sa_handler = [](int) { g_interrupted = 1; };
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocking read returns EINTR so the loop can stop
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

// Runs `body` as the main task of a RealRuntime and returns its exit code.
inline int run_real(const char* name, const std::function<int(Runtime&)>& body) {
  tune_allocator_for_large_buffers();
  real::RealRuntime::Options o;
  o.node_name = name;
  o.data_root = ".";
  o.log_level = Severity::warn;
  real::RealRuntime rt(o);
  int code = 1;
  rt.run([&] {
    code = body(rt);
    rt.stop();
  });
  return code;
}

// One-line error on stderr: "tern <tool>: <message>".
template <class... Args>
int fail(int code, std::string_view tool, fmt::format_string<Args...> f, Args&&... args) {
  std::fprintf(stderr, "tern %.*s: %s\n", static_cast<int>(tool.size()), tool.data(),
               fmt::format(f, std::forward<Args>(args)...).c_str());
  return code;
}

}  // namespace tern::tools
