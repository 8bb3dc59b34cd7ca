"""A real 3-node KRaft cluster of `tern broker` processes on 127.0.0.1, end to end.

Three combined (broker,controller) nodes are formatted with one cluster id and started; the
test then checks, through tern's own tools and real Kafka clients:
  - `tern metadata-quorum describe --status/--replication` (kafka-metadata-quorum.sh's shapes):
    cluster id, one leader every node agrees on, epoch, high watermark, voters 1,2,3, each
    voter's log end offset, lag and Leader/Follower status;
  - kcat -L and confluent-kafka list_topics see all 3 brokers from every node;
  - a 6-partition topic created with `tern topics` has leaders on more than one broker, and
    confluent-kafka produces to every partition and consumes it back (clients follow leaders);
  - kill -9 of the active controller: a survivor reports a new leader with a higher epoch and
    a topic creation through a survivor commits, both within FAILOVER_BOUND_MS (printed);
  - the killed node restarts, catches up (lag 0, same log end offset as the leader) and serves
    Metadata with the topic created while it was down; its partitions' data survived;
  - bad input: a second process with a running node's node.id (2, then the other role's: no
    second leader, the original keeps working, the duplicate says why it is refused), a
    controller whose node.id is not a voter and an unformatted log dir (one error line,
    non-zero exit);
  - SIGTERM of one follower ends its process.
Checks.known_bug is for a check tern fails for a recorded reason (README.md); none today.

Run: /usr/bin/python3 tests/cluster/kraft_cluster_test.py path/to/tern
(Debian's python3-confluent-kafka imports only under /usr/bin/python3; kcat must be on PATH.)
Every process is killed at exit (finally + atexit + parent-death signal); SIGALRM bounds the
run. TERN_KEEP_DATA=1 keeps the temp dir; it is also kept (and node log tails printed) on
failure. `Cluster` is reused by tools/perf/kraft_failover_real.py.
"""
import atexit
import importlib.util
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..',
                                'clients'))
import broker_fixture  # noqa: E402  (tests/clients: the Checker the client tests use)

ELECTION_TIMEOUT_MS = 1000  # controller.quorum.election.timeout.ms
FETCH_TIMEOUT_MS = 2000     # controller.quorum.fetch.timeout.ms
# A follower notices a dead leader after fetch.timeout.ms, then (pre-)votes within about one
# election timeout (randomised up to 2x); a new leader then commits its first record at once.
# The bound is three times their sum: room for process start-up and a loaded CI machine, yet
# far below what a stuck election would take.
FAILOVER_BOUND_MS = 3 * (ELECTION_TIMEOUT_MS + FETCH_TIMEOUT_MS)
TIME_LIMIT_S = 160          # the whole test (meson's timeout is 180 s)
CMD_TIMEOUT_S = 8.0         # one tern CLI / kcat call
START_TIMEOUT_S = 20.0      # a node accepts connections
LEADER_TIMEOUT_S = 30.0     # the first election
CATCH_UP_TIMEOUT_S = 30.0   # a restarted node's lag reaches 0
CLIENT_TIMEOUT_S = 20       # confluent-kafka calls

STATUS_KEYS = ['ClusterId', 'LeaderId', 'LeaderEpoch', 'HighWatermark', 'MaxFollowerLag',
               'MaxFollowerLagTimeMs', 'CurrentVoters', 'CurrentObservers']
# kafka-metadata-quorum.sh describe --replication (Kafka 3.3-3.7; 3.8+ adds DirectoryId).
REPLICATION_COLUMNS = ['NodeId', 'LogEndOffset', 'Lag', 'LastFetchTimestamp',
                       'LastCaughtUpTimestamp', 'Status']
LOG_LINE = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d')  # the broker's structured log lines

_PROCS = []  # every child ever started: killed at exit whatever happens


def _kill_all_children():
    for p in _PROCS:
        if p.poll() is None:
            try:
                p.kill()
                p.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                pass


atexit.register(_kill_all_children)


# PR_SET_PDEATHSIG: a node must not outlive a test killed outright (tests/clients' helper).
_die_with_parent = broker_fixture._die_with_parent


class Abort(BaseException):
    """Time limit or SIGTERM: a BaseException so `except Exception` cannot swallow it."""


def free_ports(n):
    """n distinct bindable 127.0.0.1 ports below the ephemeral range (32768+), so that no
    client connection can take a killed node's port before it restarts."""
    held, ports = [], []
    try:
        while len(ports) < n:
            port = random.randint(20000, 32000)
            if port in ports:
                continue
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                s.bind(('127.0.0.1', port))
            except OSError:
                s.close()
                continue
            held.append(s)
            ports.append(port)
    finally:
        for s in held:
            s.close()
    return ports


def now_ms():
    return time.monotonic() * 1000.0


def tail(path, n=30):
    try:
        with open(path, 'rb') as f:
            lines = f.read().decode('utf-8', 'replace').splitlines()
        return '\n'.join(lines[-n:])
    except OSError:
        return '(no log)'


class Run:
    """What a command did: rc (None on timeout), stdout, stderr, seconds."""

    def __init__(self, rc, out, err, secs):
        self.rc, self.out, self.err, self.secs = rc, out, err, secs

    def ok(self):
        return self.rc == 0

    def __repr__(self):
        return 'rc=%s out=%r err=%r' % (self.rc, self.out[-300:], self.err[-300:])


def run(args, timeout=CMD_TIMEOUT_S):
    t0 = time.monotonic()
    try:
        p = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout)
        return Run(p.returncode, p.stdout.decode('utf-8', 'replace'),
                   p.stderr.decode('utf-8', 'replace'), time.monotonic() - t0)
    except subprocess.TimeoutExpired as e:
        return Run(None, (e.stdout or b'').decode('utf-8', 'replace'),
                   (e.stderr or b'').decode('utf-8', 'replace'), time.monotonic() - t0)


def parse_status(text):
    """`describe --status` -> {key: value}; voters/observers as lists of ints; None if the
    output is not a status."""
    out = {}
    for line in text.splitlines():
        k, sep, v = line.partition(':')
        if sep:
            out[k.strip()] = v.strip()
    if 'LeaderId' not in out:
        return None
    for k in ('LeaderId', 'LeaderEpoch', 'HighWatermark', 'MaxFollowerLag',
              'MaxFollowerLagTimeMs'):
        try:
            out[k] = int(out[k])
        except (KeyError, ValueError):
            pass
    for k in ('CurrentVoters', 'CurrentObservers'):
        v = out.get(k, '')
        if v.startswith('[') and v.endswith(']'):
            out[k] = [int(x) for x in v[1:-1].split(',') if x.strip()]
    out['_keys'] = [line.partition(':')[0].strip() for line in text.splitlines()
                    if ':' in line]
    return out


def parse_replication(text):
    """`describe --replication` -> (header, [row dict]) or None."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        return None
    header = lines[0].split('\t')
    rows = []
    for ln in lines[1:]:
        cells = ln.split('\t')
        if len(cells) != len(header):
            return None
        row = dict(zip(header, cells))
        for k in ('NodeId', 'LogEndOffset', 'Lag'):
            try:
                row[k] = int(row[k])
            except (KeyError, ValueError):
                pass
        rows.append(row)
    return header, rows


def parse_describe(text):
    """`tern topics --describe` -> {partition: leader (int, -1 for none)}."""
    leaders = {}
    for m in re.finditer(r'Partition: (\d+)\tLeader: (\S+)', text):
        leaders[int(m.group(1))] = int(m.group(2)) if m.group(2) != 'none' else -1
    return leaders


def parse_kcat_brokers(text):
    """kcat -L -> {broker id: port}."""
    return {int(m.group(1)): int(m.group(2))
            for m in re.finditer(r'broker (\d+) at 127\.0\.0\.1:(\d+)', text)}


class Node:
    def __init__(self, node_id, port, ctrl_port, root):
        self.id = node_id
        self.port = port
        self.ctrl_port = ctrl_port
        self.dir = os.path.join(root, 'node%d' % node_id)
        self.config = os.path.join(root, 'node%d.properties' % node_id)
        self.log = os.path.join(root, 'node%d.log' % node_id)
        self.proc = None

    @property
    def bootstrap(self):
        return '127.0.0.1:%d' % self.port

    def alive(self):
        return self.proc is not None and self.proc.poll() is None


class Cluster:
    """Three (or `size`) combined KRaft nodes in a temp dir; start() formats and launches."""

    def __init__(self, tern, size=3, election_ms=ELECTION_TIMEOUT_MS,
                 fetch_ms=FETCH_TIMEOUT_MS, prefix='tern-kraft-'):
        self.tern = os.path.abspath(tern)
        self.root = tempfile.mkdtemp(prefix=prefix)
        self.election_ms = election_ms
        self.fetch_ms = fetch_ms
        ports = free_ports(2 * size)
        self.nodes = {i + 1: Node(i + 1, ports[2 * i], ports[2 * i + 1], self.root)
                      for i in range(size)}
        self.voters = ','.join('%d@127.0.0.1:%d' % (n.id, n.ctrl_port)
                               for n in self.nodes.values())
        self.cluster_id = None
        self.extra = []  # processes started by start_extra()

    def properties(self, node_id, port, ctrl_port, data_dir, roles='broker,controller'):
        listeners = []
        if 'broker' in roles:
            listeners.append('PLAINTEXT://127.0.0.1:%d' % port)
        if 'controller' in roles:
            listeners.append('CONTROLLER://127.0.0.1:%d' % ctrl_port)
        return ('process.roles=%s\n' % roles +
                'node.id=%d\n' % node_id +
                'controller.quorum.voters=%s\n' % self.voters +
                'listeners=%s\n' % ','.join(listeners) +
                'controller.listener.names=CONTROLLER\n'
                'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT\n'
                'log.dirs=%s\n' % data_dir +
                'controller.quorum.election.timeout.ms=%d\n' % self.election_ms +
                'controller.quorum.fetch.timeout.ms=%d\n' % self.fetch_ms)

    def write(self, path, text):
        with open(path, 'w') as f:
            f.write(text)

    def cmd(self, *args, timeout=CMD_TIMEOUT_S):
        return run([self.tern] + list(args), timeout)

    def format_all(self):
        """random-uuid, then `storage format` per node; returns [(node, Run)]."""
        r = self.cmd('storage', 'random-uuid')
        self.cluster_id = r.out.strip()
        results = []
        for n in self.nodes.values():
            self.write(n.config, self.properties(n.id, n.port, n.ctrl_port, n.dir))
            results.append((n, self.format_config(n.config)))
        return r, results

    def format_config(self, config):
        return self.cmd('storage', 'format', '--cluster-id', self.cluster_id, '--config', config)

    def spawn(self, config, log):
        logf = open(log, 'ab')
        logf.write(('$ %s broker %s\n' % (self.tern, config)).encode())
        logf.flush()
        p = subprocess.Popen([self.tern, 'broker', config], stdin=subprocess.DEVNULL,
                             stdout=logf, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        logf.close()
        _PROCS.append(p)
        return p

    def start(self, node_id):
        n = self.nodes[node_id]
        n.proc = self.spawn(n.config, n.log)

    def wait_serving(self, node_id, timeout=START_TIMEOUT_S):
        """True once the node accepts TCP connections on its PLAINTEXT port."""
        n = self.nodes[node_id]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not n.alive():
                return False
            try:
                with socket.create_connection(('127.0.0.1', n.port), timeout=0.5):
                    return True
            except OSError:
                time.sleep(0.05)
        return False

    def start_all(self):
        for i in self.nodes:
            self.start(i)
        return all(self.wait_serving(i) for i in self.nodes)

    def kill9(self, node_id):
        n = self.nodes[node_id]
        n.proc.send_signal(signal.SIGKILL)
        n.proc.wait(10)

    def stop_all(self):
        procs = [n.proc for n in self.nodes.values() if n.proc] + self.extra
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for p in procs:
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)

    def cleanup(self, keep):
        if not keep:
            shutil.rmtree(self.root, ignore_errors=True)

    def print_tails(self, n=30):
        for node in self.nodes.values():
            print('--- node %d log tail (%s) ---\n%s' % (node.id, node.log, tail(node.log, n)))
        sys.stdout.flush()

    # --- tern tools -------------------------------------------------------------------------

    def status(self, node_id, timeout=CMD_TIMEOUT_S):
        r = self.cmd('metadata-quorum', '--bootstrap-server', self.nodes[node_id].bootstrap,
                     'describe', '--status', timeout=timeout)
        return parse_status(r.out) if r.ok() else None

    def replication(self, node_id, timeout=CMD_TIMEOUT_S):
        r = self.cmd('metadata-quorum', '--bootstrap-server', self.nodes[node_id].bootstrap,
                     'describe', '--replication', timeout=timeout)
        return parse_replication(r.out) if r.ok() else None

    def wait_leader(self, node_id, timeout=LEADER_TIMEOUT_S, not_leader=None, above_epoch=-1,
                    since=None, also=None):
        """Polls node_id's status until it names a leader (other than not_leader, with an
        epoch above above_epoch, and also(status) if given); returns (status, ms since
        `since` or the call) or (last status, None)."""
        t0 = now_ms() if since is None else since
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            s = self.status(node_id, timeout=min(CMD_TIMEOUT_S, 3.0))
            if s is not None:
                last = s
                lid = s.get('LeaderId', -1)
                if (isinstance(lid, int) and lid >= 0 and lid != not_leader and
                        s.get('LeaderEpoch', -1) > above_epoch and (also is None or also(s))):
                    return s, now_ms() - t0
            time.sleep(0.02)
        return last, None

    def create_topic(self, node_id, topic, partitions, timeout=CMD_TIMEOUT_S):
        return self.cmd('topics', '--bootstrap-server', self.nodes[node_id].bootstrap,
                        '--create', '--topic', topic, '--partitions', str(partitions),
                        timeout=timeout)

    def create_until_ok(self, node_id, topic, partitions, timeout, since=None):
        """Retries the creation of a new topic through node_id until it commits; returns
        (ms since `since` or the call, last Run). 'already exists' means an earlier try that
        failed or timed out on the client side committed after all."""
        t0 = now_ms() if since is None else since
        deadline = time.monotonic() + timeout
        r = None
        while time.monotonic() < deadline:
            r = self.create_topic(node_id, topic, partitions, timeout=min(CMD_TIMEOUT_S, 3.0))
            if r.ok() or 'already exists' in (r.out + r.err).lower():
                return now_ms() - t0, r
            time.sleep(0.02)
        return None, r

    def leaders(self, node_id, topic):
        r = self.cmd('topics', '--bootstrap-server', self.nodes[node_id].bootstrap,
                     '--describe', '--topic', topic)
        return parse_describe(r.out) if r.ok() else {}

    def kcat_brokers(self, port):
        r = run(['kcat', '-L', '-b', '127.0.0.1:%d' % port, '-m', '5'], timeout=CMD_TIMEOUT_S)
        return r, parse_kcat_brokers(r.out)


def wait_for(pred, timeout, interval=0.1):
    """pred() until truthy or timeout; returns (value, ms or None)."""
    t0 = now_ms()
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v, now_ms() - t0
        if time.monotonic() > deadline:
            return v, None
        time.sleep(interval)


# --- a raw Produce v3 request: a client that ignores Metadata and talks to one port ----------

def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C = _crc32c_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC32C[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def _varint(n):
    n = (n << 1) ^ (n >> 63)  # zigzag
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _record_batch(value):
    ts = int(time.time() * 1000)
    rec_body = b'\x00' + _varint(0) + _varint(0) + _varint(-1) + _varint(len(value)) + value + \
        _varint(0)
    record = _varint(len(rec_body)) + rec_body
    after_crc = struct.pack('>hiqqqhii', 0, 0, ts, ts, -1, -1, -1, 1) + record
    crc = crc32c(after_crc)
    body = struct.pack('>ibI', -1, 2, crc) + after_crc  # leader epoch, magic, crc
    return struct.pack('>qi', 0, len(body)) + body


def _s16(s):
    b = s.encode()
    return struct.pack('>h', len(b)) + b


def raw_produce(port, topic, partition, value, timeout=5.0):
    """Sends one acks=1 Produce v3 to 127.0.0.1:port for topic/partition; returns the
    partition's error code (0: the node appended it) or raises OSError."""
    batch = _record_batch(value)
    body = (struct.pack('>h', -1) + struct.pack('>hi', 1, int(timeout * 1000)) +
            struct.pack('>i', 1) + _s16(topic) + struct.pack('>i', 1) +
            struct.pack('>ii', partition, len(batch)) + batch)
    req = struct.pack('>hhi', 0, 3, 7) + _s16('tern-raw-probe') + body
    with socket.create_connection(('127.0.0.1', port), timeout=timeout) as s:
        s.sendall(struct.pack('>i', len(req)) + req)
        size = struct.unpack('>i', _recv_exact(s, 4))[0]
        resp = _recv_exact(s, size)
    pos = 4  # correlation id
    ntopics = struct.unpack_from('>i', resp, pos)[0]
    pos += 4
    if ntopics < 1:
        raise OSError('produce response without topics')
    nlen = struct.unpack_from('>h', resp, pos)[0]
    pos += 2 + nlen
    pos += 4  # partition count
    _index, err = struct.unpack_from('>ih', resp, pos)
    return err


def _recv_exact(s, n):
    out = b''
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            raise OSError('connection closed')
        out += chunk
    return out


# --- the test ------------------------------------------------------------------------------

class Checker(broker_fixture.Checker):
    """tests/clients' Checker (ok/FAIL lines, the summary) plus notes and known bugs."""

    def __init__(self, name):
        super().__init__(name)
        self.known = 0
        self.notes = []
        self.strict = bool(os.environ.get('TERN_STRICT'))

    def check(self, cond, what, detail=''):
        # Long details (a node's log, a client's error) are cut to one readable line.
        return super().check(cond, what, str(detail)[:600] if detail != '' else '')

    def known_bug(self, cond, what, detail=''):
        """A check tern fails today for a reason recorded in README.md (known bugs): printed
        as KNOWN-BUG, not counted as a failure unless TERN_STRICT=1. Passing prints ok."""
        if cond or self.strict:
            return self.check(cond, what, detail)
        self.known += 1
        print('KNOWN-BUG %s%s' % (what, (': ' + str(detail)[:600]) if detail != '' else ''))
        sys.stdout.flush()
        return False

    def note(self, text):
        self.notes.append(text)
        print('note %s' % text)
        sys.stdout.flush()

    def finish(self):
        if self.known:
            print('note %d known bugs (tests/cluster/README.md)' % self.known)
        return super().finish()


def section(name):
    """A wall-clock mark, to line the checks up with the nodes' logs."""
    t = time.time()
    print('info %s.%03dZ %s' % (time.strftime('%H:%M:%S', time.gmtime(t)), int(t * 1000) % 1000,
                                name))
    sys.stdout.flush()


def error_lines(text):
    """The lines of a refusing process that are not structured log lines."""
    return [ln for ln in text.splitlines() if ln.strip() and not LOG_LINE.match(ln)
            and not ln.startswith('$ ')]


def early_metadata(c, out):
    """confluent-kafka list_topics sent before the first election (a background thread)."""
    from confluent_kafka.admin import AdminClient
    t0 = time.monotonic()
    try:
        # The first answer may list only the brokers unfenced so far (Kafka's Metadata lists
        # live brokers); the same client must then come to see all three.
        admin = AdminClient({'bootstrap.servers': c.nodes[1].bootstrap})
        md = admin.list_topics(timeout=8)
        while sorted(md.brokers) != [1, 2, 3] and time.monotonic() - t0 < 8:
            time.sleep(0.2)
            md = admin.list_topics(timeout=8)
        out['brokers'] = sorted(md.brokers)
    except Exception as e:  # the client reports a timeout as an exception
        out['error'] = e
    out['secs'] = time.monotonic() - t0


def check_startup(c, chk):
    uuid_run, formats = c.format_all()
    chk.check(uuid_run.ok() and re.fullmatch(r'[A-Za-z0-9_-]{22}', c.cluster_id),
              'storage random-uuid prints a 22-char base64url id', uuid_run)
    for n, r in formats:
        chk.check(r.ok() and os.path.isfile(os.path.join(n.dir, 'meta.properties')),
                  'storage format node %d' % n.id, r)
    if not chk.check(c.start_all(), 'three nodes accept connections'):
        raise RuntimeError('cluster did not start')
    early = {}
    t = threading.Thread(target=early_metadata, args=(c, early), daemon=True)
    t.start()
    return t, early


def check_quorum(c, chk):
    first, ms = c.wait_leader(1)
    if not chk.check(ms is not None, 'describe --status names a leader (%s ms after start)' %
                     (None if ms is None else int(ms)), first):
        raise RuntimeError('no leader elected')
    if first.get('ClusterId') == '' or first.get('HighWatermark') == 0:
        chk.note('right after the election: ClusterId %r, HighWatermark %s (the node has not '
                 'applied a committed record yet)' % (first.get('ClusterId'),
                                                      first.get('HighWatermark')))
    # The fields once the new leader's first records are committed and applied.
    st, _ = c.wait_leader(1, timeout=10, also=lambda s: s['HighWatermark'] > 0 and
                          s.get('ClusterId') != '')
    st = st or first
    chk.equal(st['_keys'], STATUS_KEYS, 'describe --status: kafka-metadata-quorum.sh fields')
    chk.equal(st.get('ClusterId'), c.cluster_id, 'ClusterId is the formatted id')
    chk.check(st['LeaderId'] in c.nodes, 'LeaderId is a voter', st['LeaderId'])
    chk.check(isinstance(st['LeaderEpoch'], int) and st['LeaderEpoch'] >= 1,
              'LeaderEpoch >= 1', st['LeaderEpoch'])
    chk.check(isinstance(st['HighWatermark'], int) and st['HighWatermark'] > 0,
              'HighWatermark > 0 (the leader committed records)', st['HighWatermark'])
    chk.equal(st.get('CurrentVoters'), [1, 2, 3], 'CurrentVoters [1,2,3]')
    chk.equal(st.get('CurrentObservers'), [], 'CurrentObservers []')
    chk.check(isinstance(st.get('MaxFollowerLag'), int) and
              isinstance(st.get('MaxFollowerLagTimeMs'), int),
              'MaxFollowerLag and MaxFollowerLagTimeMs are numbers', st)
    views = {i: c.status(i) for i in c.nodes}
    chk.check(all(v and (v['LeaderId'], v['LeaderEpoch']) ==
                  (st['LeaderId'], st['LeaderEpoch']) for v in views.values()),
              'all three nodes report the same leader and epoch',
              {i: v and (v['LeaderId'], v['LeaderEpoch']) for i, v in views.items()})

    # --replication: wait until every follower has fetched up to the leader's log end.
    def settled():
        rep = c.replication(2)
        if rep is None:
            return None
        rows = rep[1]
        leos = {r['LogEndOffset'] for r in rows}
        if len(rows) == 3 and len(leos) == 1 and all(r['Lag'] == 0 for r in rows):
            return rep
        return None
    rep, ms = wait_for(settled, 15)
    last = rep or c.replication(2)
    if not chk.check(rep is not None, 'describe --replication: all voters lag 0', last):
        return st
    header, rows = rep
    chk.equal(header, REPLICATION_COLUMNS, 'describe --replication: kafka-metadata-quorum.sh '
              'columns')
    chk.equal(sorted(r['NodeId'] for r in rows), [1, 2, 3], 'describe --replication lists '
              'every voter')
    chk.equal((rows[0]['NodeId'], rows[0]['Status']), (st['LeaderId'], 'Leader'),
              'first row is the leader, Status Leader')
    chk.equal(sorted(r['Status'] for r in rows[1:]), ['Follower', 'Follower'],
              'the other two rows are Followers')
    wall = time.time() * 1000
    chk.check(all(abs(int(r['LastFetchTimestamp']) - wall) < 60000 and
                  abs(int(r['LastCaughtUpTimestamp']) - wall) < 60000 for r in rows),
              'LastFetch/LastCaughtUp timestamps are recent wall-clock ms', rows)
    r = c.cmd('metadata-quorum', '--bootstrap-server', c.nodes[3].bootstrap, 'describe',
              '--replication', '--human-readable')
    chk.check(r.ok() and ' ms ago' in r.out, 'describe --replication --human-readable: '
              '"N ms ago"', r)
    return st


def check_clients_see_brokers(c, chk, early_thread, early):
    from confluent_kafka.admin import AdminClient
    early_thread.join(12)
    chk.check(early.get('brokers') == [1, 2, 3], 'confluent-kafka client created before '
                  'the first election lists brokers 1,2,3 within 8 s',
                  '%s after %.1f s' % (early.get('error', early.get('brokers')),
                                       early.get('secs', -1)))
    want = {n.id: n.port for n in c.nodes.values()}
    for n in c.nodes.values():
        got, ms = wait_for(lambda: (lambda b: b if b == want else None)(
            c.kcat_brokers(n.port)[1]), 15, 0.2)
        chk.check(got == want, 'kcat -L -b node %d lists brokers 1,2,3 at their ports' % n.id,
                  c.kcat_brokers(n.port)[0])
        md = AdminClient({'bootstrap.servers': n.bootstrap}).list_topics(
            timeout=CLIENT_TIMEOUT_S)
        got = {b.id: b.port for b in md.brokers.values()}
        chk.equal(got, want, 'confluent-kafka list_topics via node %d: brokers 1,2,3' % n.id)


def check_topic_and_clients(c, chk, leader_id):
    from confluent_kafka import Producer
    via = next(i for i in c.nodes if i != leader_id)  # a follower forwards the creation
    r = c.create_topic(via, 'orders', 6)
    chk.check(r.ok() and 'Created topic orders.' in r.out, 'topics --create orders (6 '
              'partitions) through follower node %d' % via, r)
    other = next(i for i in c.nodes if i not in (via,))
    leaders, _ = wait_for(lambda: (lambda d: d if len(d) == 6 and min(d.values()) >= 0
                                   else None)(c.leaders(other, 'orders')), 10, 0.1)
    chk.check(leaders is not None, 'topics --describe via node %d: a Leader per partition' %
              other, c.leaders(other, 'orders'))
    leaders = leaders or {}
    chk.check(len(set(leaders.values())) > 1, 'partition leaders span more than one broker',
              leaders)

    # Produce to every partition through node 1 only, read back through node 3 only.
    sent = {}
    errors = []

    def on_delivery(err, msg):
        if err is not None:
            errors.append(err)
        else:
            sent[(msg.partition(), msg.offset())] = msg.value()
    p = Producer({'bootstrap.servers': c.nodes[1].bootstrap, 'acks': 'all',
                  'message.timeout.ms': CLIENT_TIMEOUT_S * 1000})
    for i in range(30):
        p.produce('orders', value=('m%d' % i).encode(), key=b'k%d' % i, partition=i % 6,
                  on_delivery=on_delivery)
    left = p.flush(CLIENT_TIMEOUT_S)
    chk.check(left == 0 and not errors and len(sent) == 30,
              'confluent-kafka produced 30 messages to all 6 partitions (bootstrap node 1)',
              'left=%d errors=%s delivered=%d' % (left, errors[:3], len(sent)))
    got = consume_all(c.nodes[3].bootstrap, 'orders', 6, len(sent))
    chk.equal(got, sent, 'confluent-kafka consumed all 30 back at their offsets (bootstrap '
              'node 3)')
    return sent


def consume_all(bootstrap, topic, partitions, want, timeout=CLIENT_TIMEOUT_S):
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
    cons = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'tern-unused',
                     'enable.auto.commit': False, 'enable.partition.eof': False})
    got = {}
    try:
        cons.assign([TopicPartition(topic, i, OFFSET_BEGINNING) for i in range(partitions)])
        deadline = time.monotonic() + timeout
        while len(got) < want and time.monotonic() < deadline:
            m = cons.poll(0.5)
            if m is None or m.error():
                continue
            got[(m.partition(), m.offset())] = m.value()
    finally:
        cons.close()
    return got


def measure_failover(c, leader_id, epoch, topic, bound_ms):
    """kill -9 the leader; concurrently poll a survivor's status for a new leader with a
    higher epoch and retry a topic creation through the other survivor. Returns
    (status ms, create ms, new status, create Run); ms is None if not seen in time."""
    survivors = [i for i in c.nodes if i != leader_id]
    limit_s = bound_ms / 1000.0 + 20
    out = {}
    t_kill = [0.0]

    def poll_status():
        out['status'] = c.wait_leader(survivors[0], timeout=limit_s, not_leader=leader_id,
                                      above_epoch=epoch, since=t_kill[0])

    def poll_create():
        out['create'] = c.create_until_ok(survivors[1], topic, 3, timeout=limit_s,
                                          since=t_kill[0])
    threads = [threading.Thread(target=poll_status, daemon=True),
               threading.Thread(target=poll_create, daemon=True)]
    c.kill9(leader_id)
    t_kill[0] = now_ms()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    st, st_ms = out['status']
    cr_ms, cr_run = out['create']
    return st_ms, cr_ms, st, cr_run


def check_failover(c, chk, st):
    leader, epoch = st['LeaderId'], st['LeaderEpoch']
    survivors = [i for i in c.nodes if i != leader]
    st_ms, cr_ms, new, cr_run = measure_failover(c, leader, epoch, 'after-failover',
                                                 FAILOVER_BOUND_MS)
    print('info failover after kill -9 of leader %d (epoch %d): new leader reported in %s ms, '
          'topic creation committed in %s ms (bound %d ms = 3 x (election %d + fetch %d))'
          % (leader, epoch, None if st_ms is None else int(st_ms),
             None if cr_ms is None else int(cr_ms), FAILOVER_BOUND_MS, ELECTION_TIMEOUT_MS,
             FETCH_TIMEOUT_MS))
    chk.check(st_ms is not None and new['LeaderId'] in survivors and new['LeaderEpoch'] > epoch,
              'a survivor reports a new leader with a higher epoch', new)
    chk.check(st_ms is not None and st_ms <= FAILOVER_BOUND_MS,
              'new leader within %d ms' % FAILOVER_BOUND_MS, st_ms)
    chk.check(cr_ms is not None and cr_ms <= FAILOVER_BOUND_MS,
              'topic creation through node %d within %d ms' % (survivors[1], FAILOVER_BOUND_MS),
              '%s ms, last try %r' % (cr_ms, cr_run))
    def agree():
        other = c.status(survivors[1])
        return (new is not None and other is not None and st_ms is not None and
                (other['LeaderId'], other['LeaderEpoch']) == (new['LeaderId'],
                                                              new['LeaderEpoch']))
    ok, _ = wait_for(agree, 5)
    chk.check(ok, 'both survivors agree on the new leader', (new, c.status(survivors[1])))
    leaders, _ = wait_for(lambda: c.leaders(survivors[0], 'after-failover'), 10)
    chk.check(len(leaders or {}) == 3, 'topic created during the failover is described by '
              'node %d' % survivors[0], leaders)
    return leader, new


def check_restart(c, chk, killed, sent):
    from confluent_kafka.admin import AdminClient
    c.start(killed)
    chk.check(c.wait_serving(killed), 'restarted node %d accepts connections' % killed)
    asker = next(i for i in c.nodes if i != killed)

    def caught_up():
        rep = c.replication(asker)
        if rep is None:
            return None
        rows = {r['NodeId']: r for r in rep[1]}
        lead = next((r for r in rep[1] if r['Status'] == 'Leader'), None)
        me = rows.get(killed)
        if lead and me and me['Lag'] == 0 and me['LogEndOffset'] == lead['LogEndOffset']:
            return rep
        return None
    rep, ms = wait_for(caught_up, CATCH_UP_TIMEOUT_S, 0.1)
    chk.check(rep is not None, 'describe --replication: restarted node %d has lag 0 and the '
              "leader's log end offset (%s ms)" % (killed, None if ms is None else int(ms)),
              c.replication(asker))
    port = c.nodes[killed].port
    got, _ = wait_for(lambda: 'topic "after-failover"' in c.kcat_brokers(port)[0].out, 15, 0.2)
    chk.check(got, 'kcat -L -b restarted node %d shows the topic created while it was down' %
              killed, c.kcat_brokers(port)[0])
    # A restarted node serves Metadata before the controller unfences it again; until then it
    # leaves itself out of the broker list (Kafka opens its listeners only once unfenced).
    admin = AdminClient({'bootstrap.servers': c.nodes[killed].bootstrap})

    def full():
        md = admin.list_topics(timeout=CLIENT_TIMEOUT_S)
        return md if 'after-failover' in md.topics and len(md.brokers) == 3 else None
    md, ms = wait_for(full, 15, 0.05)
    last = md or admin.list_topics(timeout=CLIENT_TIMEOUT_S)
    chk.check(md is not None, 'confluent-kafka list_topics via node %d only: the new topic, 3 '
              'brokers (%s ms after catch-up)' % (killed, None if ms is None else int(ms)),
              (sorted(last.topics), sorted(last.brokers)))
    # The killed node's partitions come back with their data (kill -9 keeps the page cache).
    got = consume_all(c.nodes[killed].bootstrap, 'orders', 6, len(sent), timeout=30)
    chk.equal(got, sent, 'all 30 messages of orders readable after the restart (bootstrap '
              'node %d)' % killed)


def check_duplicate_node_id(c, chk):
    """A 4th process reusing a running node's node.id (own ports and dir, same cluster id and
    voters). tern's raft ignores a leader id equal to its own, so a duplicate of the active
    controller and a duplicate of a follower behave differently: both cases run, node.id=2
    first (whichever role node 2 has), then the other role."""
    st = c.status(1)
    if not chk.check(st is not None, 'a leader before the duplicate starts', st):
        return
    leader = st['LeaderId']
    follower = 2 if leader != 2 else min(i for i in c.nodes if i != leader)
    cases = [(2, 'leader' if leader == 2 else 'follower')]
    cases.append((follower, 'follower') if leader == 2 else (leader, 'leader'))
    for dup_id, role in cases:
        run_duplicate(c, chk, dup_id, role)


def run_duplicate(c, chk, dup_id, role):
    what = 'duplicate of %s node %d' % (role, dup_id)
    port, ctrl = free_ports(2)
    name = 'dup%d' % dup_id
    cfg = os.path.join(c.root, name + '.properties')
    log = os.path.join(c.root, name + '.log')
    c.write(cfg, c.properties(dup_id, port, ctrl, os.path.join(c.root, name)))
    r = c.format_config(cfg)
    chk.check(r.ok(), '%s: storage format' % what, r)
    before = {i: c.status(i) for i in c.nodes}
    dup = c.spawn(cfg, log)
    c.extra.append(dup)
    # Long enough for registration attempts, a fetch timeout and (pre-)vote rounds.
    time.sleep(2 * (c.fetch_ms + c.election_ms) / 1000.0)
    exited = dup.poll()
    text = tail(log, 400)
    errs = [ln for ln in text.splitlines()
            if 'node.id %d' % dup_id in ln or 'duplicate' in ln.lower()]
    chk.check(errs, '%s says why it is refused (a line naming node.id %d)' % (what, dup_id),
              tail(log, 15))
    if errs:
        print('info %s prints (every ~2 s): %s' % (what, errs[0]))
    if exited is None:
        joined = [ln for ln in text.splitlines() if 'role=follower' in ln]
        chk.note('%s keeps running (no exit); %s' % (
            what, 'it follows the quorum as voter %d' % dup_id if joined else
            'it never finds the leader and keeps pre-voting'))
    else:
        chk.note('%s exited with %s' % (what, exited))
    views = {i: c.status(i) for i in c.nodes}
    pairs = {i: v and (v['LeaderId'], v['LeaderEpoch']) for i, v in views.items()}
    chk.check(len(set(pairs.values())) == 1 and None not in pairs.values(),
              '%s running: nodes 1,2,3 report one leader and epoch' % what, pairs)
    chk.check(all(v and before[i] and v['LeaderEpoch'] == before[i]['LeaderEpoch']
                  for i, v in views.items()), '%s running: no election (epoch unchanged)' %
              what, (pairs, {i: b and b['LeaderEpoch'] for i, b in before.items()}))
    became = [ln for ln in text.splitlines() if 'role=leader' in ln]
    chk.check(not became, '%s never became quorum leader' % what, became)
    _, brokers = c.kcat_brokers(c.nodes[dup_id].port)
    chk.equal(brokers.get(dup_id), c.nodes[dup_id].port, '%s running: Metadata has broker %d '
              'at its original port' % (what, dup_id))
    # The original keeps working: it takes a creation and serves a partition it leads.
    r = c.create_topic(dup_id, 'after-%s' % name, 3)
    chk.check(r.ok(), '%s running: topics --create through the original node %d' %
              (what, dup_id), r)
    leaders = c.leaders(dup_id, 'orders')
    mine = sorted(p for p, ld in leaders.items() if ld == dup_id)
    if not chk.check(mine, 'node %d leads a partition of orders' % dup_id, leaders):
        mine = [0]
    from confluent_kafka import Producer
    errors, offs = [], []
    p = Producer({'bootstrap.servers': c.nodes[dup_id].bootstrap, 'acks': 'all',
                  'message.timeout.ms': CLIENT_TIMEOUT_S * 1000})
    p.produce('orders', value=b'while-' + name.encode(), partition=mine[0],
              on_delivery=lambda e, m: errors.append(e) if e else offs.append(m.offset()))
    p.flush(CLIENT_TIMEOUT_S)
    chk.check(offs and not errors, '%s running: produce to orders-%d through the original '
              'node %d' % (what, mine[0], dup_id), errors)
    # The duplicate listens too: does it take a write for a partition the original leads when
    # a client talks to it directly (no Metadata routing)? Asked a few times: it may still be
    # catching up on the metadata log.
    if dup.poll() is None:
        def probe():
            try:
                return raw_produce(port, 'orders', mine[0], b'to-the-duplicate')
            except OSError as e:
                return 'connection: %s' % e
        codes = []
        for _ in range(5):
            codes.append(probe())
            # No answer at all is a refusal too (tern serves clients only once registered
            # and unfenced; the duplicate never is): one is enough.
            if codes[-1] == 0 or isinstance(codes[-1], str):
                break
            time.sleep(0.3)
        chk.check(0 not in codes, '%s refuses a direct Produce to orders-%d (error codes '
                      '%s)' % (what, mine[0], codes), 'it answered 0: it appended a write the '
                      'real node %d never sees (split brain on the data path)' % dup_id)
        dup.kill()  # SIGTERM is checked on a regular node in check_stop
        dup.wait(5)
    st, _ = c.wait_leader(dup_id, timeout=10)
    chk.check(st is not None and st['LeaderId'] in c.nodes, 'after the %s: a leader' % what, st)


def check_inconsistent_voters(c, chk):
    """A follower restarted with a controller.quorum.voters naming a fourth voter: it must
    stop with one line saying so (different voter sets mean different majorities), and the
    cluster keeps its leader. Then it comes back with its real config."""
    st = c.status(1) or c.status(2)
    if not chk.check(st is not None, 'inconsistent voters: a leader to start from', st):
        return
    victim = next(i for i in c.nodes if i != st['LeaderId'])
    n = c.nodes[victim]
    n.proc.kill()
    n.proc.wait(5)
    _, extra = free_ports(2)
    cfg = os.path.join(c.root, 'inconsistent.properties')
    c.write(cfg, c.properties(victim, n.port, n.ctrl_port, n.dir).replace(
        'controller.quorum.voters=%s' % c.voters,
        'controller.quorum.voters=%s,4@127.0.0.1:%d' % (c.voters, extra)))
    r = c.cmd('broker', cfg, timeout=30)
    # It started serving (its own view was consistent) before it read the leader's record.
    lines = [ln for ln in error_lines(r.out + r.err) if 'serving PLAINTEXT' not in ln]
    chk.check(r.rc not in (0, None), 'node %d with a fourth voter in its config: non-zero exit'
              % victim, r)
    chk.check(len(lines) == 1 and 'controller.quorum.voters differs' in lines[0],
              'inconsistent controller.quorum.voters: one clear error line', lines)
    if lines:
        print('info %s' % lines[0])
    st2, _ = c.wait_leader(st['LeaderId'], timeout=10)
    chk.check(st2 is not None and st2['LeaderId'] == st['LeaderId'],
              'inconsistent voters: the leader stays', st2)
    c.start(victim)
    chk.check(c.wait_serving(victim), 'node %d back with its real config' % victim)


def check_refusals(c, chk):
    # A controller-only node whose node.id is not a voter.
    port, ctrl = free_ports(2)
    cfg = os.path.join(c.root, 'stranger.properties')
    ddir = os.path.join(c.root, 'stranger')
    c.write(cfg, c.properties(7, port, ctrl, ddir, roles='controller'))
    c.format_config(cfg)  # formatted or not, it must refuse on its config
    r = c.cmd('broker', cfg, timeout=15)
    lines = error_lines(r.out + r.err)
    chk.check(r.rc not in (0, None), 'controller node.id 7 not in the voters: non-zero exit',
              r)
    chk.check(len(lines) == 1 and 'not in controller.quorum.voters' in lines[0],
              'controller node.id 7 not in the voters: one clear error line', lines)
    if lines:
        print('info %s' % lines[0])

    # A broker,controller node on an unformatted dir.
    port, ctrl = free_ports(2)
    cfg = os.path.join(c.root, 'unformatted.properties')
    ddir = os.path.join(c.root, 'unformatted')
    c.write(cfg, c.properties(1, port, ctrl, ddir))
    r = c.cmd('broker', cfg, timeout=15)
    lines = error_lines(r.out + r.err)
    chk.check(r.rc not in (0, None), 'unformatted log dir: non-zero exit', r)
    chk.check(len(lines) == 1 and 'not formatted' in lines[0] and 'storage format' in lines[0],
              'unformatted log dir: one error line naming `tern storage format`', lines)
    if lines:
        print('info %s' % lines[0])
    chk.check(not os.path.exists(ddir), 'unformatted log dir: nothing created', ddir)


def check_stop(c, chk):
    """SIGTERM of one follower while its peers run: the process should exit promptly."""
    st = c.status(1)
    crashed = {i: n.proc.returncode for i, n in c.nodes.items() if not n.alive()}
    chk.check(not crashed, 'no node died on its own', crashed)
    if st is None or crashed:
        return
    victim = next(i for i in c.nodes if i != st['LeaderId'])
    p = c.nodes[victim].proc
    t0 = time.monotonic()
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(5)
        exited = True
    except subprocess.TimeoutExpired:
        exited = False
    ms = (time.monotonic() - t0) * 1000
    chk.check(exited and p.returncode == 0, 'SIGTERM of follower node %d: exit 0 within 5 s'
                  % victim, 'still running after %.0f ms (log says stopped: %s)' %
                  (ms, 'broker.stopped' in tail(c.nodes[victim].log, 5)))
    if not exited:
        p.kill()
        p.wait(5)


def main():
    if len(sys.argv) < 2:
        print('usage: %s path/to/tern' % sys.argv[0])
        return 2
    missing = [] if shutil.which('kcat') else ['kcat']
    if importlib.util.find_spec('confluent_kafka') is None:
        missing.append('python3-confluent-kafka (run with /usr/bin/python3)')
    if missing:
        print('skip: missing %s; tools/setup.sh installs the clients' % ', '.join(missing))
        return 77  # meson's SKIP
    chk = Checker('kraft_cluster')

    def on_signal(signum, _frame):
        raise Abort('signal %d (time limit %ds or terminated)' % (signum, TIME_LIMIT_S))
    signal.signal(signal.SIGALRM, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    signal.alarm(TIME_LIMIT_S)
    c = None
    t0 = time.monotonic()
    try:
        c = Cluster(sys.argv[1])
        print('info cluster in %s; election.timeout.ms=%d fetch.timeout.ms=%d' %
              (c.root, ELECTION_TIMEOUT_MS, FETCH_TIMEOUT_MS))
        section('format and start')
        early_thread, early = check_startup(c, chk)
        section('quorum')
        st = check_quorum(c, chk)
        section('clients')
        check_clients_see_brokers(c, chk, early_thread, early)
        sent = check_topic_and_clients(c, chk, st['LeaderId'])
        section('failover')
        killed, _ = check_failover(c, chk, c.status(1) or st)
        section('restart')
        check_restart(c, chk, killed, sent)
        section('duplicate node.id')
        check_duplicate_node_id(c, chk)
        section('refusals')
        check_refusals(c, chk)
        section('inconsistent voters')
        check_inconsistent_voters(c, chk)
        section('stop')
        check_stop(c, chk)
        section('end')
    except (Exception, Abort) as e:
        chk.error('test aborted', e)
    finally:
        signal.alarm(0)
        if c is not None:
            c.stop_all()
            failed = chk.failed > 0
            if failed:
                c.print_tails()
            keep = failed or bool(os.environ.get('TERN_KEEP_DATA'))
            if keep:
                print('info data kept in %s' % c.root)
            c.cleanup(keep)
        _kill_all_children()
    print('info %.1f s' % (time.monotonic() - t0))
    return chk.finish()


if __name__ == '__main__':
    sys.exit(main())
