#!/usr/bin/python3
"""Regenerates the golden batches in record_golden_test.cpp with kafka-python 2.0.2
(an independent RecordBatch v2 implementation: its own varints and its own CRC-32C).
Run with Debian's /usr/bin/python3 (python3-kafka). Prints C++ initializers."""
from kafka.record.default_records import DefaultRecordBatchBuilder

CASES = []


def case(name, compression=0, txn=0, pid=-1, epoch=-1, seq=-1, records=()):
    b = DefaultRecordBatchBuilder(magic=2, compression_type=compression, is_transactional=txn,
                                  producer_id=pid, producer_epoch=epoch, base_sequence=seq,
                                  batch_size=1 << 20)
    for off, ts, k, v, hs in records:
        b.append(off, timestamp=ts, key=k, value=v, headers=hs)
    CASES.append((name, bytes(b.build())))


case("one_record", records=[(0, 1000, b"k", b"v", [])])
case("headers_nulls", records=[
    (0, 1600000000000, None, b"value-0", [("h1", b"x"), ("h2", None)]),
    (1, 1600000000005, b"key-1", None, []),
    (2, 1599999999990, b"", b"", [("", b"")]),
])
case("idempotent", pid=4242, epoch=7, seq=100, records=[
    (i, 1700000000000 + i, b"key-%d" % i, b"val-%d" % i, []) for i in range(5)])
case("transactional", txn=1, pid=9, epoch=1, seq=0, records=[(0, 5, b"a", b"b", [])])
case("gzip", compression=1, records=[
    (i, 1700000000000 + i, b"key-%d" % i, b"value-%d" % i * 10, []) for i in range(20)])

for name, data in CASES:
    print('    {"%s", "%s"},' % (name, data.hex()))
