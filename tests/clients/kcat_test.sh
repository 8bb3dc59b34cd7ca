#!/usr/bin/env bash
# kcat (librdkafka) against a real `tern broker`: metadata, keyed produce with acks=all and
# consume back (order, contiguous offsets, same key -> same partition), headers, null key, empty
# and null values, every compression codec, a 1 MiB value.
# Usage: tests/clients/kcat_test.sh path/to/tern
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/broker_fixture.sh"

tern=${1:?usage: kcat_test.sh path/to/tern}
command -v kcat >/dev/null || { echo "FAIL kcat not installed (run tools/setup.sh)"; exit 1; }

# message.max.bytes: Kafka's default (1048588) cannot hold a 1 MiB value plus batch overhead.
start_broker "$tern" num.partitions=3 message.max.bytes=4194304 || { finish kcat_test; exit 1; }

# Every kcat call is bounded; -q keeps stdout to the data itself.
kc() { timeout 30 kcat -b "$BROKER" -q -X socket.timeout.ms=10000 "$@"; }
prod() { kc -P -X acks=all -X message.timeout.ms=20000 "$@"; }
cons() { kc -C -e "$@"; }   # callers pass -o

# --- metadata ---------------------------------------------------------------------------------
meta=$(kc -L 2>&1)
check "kcat -L lists one broker" grep -q ' 1 brokers:' <<<"$meta"
check "kcat -L shows broker 1 at $BROKER" grep -q "broker 1 at $BROKER" <<<"$meta"

# --- keyed produce, acks=all, consume back ----------------------------------------------------
keys_in=$WORK/keys.in
for i in $(seq 0 149); do echo "key$((i % 7)):value-$i"; done >"$keys_in"
check "produce 150 keyed messages (-K:, acks=all)" prod -t kc-keys -K: -l "$keys_in"
meta=$(kc -L -t kc-keys 2>&1)
check "kcat -L -t shows kc-keys with 3 partitions" \
  grep -q 'topic "kc-keys" with 3 partitions' <<<"$meta"
cons -o beginning -t kc-keys -f '%p %o %k %s\n' >"$WORK/keys.out"
expect_eq "consumed 150 keyed messages" "$(wc -l <"$WORK/keys.out")" 150
# Offsets per partition are 0..n-1 in order; values per partition keep the produced order.
check "offsets contiguous from 0 in every partition" awk '
  { if ($2 != next_off[$1]) { print "partition " $1 ": offset " $2 " != " next_off[$1]; bad = 1 }
    next_off[$1] = $2 + 1 }
  END { exit bad }' "$WORK/keys.out"
check "same key -> same partition" awk '
  { if (($3 in part) && part[$3] != $1) { print $3 " in " part[$3] " and " $1; bad = 1 }
    part[$3] = $1 }
  END { exit bad }' "$WORK/keys.out"
check "per-partition order matches produce order" awk '
  { split($4, v, "-"); n = v[2] + 0
    if (($1 in last) && n <= last[$1]) { print "partition " $1 ": " n " after " last[$1]; bad = 1 }
    last[$1] = n }
  END { exit bad }' "$WORK/keys.out"
expect_eq "consumed key:value pairs equal produced (as sets)" \
  "$(awk '{print $3 ":" $4}' "$WORK/keys.out" | sort)" "$(sort "$keys_in")"

# --- headers ----------------------------------------------------------------------------------
printf 'hk:hv\n' | prod -t kc-hdr -p 0 -K: -H h1=v1 -H h2=second
expect_eq "headers round-trip" \
  "$(cons -o beginning -t kc-hdr -p 0 -f '%k|%s|%h\n')" "hk|hv|h1=v1,h2=second"

# --- null key, empty value, null value --------------------------------------------------------
echo "nokey" | prod -t kc-null -p 0            # no -K: the key is NULL
printf 'k2:\n' | prod -t kc-null -p 0 -K:      # empty (not null) value
printf 'k3:\n' | prod -t kc-null -p 0 -K: -Z   # -Z: empty becomes NULL (a tombstone)
# -Z prints both an empty and a null value as NULL, so %S (length, -1 for NULL) tells them apart.
expect_eq "null key / empty value / null value" \
  "$(cons -o beginning -t kc-null -p 0 -Z -f '%K|%k|%S\n')" \
  "$(printf -- '-1|NULL|5\n2|k2|0\n2|k3|-1')"
expect_eq "value of the null-key message" "$(cons -o beginning -t kc-null -p 0 -c 1 -f '%s')" nokey

# --- compression codecs -----------------------------------------------------------------------
for z in gzip snappy lz4 zstd; do
  seq -f "msg-$z-%g-padding-padding-padding" 1 500 >"$WORK/$z.in"
  check "produce 500 messages with -z $z" \
    prod -t "kc-$z" -p 0 -z "$z" -X linger.ms=50 -l "$WORK/$z.in"
  cons -o beginning -t "kc-$z" -p 0 -f '%s\n' >"$WORK/$z.out"
  check "consume back $z: same 500 messages in order" cmp -s "$WORK/$z.in" "$WORK/$z.out"
done

# --- 1 MiB value ------------------------------------------------------------------------------
head -c 1048576 /dev/urandom >"$WORK/big.bin"
check "produce a 1 MiB value (file mode)" \
  prod -t kc-big -p 0 -X message.max.bytes=4000000 "$WORK/big.bin"
echo small | prod -t kc-big -p 0
cons -o beginning -t kc-big -p 0 -c 1 -f '%s' >"$WORK/big.out"
check "1 MiB value read back byte-exact" cmp -s "$WORK/big.bin" "$WORK/big.out"
expect_eq "message after the 1 MiB one" "$(cons -t kc-big -p 0 -o 1 -f '%o %s\n')" "1 small"

finish kcat_test
