"""librdkafka (confluent-kafka) load for tools/perf/compare.sh. Run with /usr/bin/python3:
Debian's python3-confluent-kafka imports only under the system interpreter.

  rdkafka_perf.py produce BOOTSTRAP|mock TOPIC N     1 KiB records, acks=all, linger.ms=5
  rdkafka_perf.py consume BOOTSTRAP TOPIC N          partition 0 from offset 0
  rdkafka_perf.py rtt N                              loopback TCP ping-pong, 1 byte

Each prints one line of key=value pairs; MBps is 10^6 bytes per second.
"""
import socket
import sys
import threading
import time


def produce(target, topic, n):
    from confluent_kafka import Producer
    conf = {'acks': 'all', 'linger.ms': 5, 'queue.buffering.max.kbytes': 1048576,
            'queue.buffering.max.messages': 1000000}
    if target == 'mock':
        conf['test.mock.num.brokers'] = 1  # librdkafka's in-process, in-memory mock cluster
    else:
        conf['bootstrap.servers'] = target
    p = Producer(conf)
    value = b'x' * 1024
    counts = {'ok': 0, 'err': 0}

    def on_delivery(err, _msg):
        counts['err' if err else 'ok'] += 1

    p.produce(topic, value, on_delivery=on_delivery)  # metadata and the first batch
    p.flush(30)
    start = time.perf_counter()
    for i in range(n):
        while True:
            try:
                p.produce(topic, value, on_delivery=on_delivery)
                break
            except BufferError:
                p.poll(0.001)
        if i % 1000 == 0:
            p.poll(0)
    p.flush(120)
    secs = time.perf_counter() - start
    print(f"produce target={target} records={n} acked={counts['ok'] - 1} errors={counts['err']} "
          f"secs={secs:.3f} MBps={n * 1024 / secs / 1e6:.1f}")


def consume(bootstrap, topic, n):
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'tern-perf',
                  'enable.auto.commit': False, 'fetch.max.bytes': 52428800,
                  'max.partition.fetch.bytes': 8388608, 'queued.max.messages.kbytes': 1048576})
    c.assign([TopicPartition(topic, 0, 0)])
    got = nbytes = 0
    start = None
    give_up = time.monotonic() + 120
    while got < n and time.monotonic() < give_up:
        msgs = c.consume(10000, 1.0)
        if start is None and msgs:
            start = time.perf_counter()
        for m in msgs:
            if not m.error():
                got += 1
                nbytes += len(m.value())
    secs = time.perf_counter() - (start or time.perf_counter())
    c.close()
    print(f"consume records={got} secs={secs:.3f} MBps={nbytes / max(secs, 1e-9) / 1e6:.1f}")


def rtt(n):
    srv = socket.socket()
    srv.bind(('127.0.0.1', 0))
    srv.listen(1)

    def echo():
        conn, _ = srv.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while True:
            b = conn.recv(1)
            if not b:
                return
            conn.sendall(b)

    threading.Thread(target=echo, daemon=True).start()
    c = socket.create_connection(srv.getsockname())
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    lat = []
    for _ in range(n):
        t = time.perf_counter()
        c.sendall(b'x')
        c.recv(1)
        lat.append(time.perf_counter() - t)
    lat.sort()
    print(f"rtt samples={n} p50_us={lat[n // 2] * 1e6:.1f} p99_us={lat[n * 99 // 100] * 1e6:.1f}")


if __name__ == '__main__':
    mode = sys.argv[1] if len(sys.argv) > 1 else ''
    if mode == 'produce' and len(sys.argv) == 5:
        produce(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif mode == 'consume' and len(sys.argv) == 5:
        consume(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif mode == 'rtt' and len(sys.argv) == 3:
        rtt(int(sys.argv[2]))
    else:
        sys.exit(__doc__)
