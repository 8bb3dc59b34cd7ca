#!/usr/bin/env bash
# The main job: set up (idempotent), build, and run the seeded scenario suite that CI runs.
#   tools/run.sh                 # suite 'ci'
#   TERN_SUITE=smoke tools/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh build
bash tools/build.sh
exec ./build/tools/tern sim run --suite "${TERN_SUITE:-ci}" --jobs "$(nproc)" \
  --junit build/tern-sim-junit.xml
