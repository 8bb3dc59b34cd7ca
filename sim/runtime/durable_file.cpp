#include "sim/runtime/durable_file.h"

namespace tern {

Status replace_file_durably(Disk& disk, const std::string& dir, const std::string& name,
                            const std::string& tmp_name, std::span<const uint8_t> data) {
  const std::string tmp = dir + "/" + tmp_name;
  auto file = disk.open(tmp, OpenMode::create);
  if (!file.ok()) return file.error();
  TERN_TRY(file.value()->truncate(0));
  TERN_TRY(file.value()->append(data));
  TERN_TRY(file.value()->fsync());
  file.value().reset();
  TERN_TRY(disk.rename(tmp, dir + "/" + name));
  TERN_TRY(disk.fsync_dir(dir));
  return {};
}

}  // namespace tern
