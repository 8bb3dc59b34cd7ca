#!/usr/bin/env bash
# Configures (once) and builds tern into build/ (or $TERN_BUILD_DIR). Extra arguments go to
# `meson setup`, e.g. tools/build.sh -Dsanitize=true.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${TERN_BUILD_DIR:-build}
if [ ! -f "$dir/build.ninja" ]; then
  meson setup "$dir" "$@"
fi
# Two cores on CI machines: more jobs only thrash memory on the big translation units.
ninja -C "$dir" -j "${TERN_JOBS:-$(nproc)}"
