#pragma once
// The `tern` subcommands. Each lives in its own cmd_<name>.cpp and takes the arguments after
// its name (argv[0] is the subcommand name). Exit status: 0 ok, 1 failure, 2 usage error.
namespace tern::tools {

int cmd_broker(int argc, char** argv);
int cmd_topics(int argc, char** argv);
int cmd_produce(int argc, char** argv);
int cmd_consume(int argc, char** argv);
int cmd_perf(int argc, char** argv);
int cmd_sim(int argc, char** argv);
int cmd_storage(int argc, char** argv);
int cmd_metadata_quorum(int argc, char** argv);

}  // namespace tern::tools
