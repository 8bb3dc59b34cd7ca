"""kafkajs (node) against a real `tern broker`, read back with confluent-kafka.

kafkajs_client.js does the admin calls (createTopics/listTopics/fetchTopicMetadata/
describeConfigs/alterConfigs/createPartitions/deleteTopics) and produces with acks -1, keys,
headers, gzip, a null key, empty and null values, then checks fetchTopicOffsets moved by the
number of messages. kafkajs only has group consumers and tern has no consumer groups yet, so the
data is read back here with confluent-kafka (assign(), no group) and compared with what kafkajs
says it sent: contents, same key -> same partition (and the partition kafkajs' Java-compatible
murmur2 partitioner picks), per-partition order, contiguous offsets.
Run: /usr/bin/python3 tests/clients/kafkajs_test.py path/to/tern
"""
import json
import os
import shutil
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
from broker_fixture import run_test  # noqa: E402
from confluent_kafka_test import consume_all  # noqa: E402

from kafka.partitioner.default import murmur2  # noqa: E402

KAFKAJS = os.path.join(here, 'node', 'node_modules', 'kafkajs')


def b(s):
    return None if s is None else s.encode()


def body(broker, chk):
    node = shutil.which('node')
    if node is None or not os.path.isdir(KAFKAJS):
        chk.check(False, 'node and kafkajs installed',
                  'missing %s (run tools/setup.sh)' % ('node' if node is None else KAFKAJS))
        return
    proc = subprocess.run([node, os.path.join(here, 'kafkajs_client.js'), broker.bootstrap],
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=150)
    sent = None
    for line in proc.stdout.decode('utf-8', 'replace').splitlines():
        if line.startswith('ok   '):
            chk.check(True, 'kafkajs: ' + line[5:])
        elif line.startswith('FAIL '):
            chk.check(False, 'kafkajs: ' + line[5:])
        elif line.startswith('SENT '):
            sent = json.loads(line[5:])
        else:
            print('node: ' + line)
    chk.equal(proc.returncode, 0, 'kafkajs_client.js exit status')
    if not sent:
        chk.check(False, 'kafkajs produced something to read back')
        return

    got = consume_all(broker.bootstrap, 'kj-data', 3, len(sent))
    chk.equal(len(got), len(sent), 'read back as many messages as kafkajs sent')
    key_of = lambda k, v, h: (k, v, tuple(h))  # noqa: E731
    want = sorted((key_of(b(m['key']), b(m['value']), [(h[0], b(h[1])) for h in m['headers']])
                   for m in sent), key=repr)
    have = sorted((key_of(m.key(), m.value(), m.headers() or []) for m in got), key=repr)
    chk.check(have == want, 'key, value and headers of every message', 'differs')

    parts = {}
    offsets = {}
    seqs = {}
    for m in got:
        offsets.setdefault(m.partition(), []).append(m.offset())
        if m.key() is not None and m.headers():
            parts.setdefault(m.key(), set()).add(m.partition())
            seqs.setdefault(m.partition(), []).append(int(dict(m.headers())['seq']))
    chk.check(all(len(p) == 1 for p in parts.values()), 'same key -> same partition',
              {k: sorted(v) for k, v in parts.items()})
    chk.check(all(p == {(murmur2(k) & 0x7fffffff) % 3} for k, p in parts.items()),
              "partition = kafkajs' murmur2 default partitioner choice")
    chk.check(all(o == list(range(len(o))) for o in offsets.values()),
              'offsets contiguous from 0 per partition, read in order')
    chk.check(all(s == sorted(s) for s in seqs.values()), 'per-partition order = send order')
    odd = [(m.key(), m.value()) for m in got if m.partition() == 0 and not m.headers()]
    chk.equal(odd, [(None, b'null-key'), (b'empty', b''), (b'tomb', None)],
              'null key / empty value / null value')


if __name__ == '__main__':
    run_test('kafkajs_test', body, overrides={'auto.create.topics.enable': 'false'})
