#!/usr/bin/env bash
# Issue 3's broker benchmark, every number from one run on this machine: the disk's ceiling
# (fio, 64 KiB writes with an fdatasync every MiB), single-stream loopback TCP (iperf3), a
# loopback round trip, librdkafka's in-memory mock cluster, then a release `tern broker`
# driven by `tern perf` and by librdkafka: durable (fsync before the answer) and flushing
# left to the OS, consume from a warm log, and produce latency at a steady 20 MB/s.
# Prints each measurement, then the ratios against the targets.
#
#   bash tools/perf/compare.sh            # needs: bash tools/setup.sh all (fio, iperf3, clients)
#   TERN_PERF_RECORDS=1000000 TERN_PERF_DIR=/data/tmp bash tools/perf/compare.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${TERN_PERF_RECORDS:-500000}           # records per produce run (1 KiB each)
WORK=$(mktemp -d "${TERN_PERF_DIR:-$PWD}/tern-perf.XXXXXX")   # same disk as the repo by default
PY=/usr/bin/python3                      # Debian's confluent-kafka imports only here
RDK="$PY tools/perf/rdkafka_perf.py"
BUILD=${TERN_BUILD_RELEASE:-build-release}
pids=()
cleanup() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

for tool in fio iperf3; do command -v $tool >/dev/null || { echo "compare.sh: $tool missing (bash tools/setup.sh all)"; exit 2; }; done
[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" -Dbuildtype=release -Dtests=false >/dev/null
ninja -C "$BUILD" tools/tern >/dev/null
T=$BUILD/tools/tern
free_port() { $PY -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" | tail -1; }            # key=value from a line
perf_mbs() { sed -n 's/.*records\/sec (\([0-9.]*\) MB\/sec).*/\1/p' | tail -1; }   # tern perf: MiB/s
p99() { sed -n 's/.*, \([0-9.]*\) ms 99th.*/\1/p' | tail -1; }
say() { printf '%-58s %s\n' "$1" "$2"; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
# 1. Disk ceiling and fdatasync latency. (The ceiling moves a lot on shared virtual disks:
# step 4 measures it again right before each durable run and compares the pairs.)
fio_mibs() {
  fio --name=pair --rw=write --bs=64k --size=512m --fdatasync=16 --directory="$WORK" \
      --ioengine=sync --output-format=json |
    $PY -c 'import json,sys; print(json.load(sys.stdin)["jobs"][0]["write"]["bw"]/1024)'
  rm -f "$WORK"/pair*
}
fio --name=ceiling --rw=write --bs=64k --size=1g --fdatasync=16 --directory="$WORK" \
    --ioengine=sync --output-format=json > "$WORK/fio.json"
read -r FIO_MIBS SYNC_P50 SYNC_P99 < <($PY -c '
import json,sys; j=json.load(open(sys.argv[1]))["jobs"][0]; p=j["sync"]["lat_ns"]["percentile"]
print(j["write"]["bw"]/1024, p["50.000000"]/1e6, p["99.000000"]/1e6)' "$WORK/fio.json")
rm -f "$WORK"/ceiling*
say "fio 64 KiB writes, fdatasync every MiB (MiB/s)" "$FIO_MIBS"
say "fio fdatasync p50 / p99 (ms)" "$SYNC_P50 / $SYNC_P99"
# 2. Loopback.
P=$(free_port); iperf3 -s -1 -p "$P" -B 127.0.0.1 >/dev/null 2>&1 & pids+=($!); sleep 0.5
IPERF_GBS=$(iperf3 -c 127.0.0.1 -p "$P" -t 5 -J | $PY -c 'import json,sys; print(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/8e9)')
say "iperf3 single stream loopback (GB/s)" "$IPERF_GBS"
RTT_P99_US=$($RDK rtt 5000 | field p99_us)
say "loopback round trip p99 (us, python ping-pong)" "$RTT_P99_US"
# 3. librdkafka's mock cluster (in memory, never durable).
MOCK_MBS=$($RDK produce mock perf "$N" 2>/dev/null | field MBps)
say "librdkafka -> mock cluster, acks=all (MB/s)" "$MOCK_MBS"

start_broker() {  # name, extra overrides... -> BROKER_PORT (not in $(...): pids must stick)
  local name=$1; shift; local port; port=$(free_port)
  "$T" broker --override listeners=PLAINTEXT://127.0.0.1:$port --override log.dirs="$WORK/$name" \
      "$@" > "$WORK/$name.log" 2>&1 & pids+=($!); BROKER_PID=$!
  for _ in $(seq 100); do $PY -c "import socket;socket.create_connection(('127.0.0.1',$port),0.2)" 2>/dev/null && break; sleep 0.1; done
  "$T" topics --bootstrap-server 127.0.0.1:$port --create --topic perf --partitions 1 >/dev/null
  BROKER_PORT=$port
}
tern_produce() { "$T" perf produce --bootstrap-server 127.0.0.1:$1 --topic perf --num-records "$N" \
                   --record-size 1024 --acks all --throughput -1 "${@:2}" | tail -1; }
# 4. Durable broker (the default: fsync before an acks=all answer).
start_broker durable; D=$BROKER_PORT
FIO1=$(fio_mibs); DUR1=$(tern_produce "$D" | perf_mbs)
FIO2=$(fio_mibs); DUR2=$(tern_produce "$D" | perf_mbs)
say "fio then tern perf produce durable, pair 1 (MiB/s)" "$FIO1 -> $DUR1"
say "fio then tern perf produce durable, pair 2 (MiB/s)" "$FIO2 -> $DUR2"
DUR_RDK=$($RDK produce 127.0.0.1:$D perf "$N" | field MBps)
say "librdkafka produce, durable (MB/s)" "$DUR_RDK"
LAT0=$("$T" perf produce --bootstrap-server 127.0.0.1:$D --topic perf --num-records 100000 \
       --record-size 1024 --acks all --throughput 20000 --producer-props linger.ms=0 | tail -1)
LAT5=$("$T" perf produce --bootstrap-server 127.0.0.1:$D --topic perf --num-records 100000 \
       --record-size 1024 --acks all --throughput 20000 | tail -1)
say "p99 latency at 20 MB/s, durable, linger.ms=0 / 5 (ms)" "$(echo "$LAT0" | p99) / $(echo "$LAT5" | p99)"
kill -TERM "$BROKER_PID"; wait "$BROKER_PID" 2>/dev/null || true   # its writeback must not overlap
# 5. Flushing left to the OS (Kafka's default), then consume from the warm log.
start_broker os-flush --override tern.flush.durable=false; F=$BROKER_PORT
# Each run starts with no dirty pages (sync): once ~1 GB is dirty the kernel's writeback
# throttles page-cache writes down to the disk's speed, and a run would measure the
# previous run's writeback instead of the broker.
sync; ND1=$(tern_produce "$F" | perf_mbs); sync; ND2=$(tern_produce "$F" | perf_mbs)
say "tern perf produce, OS flush (MiB/s, two runs)" "$ND1 $ND2"
sync; ND_RDK=$($RDK produce 127.0.0.1:$F perf "$N" | field MBps)
say "librdkafka produce, OS flush (MB/s)" "$ND_RDK"
TOTAL=$((2 * N))
C1=$("$T" perf consume --bootstrap-server 127.0.0.1:$F --topic perf --num-records $TOTAL | tail -1 | perf_mbs)
C2=$("$T" perf consume --bootstrap-server 127.0.0.1:$F --topic perf --num-records $TOTAL | tail -1 | perf_mbs)
say "tern perf consume, warm log (MiB/s, two runs)" "$C1 $C2"
C_RDK=$($RDK consume 127.0.0.1:$F perf $TOTAL | field MBps)
say "librdkafka consume, warm log (MB/s)" "$C_RDK"

echo
echo "ratios against issue 3's targets (durable: mean of the two fio/tern pairs; the others:"
echo "best of two tern perf runs):"
$PY - "$FIO1" "$FIO2" "$SYNC_P99" "$IPERF_GBS" "$RTT_P99_US" "$MOCK_MBS" "$DUR1" "$DUR2" "$ND1" \
    "$ND2" "$C1" "$C2" "$(echo "$LAT0" | p99)" <<'PYEOF'
import sys
f1, f2, sync99, iperf, rtt99, mock, d1, d2, n1, n2, c1, c2, lat = map(float, sys.argv[1:])
mib = 2**20 / 1e6
dur_ratio = (d1 / f1 + d2 / f2) / 2
nd = max(n1, n2) * mib; con = max(c1, c2) * mib / 1e3
limit = 2 * (sync99 + rtt99 / 1e3)
rows = [("durable produce / fio ceiling (>= 80%)", dur_ratio, dur_ratio >= 0.8,
         f"{d1:.0f}/{f1:.0f}, {d2:.0f}/{f2:.0f} MiB/s"),
        ("OS-flush produce / mock cluster (>= 100%)", nd / mock, nd >= mock,
         f"{nd:.0f} / {mock:.0f} MB/s"),
        ("consume / loopback (>= 50%)", con / iperf, con / iperf >= 0.5,
         f"{con:.2f} / {iperf:.2f} GB/s"),
        ("p99 @20 MB/s / 2x(fdatasync p99 + RTT) (<= 100%)", lat / limit, lat <= limit,
         f"{lat:.2f} ms vs {limit:.2f} ms")]
for name, ratio, ok, detail in rows:
    print(f"  {name:50s} {ratio * 100:6.0f}%  {'met' if ok else 'NOT met':7s}  {detail}")
PYEOF
