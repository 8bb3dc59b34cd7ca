#!/usr/bin/env bash
# Goal: the built `tern` binary end to end on 127.0.0.1 — `tern broker` on a free port with a
# temp log dir, then `tern topics --create/--describe/--list`, `tern produce` from stdin with
# keys, `tern consume --from-beginning --max-messages N`, and the one-line errors.
set -u
TERN="$1"
DIR=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BS="127.0.0.1:$PORT"
fail() { echo "FAIL: $*"; cat "$DIR/broker.log" 2>/dev/null | tail -20; exit 1; }
cleanup() { [ -n "${BPID:-}" ] && kill "$BPID" 2>/dev/null; wait 2>/dev/null; rm -rf "$DIR"; }
trap cleanup EXIT

"$TERN" broker --override "listeners=PLAINTEXT://$BS" --override "log.dirs=$DIR/data" \
  > "$DIR/broker.log" 2>&1 &
BPID=$!
for i in $(seq 1 100); do
  "$TERN" topics --bootstrap-server "$BS" --list > /dev/null 2>&1 && break
  sleep 0.1
done

out=$("$TERN" topics --bootstrap-server "$BS" --create --topic cli --partitions 3 \
      --replication-factor 1) || fail "create: $out"
[ "$out" = "Created topic cli." ] || fail "create printed '$out'"
"$TERN" topics --bootstrap-server "$BS" --list | grep -qx cli || fail "list lacks cli"
desc=$("$TERN" topics --bootstrap-server "$BS" --describe --topic cli) || fail "describe"
echo "$desc" | head -1 | grep -q $'^Topic: cli\tTopicId: .*\tPartitionCount: 3\tReplicationFactor: 1\tConfigs:' \
  || fail "describe header: $desc"
[ "$(echo "$desc" | grep -c $'^\tTopic: cli\tPartition: ')" = 3 ] || fail "describe lines: $desc"

printf 'k1:one\nk2:two\nk1:three\nk3:four\n' | "$TERN" produce --bootstrap-server "$BS" \
  --topic cli --property parse.key=true --property key.separator=: \
  --producer-property acks=all || fail "produce"
got=$("$TERN" consume --bootstrap-server "$BS" --topic cli --from-beginning --max-messages 4 \
      --timeout-ms 10000 --property print.key=true --property key.separator=: 2>/dev/null) \
  || fail "consume"
[ "$(echo "$got" | sort | tr '\n' ' ')" = "k1:one k1:three k2:two k3:four " ] || fail "consumed '$got'"
# Same key, same partition, in order: k1's records come out one before three.
echo "$got" | grep '^k1:' | tr '\n' ' ' | grep -q '^k1:one k1:three ' || fail "k1 order: $got"

# Errors: bad flag -> exit 2, unreachable broker -> exit 1 within a bounded time.
"$TERN" topics --bootstrap-server "$BS" --list --bogus 2>/dev/null; [ $? = 2 ] || fail "bad flag"
start=$(date +%s)
err=$("$TERN" topics --bootstrap-server 127.0.0.1:1 --list 2>&1); rc=$?
[ $rc = 1 ] || fail "unreachable rc=$rc"
[ "$(echo "$err" | wc -l)" = 1 ] || fail "unreachable error not one line: $err"
[ $(( $(date +%s) - start )) -le 10 ] || fail "unreachable took too long"
echo "OK"
