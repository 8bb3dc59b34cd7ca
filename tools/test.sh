#!/usr/bin/env bash
# Every test: set up (idempotent), build, run the whole suite with meson's test runner, then
# the sanitizer build (ASan + UBSan + LSan) of the unit and simulation tests. Exits non-zero on
# any failure; meson prints the summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh all
bash tools/build.sh
status=0
# Sanitizers first, so the last lines printed are the summary of the whole suite.
if [ "${TERN_SKIP_ASAN:-0}" != 1 ]; then
  TERN_BUILD_DIR=build-asan bash tools/build.sh -Dsanitize=true -Dbuildtype=debug
  ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=0 \
    meson test -C build-asan --print-errorlogs --suite unit --num-processes "$(nproc)" \
    --timeout-multiplier 4 || status=$?
fi
meson test -C build --print-errorlogs --num-processes "$(nproc)" || status=$?
exit $status
