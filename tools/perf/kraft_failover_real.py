"""KRaft failover and metadata propagation of a real 3-node `tern broker` cluster (a benchmark:
it prints numbers, it asserts nothing).

Starts the cluster of tests/cluster/kraft_cluster_test.py (three combined broker,controller
nodes on 127.0.0.1, formatted with one cluster id), then:
  failover, --kills times: find the active controller (describe --status), kill -9 it, and
  measure from the kill (a) until a topic creation retried through a survivor commits (the next
  committed metadata record) and (b) until a survivor's describe --status names a new leader
  with a higher epoch; restart the killed node and wait until it has caught up (lag 0, the
  leader's log end offset) and is back in Metadata.
  propagation, --creates times: create a topic through one node (rotating) and poll every
  node's Metadata (a raw Metadata request to that node's port only) until it lists the topic;
  the time counts from the moment the creation was acknowledged.
Prints p50/p99/max, the configured timeouts and the machine.

    /usr/bin/python3 tools/perf/kraft_failover_real.py build/tools/tern [--kills 12]
        [--creates 30] [--election-ms 1000] [--fetch-ms 2000]

The tern binary is the first argument or $TERN. Every process is killed at exit.
"""
import argparse
import os
import platform
import signal
import socket
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'tests', 'cluster'))
import kraft_cluster_test as kc  # noqa: E402


def percentile(xs, p):
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    s = sorted(xs)
    k = max(0, min(len(s) - 1, int(-(-p * len(s) // 100)) - 1))
    return s[k]


def summary(name, xs):
    if not xs:
        return '%-44s no samples' % name
    return '%-44s n=%-3d p50 %7.0f  p99 %7.0f  max %7.0f ms' % (
        name, len(xs), percentile(xs, 50), percentile(xs, 99), max(xs))


def machine():
    model = platform.processor() or '?'
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    model = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    return '%d CPUs (nproc), %s, %s' % (len(os.sched_getaffinity(0)), model, platform.platform())


class MetadataPoller:
    """One connection to one node; topics() sends Metadata v1 for all topics (no automatic
    creation) and returns the names the node lists without an error."""

    def __init__(self, port):
        self.port = port
        self.sock = None
        self.corr = 0

    def _connect(self):
        self.sock = socket.create_connection(('127.0.0.1', self.port), timeout=5)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def topics(self):
        if self.sock is None:
            self._connect()
        self.corr += 1
        req = struct.pack('>hhi', 3, 1, self.corr) + kc._s16('kraft-bench') + \
            struct.pack('>i', -1)
        try:
            self.sock.sendall(struct.pack('>i', len(req)) + req)
            size = struct.unpack('>i', kc._recv_exact(self.sock, 4))[0]
            body = kc._recv_exact(self.sock, size)
        except OSError:
            self.close()
            raise
        return parse_metadata_v1(body)

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def parse_metadata_v1(b):
    pos = 4  # correlation id
    (n,) = struct.unpack_from('>i', b, pos)
    pos += 4
    for _ in range(n):  # brokers: node_id, host, port, rack (nullable)
        pos += 4
        (hl,) = struct.unpack_from('>h', b, pos)
        pos += 2 + hl + 4
        (rl,) = struct.unpack_from('>h', b, pos)
        pos += 2 + max(rl, 0)
    pos += 4  # controller id
    (n,) = struct.unpack_from('>i', b, pos)
    pos += 4
    names = set()
    for _ in range(n):
        (err, nl) = struct.unpack_from('>hh', b, pos)
        pos += 4
        name = b[pos:pos + nl].decode()
        pos += nl + 1  # is_internal
        (np_,) = struct.unpack_from('>i', b, pos)
        pos += 4
        for _ in range(np_):  # error, index, leader, replicas[], isr[]
            pos += 10
            for _ in range(2):
                (k,) = struct.unpack_from('>i', b, pos)
                pos += 4 + 4 * max(k, 0)
        if err == 0:
            names.add(name)
    return names


def wait_healthy(c, timeout=30):
    """All three voters at lag 0 with one log end offset, and Metadata from every node lists
    brokers 1,2,3. Returns ms or None."""
    want = {n.id: n.port for n in c.nodes.values()}

    def ok():
        rep = c.replication(1)
        if rep is None:
            return False
        rows = rep[1]
        if len(rows) != 3 or len({r['LogEndOffset'] for r in rows}) != 1 or \
                any(r['Lag'] != 0 for r in rows):
            return False
        return all(c.kcat_brokers(n.port)[1] == want for n in c.nodes.values())
    _, ms = kc.wait_for(ok, timeout, 0.05)
    return ms


def failover_cycles(c, kills, bound_ms, log):
    new_leader, committed, caught_up = [], [], []
    for i in range(kills):
        st = c.status(1) or c.status(2) or c.status(3)
        if st is None or st['LeaderId'] not in c.nodes:
            log('cycle %d: no leader before the kill (%r); stopping' % (i + 1, st))
            break
        leader, epoch = st['LeaderId'], st['LeaderEpoch']
        st_ms, cr_ms, new, run = kc.measure_failover(c, leader, epoch, 'failover-%d' % i,
                                                     bound_ms)
        if st_ms is not None:
            new_leader.append(st_ms)
        if cr_ms is not None:
            committed.append(cr_ms)
        c.start(leader)
        t0 = kc.now_ms()
        serving = c.wait_serving(leader)
        healthy = wait_healthy(c) if serving else None
        if healthy is not None:
            caught_up.append(kc.now_ms() - t0)
        log('cycle %2d: killed leader %d (epoch %d) -> leader %s (epoch %s): commit %s ms, '
            'new leader reported %s ms; restarted node healthy after %s ms' % (
                i + 1, leader, epoch, new and new.get('LeaderId'), new and new.get('LeaderEpoch'),
                fmt(cr_ms), fmt(st_ms), fmt(None if healthy is None else kc.now_ms() - t0)))
        if st_ms is None or cr_ms is None or healthy is None:
            log('cycle %d: something did not happen in time; last create: %r' % (i + 1, run))
            c.print_tails(15)
            break
    return new_leader, committed, caught_up


def propagation_rounds(c, creates, log):
    per_node = {i: [] for i in c.nodes}
    slowest = []
    create_ms = []
    pollers = {i: MetadataPoller(n.port) for i, n in c.nodes.items()}
    try:
        for k in range(creates):
            via = list(c.nodes)[k % len(c.nodes)]
            name = 'prop-%d' % k
            t0 = kc.now_ms()
            r = c.create_topic(via, name, 3)
            t_ack = kc.now_ms()
            if not r.ok():
                log('create %s through node %d failed: %r' % (name, via, r))
                continue
            create_ms.append(t_ack - t0)
            seen = {}
            deadline = time.monotonic() + 10
            while len(seen) < len(pollers) and time.monotonic() < deadline:
                for i, p in pollers.items():
                    if i in seen:
                        continue
                    try:
                        if name in p.topics():
                            seen[i] = kc.now_ms() - t_ack
                    except OSError:
                        pass
            for i, ms in seen.items():
                per_node[i].append(ms)
            log('create %-8s via node %d: acknowledged after %3.0f ms; visible after the ack on '
                '%s' % (name, via, t_ack - t0, ', '.join('node %d %.0f ms' % (i, seen[i])
                                                        for i in sorted(seen))))
            if len(seen) == len(pollers):
                slowest.append(max(seen.values()))
            else:
                log('create %s: not visible on nodes %s after 10 s' %
                    (name, sorted(set(pollers) - set(seen))))
    finally:
        for p in pollers.values():
            p.close()
    return create_ms, per_node, slowest


def fmt(ms):
    return '-' if ms is None else '%d' % ms


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('tern', nargs='?', default=os.environ.get('TERN'),
                    help='the tern binary (default: $TERN)')
    ap.add_argument('--kills', type=int, default=12, help='failover cycles (default 12)')
    ap.add_argument('--creates', type=int, default=30,
                    help='topic creations for the propagation measurement (default 30)')
    ap.add_argument('--election-ms', type=int, default=kc.ELECTION_TIMEOUT_MS,
                    help='controller.quorum.election.timeout.ms')
    ap.add_argument('--fetch-ms', type=int, default=kc.FETCH_TIMEOUT_MS,
                    help='controller.quorum.fetch.timeout.ms')
    args = ap.parse_args()
    if not args.tern:
        ap.error('give the tern binary as the argument or in $TERN')

    def on_signal(signum, _frame):
        raise kc.Abort('signal %d' % signum)
    signal.signal(signal.SIGTERM, on_signal)

    def log(text):
        print(text)
        sys.stdout.flush()

    bound_ms = 3 * (args.election_ms + args.fetch_ms)
    c = kc.Cluster(args.tern, election_ms=args.election_ms, fetch_ms=args.fetch_ms,
                   prefix='tern-kraft-bench-')
    ok = False
    try:
        _, formats = c.format_all()
        if not all(r.ok() for _, r in formats) or not c.start_all():
            log('the cluster did not start: %r' % [r for _, r in formats])
            c.print_tails()
            return 1
        st, ms = c.wait_leader(1, also=lambda s: s['HighWatermark'] > 0)
        if st is None or ms is None or wait_healthy(c) is None:
            log('no healthy cluster: %r' % st)
            c.print_tails()
            return 1
        log('cluster up in %s (leader %d after %d ms)' % (c.root, st['LeaderId'], ms))
        new_leader, committed, caught_up = failover_cycles(c, args.kills, bound_ms, log)
        create_ms, per_node, slowest = propagation_rounds(c, args.creates, log)
        log('')
        log('tern:     %s' % args.tern)
        log('machine:  %s' % machine())
        log('config:   3 combined nodes on 127.0.0.1, controller.quorum.election.timeout.ms=%d, '
            'controller.quorum.fetch.timeout.ms=%d' % (args.election_ms, args.fetch_ms))
        log('failover: %d kill -9 cycles of the active controller (timed from the kill)' %
            args.kills)
        log(summary('  next metadata record committed (create)', committed))
        log(summary('  new leader in describe --status', new_leader))
        log(summary('  restarted node caught up and in Metadata', caught_up))
        log('propagation: %d creations, timed from the creation being acknowledged' %
            args.creates)
        log(summary('  tern topics --create round trip', create_ms))
        for i, xs in per_node.items():
            log(summary('  visible in node %d Metadata' % i, xs))
        log(summary('  visible on all 3 nodes', slowest))
        ok = len(committed) == args.kills and len(slowest) == args.creates
        return 0 if ok else 1
    except (Exception, kc.Abort) as e:
        log('aborted: %s: %s' % (type(e).__name__, e))
        c.print_tails(15)
        return 1
    finally:
        c.stop_all()
        c.cleanup(keep=not ok or bool(os.environ.get('TERN_KEEP_DATA')))
        kc._kill_all_children()


if __name__ == '__main__':
    sys.exit(main())
