#!/usr/bin/env bash
# Goal: `tern sim` behaves as its users need: bad input gets one clear line and exit 2; a
# replay prints the same trace hash as the sweep that found the seed; --trace/--dot/--svg
# write their files; a plan file replays. Usage: tern_sim_cli_test.sh /path/to/tern
set -u
tern=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
passed=0 failed=0
check() {  # check NAME CONDITION...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $name"; fi
}
one_line_exit2() {  # the command fails with exit 2 and exactly one line on stderr
  local err rc
  err=$("$@" 2>&1 >/dev/null); rc=$?
  [ "$rc" -eq 2 ] && [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] || { echo "  got rc=$rc: $err"; return 1; }
}
check "unknown suite" one_line_exit2 "$tern" sim run --suite nope
check "bad seed range" one_line_exit2 "$tern" sim run --suite smoke --seeds 9..3
check "seed not a number" one_line_exit2 "$tern" sim run --suite smoke --seeds abc
check "unknown scenario" one_line_exit2 "$tern" sim replay --scenario nope --seed 1
check "unknown flag" one_line_exit2 "$tern" sim run --suite smoke --frobnicate
check "bad shard" one_line_exit2 "$tern" sim run --suite smoke --shard 3/2
check "failover: unknown flag" one_line_exit2 "$tern" sim failover --frobnicate 1
check "failover: bad seeds" one_line_exit2 "$tern" sim failover --seeds 5..2
printf '0.5 crash node=b1 keep_unsynced=0\n' > bad.plan
check "malformed plan" one_line_exit2 "$tern" sim replay --scenario produce-consume --seed 1 --plan bad.plan
printf '1.0 crash node=zz keep_unsynced=0 tear=0 half_open=0\n' > unknown-node.plan
check "plan names an unknown node" one_line_exit2 "$tern" sim replay --scenario produce-consume --seed 1 --plan unknown-node.plan
check "list" "$tern" sim list

# A sweep line's hash equals the replay's hash.
"$tern" sim run --scenario produce-consume --seeds 7..7 > run.out 2>&1
sweep_hash=$(grep -o 'hash=[0-9a-f]*' run.out | head -1 | cut -d= -f2)
"$tern" sim replay --scenario produce-consume --seed 7 --trace t.txt --dot t.dot --svg t.svg > replay.out 2>&1
replay_hash=$(grep -o 'trace hash [0-9a-f]*' replay.out | awk '{print $3}')
# A passing sweep prints no hash line; then compare two replays instead.
if [ -z "$sweep_hash" ]; then
  sweep_hash=$("$tern" sim replay --scenario produce-consume --seed 7 | grep -o 'trace hash [0-9a-f]*' | awk '{print $3}')
fi
check "replay hash is stable" [ -n "$replay_hash" ] && [ "$replay_hash" = "$sweep_hash" ]
check "trace written" [ -s t.txt ]
check "dot written" grep -q "digraph" t.dot
check "svg rendered" grep -q "<svg" t.svg
# The printed plan replays to the same hash.
sed -n '/^fault plan:/,/^trace:/p' replay.out | sed '1d;$d' > same.plan
"$tern" sim replay --scenario produce-consume --seed 7 --plan same.plan > plan.out 2>&1
plan_hash=$(grep -o 'trace hash [0-9a-f]*' plan.out | awk '{print $3}')
check "plan file replays identically" [ "$plan_hash" = "$replay_hash" ]
# A planted bug fails the sweep with a replay command and a non-zero exit.
"$tern" sim run --scenario planted-consumer-skip --seeds 1..2 --junit j.xml > planted.out 2>&1
rc=$?
check "planted bug fails the run" [ "$rc" -ne 0 ]
check "failure prints replay command" grep -q "replay: tern sim replay --scenario planted-consumer-skip --seed" planted.out
check "junit written" grep -q "<failure" j.xml

# Scenario files: a user's own scenario runs and replays without recompiling; bad ones are one
# line naming the file and line.
cat > mine.scenario <<'SPEC'
scenario mine
summary a user's scenario: two keyed producers, a planted consumer skip
brokers 1
duration 5s
liveness 10s
faults none
knobs off
workload keyed producers=2 consumers=1 planted_skip_every=41
require acks=10 polls=10
SPEC
printf 'scenario bad\nworkload keyd producers=1\n' > bad1.scenario
printf 'scenario bad\nworkload keyed producer=1\n' > bad2.scenario
printf 'scenario bad\nworkload keyed\nduration soon\n' > bad3.scenario
check "unknown workload" one_line_exit2 "$tern" sim run --scenario-file bad1.scenario
"$tern" sim run --scenario-file bad1.scenario 2>&1 | grep -q "bad1.scenario:2: unknown workload 'keyd'" \
  || { echo "  no file:line in the error"; false; }
check "error names file and line" [ $? -eq 0 ]
check "unknown workload option" one_line_exit2 "$tern" sim run --scenario-file bad2.scenario
check "bad duration" one_line_exit2 "$tern" sim replay --scenario-file bad3.scenario --seed 1
check "missing scenario file" one_line_exit2 "$tern" sim run --scenario-file nope.scenario
"$tern" sim run --scenario-file mine.scenario --seeds 1..2 --shrink > mine.out 2>&1
rc=$?
check "own scenario runs and fails on its planted bug" [ "$rc" -ne 0 ]
check "own scenario's replay names the file" grep -q "replay: tern sim replay --scenario-file mine.scenario --seed 1" mine.out
check "run --shrink keeps the invariant" grep -q "smallest plan that still fails with consumer_monotonic" mine.out
check "shrunk plan written" [ -s mine-1.plan ]
"$tern" sim replay --scenario-file mine.scenario --seed 1 --plan mine-1.plan > shrunk.out 2>&1
check "shrunk plan replays to the same failure" grep -q "VIOLATED consumer_monotonic" shrunk.out
printf 'set colour blue\n' > badset.plan
check "bad plan setting" one_line_exit2 "$tern" sim replay --scenario-file mine.scenario --seed 1 --plan badset.plan
# The determinism guard runs and agrees with itself on a small sample.
check "determinism guard" "$tern" sim determinism --suite smoke --sample 2
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
