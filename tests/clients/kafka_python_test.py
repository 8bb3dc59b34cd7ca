"""kafka-python against a real `tern broker`.

Admin: create/list/describe/alter configs/create partitions/delete topics. KafkaProducer acks='all'
with keys and headers, in every codec kafka-python can use here (a codec whose Python module is
missing is skipped with a note); KafkaConsumer with assign() + seek_to_beginning() reads back;
offsets_for_times. kafka-python infers the broker version from ApiVersions v0 and then uses fixed
request versions (Produce v7, Fetch v4, ListOffsets v1; see CLIENTS.md).
Run: /usr/bin/python3 tests/clients/kafka_python_test.py path/to/tern
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from broker_fixture import run_test  # noqa: E402

import kafka.codec  # noqa: E402
from kafka import KafkaConsumer, KafkaProducer, TopicPartition  # noqa: E402
from kafka.errors import TopicAlreadyExistsError, UnknownTopicOrPartitionError  # noqa: E402
from kafka.admin import (ConfigResource, ConfigResourceType, KafkaAdminClient,  # noqa: E402
                         NewPartitions, NewTopic)

BIG = 1 << 20
CODECS = {None: lambda: True, 'gzip': kafka.codec.has_gzip, 'snappy': kafka.codec.has_snappy,
          'lz4': kafka.codec.has_lz4, 'zstd': kafka.codec.has_zstd}
MODULE = {'snappy': 'python3-snappy', 'lz4': 'python3-lz4', 'zstd': 'python3-zstandard'}


def admin_client(bs):
    return KafkaAdminClient(bootstrap_servers=bs, request_timeout_ms=15000,
                            client_id='tern-kp-admin')


def raised(fn):
    """The exception class fn() raised, or None."""
    try:
        fn()
        return None
    except Exception as e:
        return type(e)


def topic_errors(resp):
    """{topic: error_code} from Create/DeleteTopics and CreatePartitions responses."""
    rows = getattr(resp, 'topic_errors', None) or getattr(resp, 'topic_error_codes')
    return {row[0]: row[1] for row in rows}


def test_admin(bs, chk):
    admin = admin_client(bs)
    try:
        resp = admin.create_topics([NewTopic('kp-admin', 3, 1,
                                             topic_configs={'retention.ms': '3600000'})],
                                   timeout_ms=10000)
        chk.equal(topic_errors(resp), {'kp-admin': 0}, 'create_topics')
        # kafka-python raises topic errors of Create/DeleteTopics as exceptions.
        chk.equal(raised(lambda: admin.create_topics([NewTopic('kp-admin', 1, 1)],
                                                     timeout_ms=10000)),
                  TopicAlreadyExistsError, 'create again -> TopicAlreadyExistsError (36)')
        chk.check('kp-admin' in admin.list_topics(), 'list_topics shows kp-admin')

        def describe():
            [resp] = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC,
                                                            'kp-admin')])
            [(err, _msg, _rtype, name, entries)] = resp.resources
            return err, name, {e[0]: e[1] for e in entries}

        err, name, entries = describe()
        chk.equal((err, name), (0, 'kp-admin'), 'describe_configs: no error')
        chk.equal(entries.get('retention.ms'), '3600000', 'describe_configs: retention.ms')

        resp = admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, 'kp-admin',
                                                   configs={'retention.ms': '7200000'})])
        chk.equal([r[0] for r in resp.resources], [0], 'alter_configs')
        chk.equal(describe()[2].get('retention.ms'), '7200000', 'describe after alter')

        resp = admin.create_partitions({'kp-admin': NewPartitions(6)}, timeout_ms=10000)
        chk.equal(topic_errors(resp), {'kp-admin': 0}, 'create_partitions 3 -> 6')
        c = KafkaConsumer(bootstrap_servers=bs, request_timeout_ms=15000)
        try:
            deadline = time.monotonic() + 10
            parts = None
            while time.monotonic() < deadline:
                c._client.poll(future=c._client.cluster.request_update(), timeout_ms=1000)
                parts = c.partitions_for_topic('kp-admin')
                if parts and len(parts) == 6:
                    break
            chk.equal(len(parts or ()), 6, 'metadata shows 6 partitions')
        finally:
            c.close()

        resp = admin.delete_topics(['kp-admin'], timeout_ms=10000)
        chk.equal(topic_errors(resp), {'kp-admin': 0}, 'delete_topics')
        chk.check('kp-admin' not in admin.list_topics(), 'list_topics no longer shows kp-admin')
        chk.equal(raised(lambda: admin.delete_topics(['kp-never'], timeout_ms=10000)),
                  UnknownTopicOrPartitionError, 'delete unknown -> UnknownTopicOrPartitionError')
    finally:
        admin.close()


def create(bs, name, partitions):
    admin = admin_client(bs)
    try:
        errs = topic_errors(admin.create_topics([NewTopic(name, partitions, 1)],
                                                timeout_ms=10000))
        if errs != {name: 0}:
            raise RuntimeError('create_topics %s: %s' % (name, errs))
    finally:
        admin.close()


def produce_all(bs, topic, msgs, codec=None):
    """msgs: list of send() kwargs. Returns RecordMetadata in send order (raises on failure)."""
    p = KafkaProducer(bootstrap_servers=bs, acks='all', compression_type=codec, linger_ms=20,
                      max_request_size=4000000, request_timeout_ms=30000, max_block_ms=30000)
    try:
        futures = [p.send(topic, **m) for m in msgs]
        p.flush(timeout=60)
        return [f.get(timeout=30) for f in futures]
    finally:
        p.close(timeout=10)


def consume_all(bs, topic, partitions, count, timeout=30.0):
    c = KafkaConsumer(bootstrap_servers=bs, group_id=None, enable_auto_commit=False,
                      request_timeout_ms=15000, consumer_timeout_ms=1000)
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        c.assign(tps)
        c.seek_to_beginning(*tps)
        out = []
        deadline = time.monotonic() + timeout
        while len(out) < count and time.monotonic() < deadline:
            for recs in c.poll(timeout_ms=500).values():
                out.extend(recs)
        return out
    finally:
        c.close()


def test_codec(bs, chk, codec):
    name = codec or 'none'
    if not CODECS[codec]():
        chk.skip('codec %s' % name, 'Python module missing (install %s)' % MODULE.get(codec))
        return
    topic = 'kp-' + name
    create(bs, topic, 3)
    msgs = [{'key': b'key%d' % (i % 5), 'value': (b'%s-%d|' % (name.encode(), i)) * 10,
             'headers': [('i', str(i).encode()), ('codec', name.encode())]}
            for i in range(300)]
    metas = produce_all(bs, topic, msgs, codec)
    by_part = {}
    key_part = {}
    same_key = True
    for m, md in zip(msgs, metas):
        by_part.setdefault(md.partition, []).append(md.offset)
        same_key &= key_part.setdefault(m['key'], md.partition) == md.partition
    chk.check(same_key, '%s: same key -> same partition' % name)
    chk.check(all(sorted(o) == list(range(len(o))) for o in by_part.values()),
              '%s: acks=all offsets contiguous from 0 per partition' % name,
              {p: (min(o), max(o), len(o)) for p, o in by_part.items()})
    got = consume_all(bs, topic, 3, len(msgs))
    chk.equal(len(got), len(msgs), '%s: consumed every message' % name)
    want = {(md.partition, md.offset): (m['key'], m['value'], m['headers'])
            for m, md in zip(msgs, metas)}
    have = {(r.partition, r.offset): (r.key, r.value, list(r.headers)) for r in got}
    chk.check(have == want, '%s: key, value, headers at each delivered offset' % name,
              len(set(have) ^ set(want)))
    order = True
    last = {}
    for r in got:
        order &= r.offset > last.get(r.partition, -1)
        last[r.partition] = r.offset
    chk.check(order, '%s: per-partition order' % name)


def test_misc(bs, chk):
    create(bs, 'kp-misc', 1)
    big = os.urandom(BIG)
    msgs = [{'key': None, 'value': b'null-key'}, {'key': b'empty', 'value': b''},
            {'key': b'tomb', 'value': None}, {'key': b'big', 'value': big},
            {'key': b'after', 'value': b'after-big'}]
    metas = produce_all(bs, 'kp-misc', msgs)
    chk.equal([md.offset for md in metas], list(range(5)), 'misc: offsets 0..4')
    got = consume_all(bs, 'kp-misc', 1, 5)
    chk.equal([(r.offset, r.key) for r in got], [(i, m['key']) for i, m in enumerate(msgs)],
              'misc: offsets and keys (null key stays null)')
    if len(got) == 5:
        chk.equal([got[0].value, got[1].value, got[2].value, got[4].value],
                  [b'null-key', b'', None, b'after-big'], 'misc: values (empty, null)')
        chk.check(got[3].value == big, '1 MiB value read back byte-exact',
                  'len %d' % len(got[3].value or b''))


def test_offsets_for_times(bs, chk):
    create(bs, 'kp-time', 1)
    base = int(time.time() * 1000) - 100000
    produce_all(bs, 'kp-time', [{'value': b't%d' % i, 'timestamp_ms': base + 1000 * i}
                                for i in range(10)])
    got = consume_all(bs, 'kp-time', 1, 10)
    chk.equal([r.timestamp for r in got], [base + 1000 * i for i in range(10)],
              'CreateTime timestamps read back')
    c = KafkaConsumer(bootstrap_servers=bs, group_id=None, request_timeout_ms=15000)
    try:
        tp = TopicPartition('kp-time', 0)
        cases = [(base + 3500, (4, base + 4000)), (base + 3000, (3, base + 3000)),
                 (base - 5000, (0, base)), (base + 20000, None)]
        res = []
        for t, _ in cases:
            r = c.offsets_for_times({tp: t})[tp]
            res.append(None if r is None else (r.offset, r.timestamp))
        chk.equal(res, [w for _, w in cases],
                  'offsets_for_times: first (offset, timestamp) with timestamp >= t')
        chk.equal((c.beginning_offsets([tp])[tp], c.end_offsets([tp])[tp]), (0, 10),
                  'beginning_offsets / end_offsets')
    finally:
        c.close()


def body(broker, chk):
    bs = broker.bootstrap
    parts = [test_admin] + [lambda b, k, z=z: test_codec(b, k, z) for z in CODECS]
    parts += [test_misc, test_offsets_for_times]
    for part in parts:
        try:
            part(bs, chk)
        except Exception as e:
            chk.error(getattr(part, '__name__', 'part'), e)
        if not broker.alive():
            break


if __name__ == '__main__':
    run_test('kafka_python_test', body,
             overrides={'message.max.bytes': '4194304', 'auto.create.topics.enable': 'false'})
