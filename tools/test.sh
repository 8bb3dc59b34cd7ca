#!/usr/bin/env bash
# Every test: set up (idempotent), build, then (1) the unit and real-process tests under
# ASan + UBSan + LSan,
# (2) a bounded libFuzzer run of the request decoders and the broker (clang), (3) the whole
# suite with meson's test runner (unit, sim incl. `tern sim run --suite ci`, real processes,
# real Kafka clients, lint), whose summary is the last thing printed. Exits non-zero on any
# failure. Knobs: TERN_SKIP_ASAN=1, TERN_SKIP_FUZZ=1, TERN_FUZZ_SECONDS, TERN_JOBS.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh all
bash tools/build.sh
status=0
# Sanitizers first, so the last lines printed are the summary of the whole suite.
if [ "${TERN_SKIP_ASAN:-0}" != 1 ]; then
  TERN_BUILD_DIR=build-asan bash tools/build.sh -Dsanitize=true -Dbuildtype=debug
  ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=0 \
    meson test -C build-asan --print-errorlogs --suite unit --suite real --num-processes "$(nproc)" \
    --timeout-multiplier 4 || status=$?
fi
# libFuzzer targets (tests/fuzz/README.md), clang only. CI runs are reproducible: a fixed
# -seed and a fixed number of inputs per target (TERN_FUZZ_RUNS_<target> overrides it) from
# the checked-in seeds plus the corpus grown in earlier runs of this build dir, with a time cap.
# A crash, sanitizer report, hang (-timeout) or RSS blow-up fails the run and leaves the input
# in build-fuzz/artifacts/ (add it to tests/fuzz/corpus/<target>/ with the fix). Longer
# exploratory runs: TERN_FUZZ_SEED=0 (random) and a larger TERN_FUZZ_RUNS_<target>.
# The full libFuzzer output is in build-fuzz/<target>.log.
if [ "${TERN_SKIP_FUZZ:-0}" != 1 ] && command -v clang++ >/dev/null 2>&1; then
  fuzz_targets="request_fuzz broker_fuzz"
  fuzz_ok=1
  if [ ! -f build-fuzz/build.ninja ]; then
    CXX=clang++ CC=clang meson setup build-fuzz -Dfuzz=true -Dbuildtype=debugoptimized \
      >build-fuzz-setup.log 2>&1 || { cat build-fuzz-setup.log; fuzz_ok=0; }
    rm -f build-fuzz-setup.log
  fi
  if [ "$fuzz_ok" = 1 ]; then
    ninja -C build-fuzz -j "${TERN_JOBS:-$(nproc)}" \
      $(for t in $fuzz_targets; do echo "tests/fuzz/$t"; done) || fuzz_ok=0
  fi
  if [ "$fuzz_ok" = 1 ]; then
    mkdir -p build-fuzz/artifacts
    for t in $fuzz_targets; do
      mkdir -p "build-fuzz/corpus/$t"
      case $t in
        request_fuzz) runs=${TERN_FUZZ_RUNS_request_fuzz:-2000000} ;;
        *) runs=${TERN_FUZZ_RUNS_broker_fuzz:-15000} ;;
      esac
      if (cd build-fuzz && "./tests/fuzz/$t" -seed="${TERN_FUZZ_SEED:-1}" -runs="$runs" \
            -max_total_time="${TERN_FUZZ_SECONDS:-120}" \
            -rss_limit_mb=2048 -timeout=30 -print_final_stats=1 \
            -artifact_prefix="artifacts/$t-" "corpus/$t" "../tests/fuzz/corpus/$t" \
            >"$t.log" 2>&1); then
        done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "build-fuzz/$t.log" | tail -1 || true)
        echo "fuzz $t: ok, $done_line"
      else
        echo "fuzz $t: FAILED (build-fuzz/$t.log; input in build-fuzz/artifacts/)"
        tail -n 60 "build-fuzz/$t.log"
        fuzz_ok=0
      fi
    done
  fi
  [ "$fuzz_ok" = 1 ] || status=1
fi
meson test -C build --print-errorlogs --num-processes "$(nproc)" || status=$?
exit $status
