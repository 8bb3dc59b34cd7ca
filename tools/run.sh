#!/usr/bin/env bash
# The main job: set up (idempotent), build, and run the seeded scenario suite that CI runs.
#   tools/run.sh                 # suite 'ci'
#   TERN_SUITE=smoke tools/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh build
bash tools/build.sh
# Until `tern sim` lands, the seeded simulation scenarios run as the sim test suite.
exec meson test -C build --suite sim --print-errorlogs
