// `tern storage random-uuid | format | info`: kafka-storage.sh for tern. A KRaft node
// (process.roles set) starts only on formatted storage: every log dir and the metadata log
// dir hold a meta.properties naming the cluster and the node.
// Exit status: 0 ok, 1 the storage refused (already formatted, foreign cluster, disk error,
// info found a problem), 2 a bad command line or configuration (one clear error line).
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "broker/server/config.h"
#include "broker/server/meta_properties.h"
#include "broker/server/metadata_store.h"
#include "sim/real/posix_disk.h"
#include "tools/commands.h"
#include "tools/storage_paths.h"

namespace tern::tools {
namespace {

void print_usage(std::FILE* out) {
  std::fprintf(out,
               "usage: tern storage random-uuid\n"
               "       tern storage format --cluster-id ID --config server.properties\n"
               "                           [--ignore-formatted] [--override name=value]...\n"
               "       tern storage info --config server.properties [--override name=value]...\n"
               "\n"
               "Like kafka-storage.sh. random-uuid prints a new cluster id. format writes\n"
               "meta.properties (cluster.id, node.id, directory.id, version=1) into every\n"
               "log.dirs entry and metadata.log.dir, creating them; an already formatted dir\n"
               "is an error unless --ignore-formatted (-g). info prints what each dir holds.\n"
               "Short forms as in Kafka: -t (--cluster-id), -c (--config), -g.\n");
}

// A Kafka uuid from the machine's random source (tools may use one; broker code may not).
protocol::Uuid real_random_uuid() {
  std::random_device device;
  while (true) {
    protocol::Uuid id;
    for (size_t i = 0; i < 16; i += 4) {
      const uint32_t v = device();
      for (size_t k = 0; k < 4; ++k) id.bytes[i + k] = static_cast<uint8_t>(v >> (8 * k));
    }
    if (server::is_usable_random_uuid(id)) return id;
  }
}

Rng real_seeded_rng() {
  std::random_device device;
  const uint64_t seed = (static_cast<uint64_t>(device()) << 32) | device();
  return Rng(seed);
}

struct Args {
  std::string config_path;
  std::string cluster_id;
  bool cluster_id_given = false;
  bool ignore_formatted = false;
  std::vector<std::string> overrides;
};

// Parses the flags after the action. Returns false (after one error line) on a bad flag.
bool parse_args(std::string_view action, int argc, char** argv, int first, Args& args,
                bool allow_format_flags) {
  for (int i = first; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "tern storage %.*s: %s needs a value\n",
                     static_cast<int>(action.size()), action.data(), argv[i]);
        return false;
      }
      out = argv[++i];
      return true;
    };
    if (arg == "--config" || arg == "-c") {
      if (!value(args.config_path)) return false;
    } else if (arg == "--override") {
      std::string o;
      if (!value(o)) return false;
      args.overrides.push_back(o);
    } else if (allow_format_flags && (arg == "--cluster-id" || arg == "-t")) {
      if (!value(args.cluster_id)) return false;
      args.cluster_id_given = true;
    } else if (allow_format_flags && (arg == "--ignore-formatted" || arg == "-g")) {
      args.ignore_formatted = true;
    } else {
      std::fprintf(stderr, "tern storage %.*s: unknown argument '%s' (see --help)\n",
                   static_cast<int>(action.size()), action.data(), argv[i]);
      return false;
    }
  }
  if (args.config_path.empty()) {
    std::fprintf(stderr, "tern storage %.*s: --config server.properties is required\n",
                 static_cast<int>(action.size()), action.data());
    return false;
  }
  return true;
}

// Reads, overrides and validates the config, then makes its dirs relative to "/".
bool load_config(std::string_view action, const Args& args, server::BrokerConfig& config) {
  const auto fail = [&](const std::string& what) {
    std::fprintf(stderr, "tern storage %.*s: %s\n", static_cast<int>(action.size()),
                 action.data(), what.c_str());
    return false;
  };
  std::ifstream in(args.config_path);
  if (!in) return fail("cannot read " + args.config_path);
  std::stringstream text;
  text << in.rdbuf();
  Status s = server::parse_properties(config, text.str());
  if (!s.ok()) return fail(args.config_path + ": " + s.error().context());
  for (const std::string& o : args.overrides) {
    s = server::apply_override(config, o);
    if (!s.ok()) return fail("--override " + o + ": " + s.error().context());
  }
  s = server::validate(config);
  if (!s.ok()) return fail(args.config_path + ": " + s.error().context());
  s = make_dirs_root_relative(config);
  if (!s.ok()) return fail(s.error().context());
  return true;
}

std::string shown(const std::string& root_relative) { return "/" + root_relative; }

// Error texts name root-relative dirs; show them absolute.
std::string shown_message(std::string text, const server::BrokerConfig& config) {
  for (const std::string& d : config.storage_dirs()) {
    size_t pos = 0;
    while ((pos = text.find(d, pos)) != std::string::npos) {
      if (pos == 0 || text[pos - 1] == ' ') {
        text.insert(pos, "/");
        pos += d.size() + 1;
      } else {
        pos += d.size();
      }
    }
  }
  return text;
}

int cmd_format(int argc, char** argv) {
  Args args;
  if (!parse_args("format", argc, argv, 2, args, true)) return 2;
  if (!args.cluster_id_given) {
    std::fprintf(stderr, "tern storage format: --cluster-id is required (make one with `tern "
                         "storage random-uuid`)\n");
    return 2;
  }
  Status valid_id = server::validate_cluster_id(args.cluster_id);
  if (!valid_id.ok()) {
    std::fprintf(stderr, "tern storage format: %s\n", valid_id.error().context().c_str());
    return 2;
  }
  server::BrokerConfig config;
  if (!load_config("format", args, config)) return 2;
  real::PosixDisk disk("/");
  Rng rng = real_seeded_rng();
  auto result = server::format_storage(
      disk, rng, config, args.cluster_id,
      args.ignore_formatted ? server::IgnoreFormatted::yes : server::IgnoreFormatted::no);
  if (!result.ok()) {
    std::fprintf(stderr, "tern storage format: %s\n",
                 shown_message(result.error().context(), config).c_str());
    return 1;
  }
  for (const std::string& d : result.value().formatted) {
    std::printf("Formatting %s with metadata.version %s.\n", shown(d).c_str(),
                std::string(server::kMetadataVersion).c_str());
  }
  if (result.value().formatted.empty()) {
    std::printf("All of the log directories are already formatted.\n");
  }
  // After the outcome, so a refusal stays one line.
  for (const std::string& w : config.warnings) {
    std::fprintf(stderr, "tern storage format: warning: %s\n", w.c_str());
  }
  return 0;
}

int cmd_info(int argc, char** argv) {
  Args args;
  if (!parse_args("info", argc, argv, 2, args, false)) return 2;
  server::BrokerConfig config;
  if (!load_config("info", args, config)) return 2;
  real::PosixDisk disk("/");
  auto dirs = server::inspect_storage(disk, config);
  if (!dirs.ok()) {
    std::fprintf(stderr, "tern storage info: %s\n", dirs.error().message().c_str());
    return 1;
  }
  std::vector<std::string> problems;
  std::string cluster_id;
  for (const server::StorageDirInfo& d : dirs.value()) {
    const std::string dir = shown(d.dir);
    switch (d.state) {
      case server::DirState::formatted:
        std::printf("%s: formatted: cluster.id=%s node.id=%d directory.id=%s version=%d\n",
                    dir.c_str(), d.meta.cluster_id.c_str(), d.meta.node_id,
                    d.meta.directory_id.empty() ? "(none)" : d.meta.directory_id.c_str(),
                    d.meta.version);
        if (d.meta.node_id != config.node_id) {
          problems.push_back(dir + ": node.id " + std::to_string(d.meta.node_id) +
                             ", config says " + std::to_string(config.node_id));
        }
        break;
      case server::DirState::legacy:
        std::printf("%s: older tern data (tern-metadata): cluster.id=%s; meta.properties is "
                    "written on the next start\n", dir.c_str(), d.legacy_cluster_id.c_str());
        break;
      case server::DirState::missing:
        std::printf("%s: missing\n", dir.c_str());
        problems.push_back(dir + " is missing: run tern storage format");
        break;
      case server::DirState::unformatted:
        std::printf("%s: not formatted\n", dir.c_str());
        problems.push_back(dir + " is not formatted: run tern storage format");
        break;
      case server::DirState::corrupt:
        std::printf("%s: corrupt: %s\n", dir.c_str(),
                    shown_message(d.problem, config).c_str());
        problems.push_back(dir + " is corrupt");
        break;
    }
    const std::string id = d.state == server::DirState::formatted ? d.meta.cluster_id
                           : d.state == server::DirState::legacy  ? d.legacy_cluster_id
                                                                  : "";
    if (id.empty()) continue;
    if (cluster_id.empty()) cluster_id = id;
    if (id != cluster_id) {
      problems.push_back(dir + ": cluster.id " + id + " differs from " + cluster_id);
    }
  }
  for (const std::string& p : problems) std::printf("problem: %s\n", p.c_str());
  return problems.empty() ? 0 : 1;
}

}  // namespace

int cmd_storage(int argc, char** argv) {
  if (argc < 2) {
    print_usage(stderr);
    return 2;
  }
  const std::string_view action = argv[1];
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h" || arg == "help") {
      print_usage(stdout);
      return 0;
    }
  }
  if (action == "random-uuid") {
    if (argc > 2) {
      std::fprintf(stderr, "tern storage random-uuid: unknown argument '%s'\n", argv[2]);
      return 2;
    }
    std::printf("%s\n", server::uuid_to_base64(real_random_uuid()).c_str());
    return 0;
  }
  if (action == "format") return cmd_format(argc, argv);
  if (action == "info") return cmd_info(argc, argv);
  std::fprintf(stderr, "tern storage: unknown action '%s' (random-uuid, format, info)\n",
               argv[1]);
  return 2;
}

}  // namespace tern::tools
