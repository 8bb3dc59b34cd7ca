#!/usr/bin/env bash
# Goal: `tern storage` behaves like kafka-storage.sh: random-uuid prints a Kafka uuid, format
# writes meta.properties into every log dir and the metadata log dir, a second format is
# refused unless --ignore-formatted, and bad input gets one clear line and exit 2.
# Usage: tern_storage_cli_test.sh /path/to/tern
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
one_line_exit() {  # one_line_exit CODE CMD...: fails with CODE and exactly one stderr line
  local want=$1; shift
  local err rc
  err=$("$@" 2>&1 >/dev/null); rc=$?
  [ "$rc" -eq "$want" ] && [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] ||
    { echo "  got rc=$rc: $err"; return 1; }
}

# random-uuid: 22 chars of base64url, never a leading '-', fresh each time.
id=$("$tern" storage random-uuid)
id2=$("$tern" storage random-uuid)
is_kafka_uuid() { printf '%s\n' "$1" | grep -Eqx '[A-Za-z0-9_][A-Za-z0-9_-]{21}'; }
check "random-uuid format" is_kafka_uuid "$id"
check "random-uuid is random" [ "$id" != "$id2" ]
check "random-uuid takes no argument" one_line_exit 2 "$tern" storage random-uuid extra

cat > server.properties <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@localhost:9093
listeners=PLAINTEXT://:9092,CONTROLLER://:9093
inter.broker.listener.name=PLAINTEXT
advertised.listeners=PLAINTEXT://localhost:9092
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL
num.network.threads=3
log.dirs=$work/logs1,logs2
metadata.log.dir=$work/meta
PROPS

check "help" "$tern" storage --help >/dev/null
check "no action" one_line_exit 2 "$tern" storage bogus
check "format needs --config" one_line_exit 2 "$tern" storage format --cluster-id "$id"
check "format needs --cluster-id" one_line_exit 2 "$tern" storage format --config server.properties
check "missing config file" one_line_exit 2 "$tern" storage format --cluster-id "$id" --config nope.properties
check "unknown flag" one_line_exit 2 "$tern" storage format --cluster-id "$id" --config server.properties --frobnicate
check "flag without value" one_line_exit 2 "$tern" storage format --config server.properties --cluster-id
check "bad cluster id" one_line_exit 2 "$tern" storage format --cluster-id not-a-uuid --config server.properties
"$tern" storage format --cluster-id not-a-uuid --config server.properties 2> bad-id.err
check "bad id message" grep -q "is not a valid uuid" bad-id.err
check "invalid config" one_line_exit 2 "$tern" storage format --cluster-id "$id" --config server.properties --override node.id=4
check "nothing written on refusal" test ! -e logs1 -a ! -e meta

# A good format: every dir, Kafka's file, one line per dir.
"$tern" storage format --cluster-id "$id" --config server.properties > format.out 2> format.err
rc=$?
check "format exits 0" [ "$rc" -eq 0 ]
check "format prints per dir" [ "$(grep -c '^Formatting .* with metadata.version' format.out)" -eq 3 ]
check "format names the absolute dir" grep -q "^Formatting $work/logs1 " format.out
check "format warns about ignored keys" grep -q "num.network.threads" format.err
for d in logs1 logs2 meta; do
  check "meta.properties in $d" grep -qx "cluster.id=$id" "$d/meta.properties"
  check "node.id in $d" grep -qx "node.id=1" "$d/meta.properties"
  check "version in $d" grep -qx "version=1" "$d/meta.properties"
  check "directory.id in $d" grep -Eq '^directory.id=[A-Za-z0-9_-]{22}$' "$d/meta.properties"
done
check "info ok" "$tern" storage info --config server.properties >/dev/null
"$tern" storage info -c server.properties > info.out
check "info shows the cluster" grep -q "$work/meta: formatted: cluster.id=$id node.id=1" info.out

# Twice: refused (exit 1, one line); --ignore-formatted: fine; a foreign id: refused.
check "format twice" one_line_exit 1 "$tern" storage format --cluster-id "$id" --config server.properties
"$tern" storage format --cluster-id "$id" --config server.properties 2> twice.err
check "twice message" grep -q "is already formatted. Use --ignore-formatted" twice.err
out=$("$tern" storage format -t "$id" -c server.properties -g 2>/dev/null)
check "ignore-formatted" [ "$out" = "All of the log directories are already formatted." ]
check "ignore-formatted keeps another cluster out" one_line_exit 1 "$tern" storage format --cluster-id "$id2" --config server.properties --ignore-formatted
# A new log dir: only it is formatted.
out=$("$tern" storage format --cluster-id "$id" --config server.properties --ignore-formatted \
  --override log.dirs="$work/logs1,logs2,logs3" 2>/dev/null)
check "new dir formatted alone" [ "$out" = "Formatting $work/logs3 with metadata.version tern-1." ]

# info on a fresh dir reports the problem and exits 1.
"$tern" storage info --config server.properties --override log.dirs=fresh > fresh.out
rc=$?
check "info on unformatted exits 1" [ "$rc" -eq 1 ]
check "info names the missing dir" grep -q "^$work/fresh: missing" fresh.out
echo "meta.properties garbage" > logs2/meta.properties
"$tern" storage info --config server.properties > corrupt.out
check "info shows corrupt file" grep -q "$work/logs2: corrupt: meta.properties in $work/logs2 is corrupt" corrupt.out

echo "tern storage cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
