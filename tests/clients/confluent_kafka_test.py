"""confluent-kafka (librdkafka) against a real `tern broker`.

Admin: create/list/describe/alter configs/create partitions/delete topics. Producer acks=all with
keys (delivery offsets contiguous per partition, same key -> same partition); consumer with
assign() from OFFSET_BEGINNING reads everything back in order; headers, null keys, empty/null and
1 MiB values; every compression codec; offsets_for_times.
Run: /usr/bin/python3 tests/clients/confluent_kafka_test.py path/to/tern
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from broker_fixture import run_test  # noqa: E402

from confluent_kafka import (OFFSET_BEGINNING, Consumer, KafkaError,  # noqa: E402
                             Producer, TopicPartition)
from confluent_kafka.admin import (AdminClient, ConfigResource, NewPartitions,  # noqa: E402
                                   NewTopic)

TIMEOUT = 15  # seconds, for every blocking client call
BIG = 1 << 20


def future_errors(futures):
    """{name: exception or None} after waiting for every future."""
    out = {}
    for name, f in futures.items():
        try:
            f.result(timeout=TIMEOUT)
            out[name] = None
        except Exception as e:  # the client reports failures as exceptions
            out[name] = e
    return out


def wait_for(pred, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(0.2)


def partitions_of(admin, topic):
    md = admin.list_topics(topic=topic, timeout=TIMEOUT)
    t = md.topics.get(topic)
    if t is None or t.error is not None:
        return None
    return len(t.partitions)


def test_admin(bs, chk):
    admin = AdminClient({'bootstrap.servers': bs})
    md = admin.list_topics(timeout=TIMEOUT)
    chk.equal(len(md.brokers), 1, 'list_topics: one broker')
    chk.check(md.controller_id >= 0, 'list_topics: a controller', md.controller_id)

    errs = future_errors(admin.create_topics(
        [NewTopic('ck-admin', 3, 1, config={'retention.ms': '3600000'}),
         NewTopic('ck-admin2', 1, 1)], operation_timeout=10, request_timeout=TIMEOUT))
    chk.equal(errs, {'ck-admin': None, 'ck-admin2': None}, 'create_topics')
    dup = future_errors(admin.create_topics([NewTopic('ck-admin', 1, 1)],
                                            request_timeout=TIMEOUT))['ck-admin']
    chk.check(dup is not None and dup.args[0].code() == KafkaError.TOPIC_ALREADY_EXISTS,
              'create_topics again -> TOPIC_ALREADY_EXISTS', dup)
    topics = admin.list_topics(timeout=TIMEOUT).topics
    chk.check('ck-admin' in topics and 'ck-admin2' in topics, 'list_topics shows both',
              sorted(topics))
    chk.equal(partitions_of(admin, 'ck-admin'), 3, 'ck-admin has 3 partitions')

    res = ConfigResource('topic', 'ck-admin')
    cfg = admin.describe_configs([res], request_timeout=TIMEOUT)[res].result(timeout=TIMEOUT)
    chk.equal(cfg.get('retention.ms') and cfg['retention.ms'].value, '3600000',
              'describe_configs: retention.ms set at creation')
    chk.check(len(cfg) > 1, 'describe_configs returns more than one entry', len(cfg))

    alter = ConfigResource('topic', 'ck-admin', set_config={'retention.ms': '7200000',
                                                            'cleanup.policy': 'delete'})
    errs = future_errors(admin.alter_configs([alter], request_timeout=TIMEOUT))
    chk.equal(list(errs.values()), [None], 'alter_configs')
    cfg = admin.describe_configs([res], request_timeout=TIMEOUT)[res].result(timeout=TIMEOUT)
    chk.equal(cfg['retention.ms'].value, '7200000', 'describe_configs after alter_configs')

    errs = future_errors(admin.create_partitions([NewPartitions('ck-admin', 5)],
                                                 request_timeout=TIMEOUT))
    chk.equal(errs, {'ck-admin': None}, 'create_partitions 3 -> 5')
    chk.equal(wait_for(lambda: partitions_of(admin, 'ck-admin') == 5), True,
              'metadata shows 5 partitions')
    shrink = future_errors(admin.create_partitions([NewPartitions('ck-admin', 2)],
                                                   request_timeout=TIMEOUT))['ck-admin']
    chk.check(shrink is not None and shrink.args[0].code() == KafkaError.INVALID_PARTITIONS,
              'create_partitions 5 -> 2 -> INVALID_PARTITIONS', shrink)

    errs = future_errors(admin.delete_topics(['ck-admin', 'ck-admin2'], operation_timeout=10,
                                             request_timeout=TIMEOUT))
    chk.equal(errs, {'ck-admin': None, 'ck-admin2': None}, 'delete_topics')
    gone = wait_for(lambda: not ({'ck-admin', 'ck-admin2'}
                                 & set(admin.list_topics(timeout=TIMEOUT).topics)))
    chk.check(gone, 'list_topics no longer shows deleted topics')
    missing = future_errors(admin.delete_topics(['ck-never'], request_timeout=TIMEOUT))['ck-never']
    chk.check(missing is not None
              and missing.args[0].code() == KafkaError.UNKNOWN_TOPIC_OR_PART,
              'delete_topics unknown -> UNKNOWN_TOPIC_OR_PARTITION', missing)


def create(bs, name, partitions):
    admin = AdminClient({'bootstrap.servers': bs})
    err = future_errors(admin.create_topics([NewTopic(name, partitions, 1)],
                                            request_timeout=TIMEOUT))[name]
    if err is not None:
        raise RuntimeError('create_topics %s: %s' % (name, err))


def produce_all(bs, topic, msgs, extra=None):
    """msgs: list of dicts for Producer.produce. Returns delivery reports in produce order."""
    conf = {'bootstrap.servers': bs, 'acks': 'all', 'linger.ms': 20,
            'message.timeout.ms': 30000, 'message.max.bytes': 4000000}
    conf.update(extra or {})
    p = Producer(conf)
    reports = [None] * len(msgs)

    def on_delivery(i):
        def cb(err, m):
            reports[i] = (err, m.partition(), m.offset())
        return cb

    for i, m in enumerate(msgs):
        p.produce(topic, on_delivery=on_delivery(i), **m)
        p.poll(0)
    left = p.flush(60)
    if left:
        raise RuntimeError('%d messages not delivered after 60s' % left)
    return reports


def consume_all(bs, topic, partitions, count, timeout=30.0):
    c = Consumer({'bootstrap.servers': bs, 'group.id': 'tern-unused',  # assign() only
                  'enable.auto.commit': False, 'enable.auto.offset.store': False,
                  'enable.partition.eof': False})
    try:
        c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
        out = []
        deadline = time.monotonic() + timeout
        while len(out) < count and time.monotonic() < deadline:
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error():
                raise RuntimeError('consume %s: %s' % (topic, m.error()))
            out.append(m)
        return out
    finally:
        c.close()


def test_keyed(bs, chk):
    create(bs, 'ck-keys', 4)
    msgs = [{'key': b'key%d' % (i % 11), 'value': b'value-%d' % i} for i in range(400)]
    reports = produce_all(bs, 'ck-keys', msgs)
    chk.equal([r for r in reports if r[0] is not None], [], 'acks=all: no delivery errors')
    by_part = {}
    key_part = {}
    same_key_ok = True
    for m, (_, part, off) in zip(msgs, reports):
        by_part.setdefault(part, []).append(off)
        if key_part.setdefault(m['key'], part) != part:
            same_key_ok = False
    chk.check(same_key_ok, 'same key -> same partition (delivery reports)')
    contiguous = all(sorted(offs) == list(range(len(offs))) for offs in by_part.values())
    chk.check(contiguous, 'delivery offsets contiguous from 0 per partition',
              {p: (min(o), max(o), len(o)) for p, o in by_part.items()})
    chk.check(len(by_part) > 1, 'keys spread over more than one partition', sorted(by_part))

    got = consume_all(bs, 'ck-keys', 4, len(msgs))
    chk.equal(len(got), len(msgs), 'consumed every keyed message')
    want = {(r[1], r[2]): (m['key'], m['value']) for m, r in zip(msgs, reports)}
    have = {(m.partition(), m.offset()): (m.key(), m.value()) for m in got}
    chk.check(have == want, 'each (partition, offset) holds the produced key and value',
              len(set(have.items()) ^ set(want.items())))
    in_order = True
    last = {}
    for m in got:
        if m.offset() <= last.get(m.partition(), -1):
            in_order = False
        last[m.partition()] = m.offset()
    chk.check(in_order, 'per-partition consume order is offset order')


def test_misc(bs, chk):
    create(bs, 'ck-misc', 1)
    big = os.urandom(BIG)
    msgs = [
        {'key': None, 'value': b'null-key'},
        {'key': b'empty', 'value': b''},
        {'key': b'tombstone', 'value': None},
        {'key': b'hdr', 'value': b'with headers',
         'headers': [('h1', b'v1'), ('h2', b''), ('h1', b'dup'), ('bin', bytes(range(256)))]},
        {'key': b'big', 'value': big},
        {'key': b'after', 'value': b'after-big'},
    ]
    reports = produce_all(bs, 'ck-misc', msgs)
    chk.equal([(r[0], r[2]) for r in reports], [(None, i) for i in range(len(msgs))],
              'misc: delivered at offsets 0..5')
    got = consume_all(bs, 'ck-misc', 1, len(msgs))
    chk.equal(len(got), len(msgs), 'misc: consumed all')
    if len(got) != len(msgs):
        return
    chk.equal([m.offset() for m in got], list(range(len(msgs))), 'misc: offsets in order')
    chk.equal(got[0].key(), None, 'null key read back as null')
    chk.equal(got[0].value(), b'null-key', 'value of the null-key message')
    chk.equal(got[1].value(), b'', 'empty value read back as empty (not null)')
    chk.equal(got[2].value(), None, 'null value read back as null')
    chk.equal(got[3].headers(), msgs[3]['headers'], 'headers (order, duplicates, binary)')
    chk.equal(got[0].headers(), None, 'no headers -> none')
    chk.check(got[4].value() == big, '1 MiB value read back byte-exact',
              'len %d' % len(got[4].value() or b''))
    chk.equal(got[5].value(), b'after-big', 'message after the 1 MiB one')


def test_too_large(bs, chk):
    # The broker runs with message.max.bytes=4194304; the producer's own limit is raised so the
    # broker (not librdkafka) has to refuse the 5 MiB batch with MESSAGE_TOO_LARGE.
    create(bs, 'ck-too-large', 1)
    [(err, _, _)] = produce_all(bs, 'ck-too-large', [{'value': os.urandom(5 << 20)}],
                                {'message.max.bytes': 8000000, 'message.timeout.ms': 10000})
    chk.check(err is not None and err.code() == KafkaError.MSG_SIZE_TOO_LARGE,
              'batch over message.max.bytes -> MESSAGE_TOO_LARGE', err)


def test_compression(bs, chk):
    for codec in ['gzip', 'snappy', 'lz4', 'zstd']:
        topic = 'ck-' + codec
        create(bs, topic, 2)
        msgs = [{'key': b'k%d' % (i % 3), 'value': (b'%s-%d-' % (codec.encode(), i)) * 20}
                for i in range(300)]
        reports = produce_all(bs, topic, msgs, {'compression.type': codec, 'linger.ms': 50})
        chk.equal([r for r in reports if r[0] is not None], [], '%s: no delivery errors' % codec)
        got = consume_all(bs, topic, 2, len(msgs))
        want = {(r[1], r[2]): (m['key'], m['value']) for m, r in zip(msgs, reports)}
        have = {(m.partition(), m.offset()): (m.key(), m.value()) for m in got}
        chk.check(have == want and len(got) == len(msgs),
                  '%s: read back every message at its delivered offset' % codec,
                  'got %d of %d' % (len(got), len(msgs)))


def test_offsets_for_times(bs, chk):
    create(bs, 'ck-time', 1)
    base = int(time.time() * 1000) - 100000
    msgs = [{'value': b't%d' % i, 'timestamp': base + 1000 * i} for i in range(10)]
    produce_all(bs, 'ck-time', msgs)
    got = consume_all(bs, 'ck-time', 1, 10)
    chk.equal([m.timestamp()[1] for m in got], [base + 1000 * i for i in range(10)],
              'CreateTime timestamps read back')
    c = Consumer({'bootstrap.servers': bs, 'group.id': 'tern-unused',
                  'enable.auto.commit': False})
    try:
        cases = [(base + 3500, 4), (base + 3000, 3), (base - 5000, 0), (base + 9000, 9),
                 (base + 20000, -1)]
        # One query per timestamp: a request naming a partition twice is invalid in Kafka.
        got = [c.offsets_for_times([TopicPartition('ck-time', 0, t)], timeout=TIMEOUT)[0].offset
               for t, _ in cases]
        chk.equal(got, [want for _, want in cases],
                  'offsets_for_times: first offset with timestamp >= t (-1 past the end)')
        chk.equal(c.get_watermark_offsets(TopicPartition('ck-time', 0), timeout=TIMEOUT),
                  (0, 10), 'watermarks (earliest, latest)')
    finally:
        c.close()


def body(broker, chk):
    bs = broker.bootstrap
    for part in (test_admin, test_keyed, test_misc, test_too_large, test_compression,
                 test_offsets_for_times):
        try:
            part(bs, chk)
        except Exception as e:
            chk.error(part.__name__, e)
        if not broker.alive():
            break


if __name__ == '__main__':
    run_test('confluent_kafka_test', body,
             overrides={'message.max.bytes': '4194304', 'auto.create.topics.enable': 'false'})
