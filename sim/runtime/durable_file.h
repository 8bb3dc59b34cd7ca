#pragma once
// Replacing a small file so that a crash leaves the old or the new content, never a mix: the
// new bytes go to `dir/tmp_name`, are fsynced, renamed over `dir/name`, and the directory is
// fsynced (the rename itself must survive). One place for the sequence the meta.properties,
// quorum-state, tern-metadata and Raft snapshot writers all need.
#include <cstdint>
#include <span>
#include <string>

#include "sim/runtime/disk.h"

namespace tern {

Status replace_file_durably(Disk& disk, const std::string& dir, const std::string& name,
                            const std::string& tmp_name, std::span<const uint8_t> data);

}  // namespace tern
