// `tern`: one binary, one subcommand per tool.
#include <cstdio>
#include <cstring>
#include <string_view>

#include "tools/commands.h"

namespace {

struct Command {
  const char* name;
  int (*run)(int, char**);
  const char* summary;
};

constexpr Command kCommands[] = {
    {"broker", tern::tools::cmd_broker, "run a real broker (like kafka-server-start.sh)"},
    {"storage", tern::tools::cmd_storage, "format log dirs (like kafka-storage.sh)"},
    {"topics", tern::tools::cmd_topics, "create, list, describe, alter, delete topics"},
    {"metadata-quorum", tern::tools::cmd_metadata_quorum,
     "describe the KRaft metadata quorum (like kafka-metadata-quorum.sh)"},
    {"produce", tern::tools::cmd_produce, "write lines from stdin to a topic"},
    {"consume", tern::tools::cmd_consume, "print records of a topic"},
    {"perf", tern::tools::cmd_perf, "produce/consume load tests"},
    {"sim", tern::tools::cmd_sim, "seeded simulation suites: list, run, replay"},
};

void usage(std::FILE* out) {
  std::fprintf(out, "usage: tern <command> [options]   (tern <command> --help)\n\ncommands:\n");
  for (const auto& c : kCommands) std::fprintf(out, "  %-8s %s\n", c.name, c.summary);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const std::string_view name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    usage(stdout);
    return 0;
  }
  for (const auto& c : kCommands)
    if (name == c.name) return c.run(argc - 1, argv + 1);
  std::fprintf(stderr, "tern: unknown command '%s'\n", argv[1]);
  usage(stderr);
  return 2;
}
