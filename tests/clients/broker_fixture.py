"""Shared harness for the real-client tests: one `tern broker` process per test, and a checker.

Run the tests with /usr/bin/python3 only: Debian's python3-confluent-kafka and python3-kafka
import there and nowhere else.

    with BrokerProcess(tern_path, overrides={'num.partitions': '1'}) as broker:
        ... broker.bootstrap ...   # "127.0.0.1:PORT"

The broker gets a free 127.0.0.1 port and a temporary data dir, is waited for until it accepts
TCP connections, and is always stopped (SIGTERM, then SIGKILL) when the block ends, on failure
too. The child also gets PR_SET_PDEATHSIG so it dies if this process is killed outright.
"""
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 10.0


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _die_with_parent():
    # PR_SET_PDEATHSIG = 1: the broker must not outlive a test killed by a timeout.
    try:
        ctypes.CDLL('libc.so.6', use_errno=True).prctl(1, signal.SIGKILL)
    except OSError:
        pass


class BrokerError(Exception):
    pass


class Abort(BaseException):
    """Time limit or SIGTERM: a BaseException so per-part `except Exception` cannot swallow it."""


class BrokerProcess:
    def __init__(self, tern_path, overrides=None):
        self.tern = os.path.abspath(tern_path)
        self.overrides = dict(overrides or {})
        self.proc = None
        self.port = None
        self.dir = None
        self.log_path = None
        self._log = None

    @property
    def bootstrap(self):
        return '127.0.0.1:%d' % self.port

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix='tern-client-test-')
        self.log_path = os.path.join(self.dir, 'broker.log')
        # A port picked here can be taken before the broker binds it: retry a few times.
        last = None
        for _ in range(3):
            try:
                self._start_once()
                return self
            except BrokerError as e:
                last = e
                self._stop_proc()
        self._cleanup_dir(keep=True)
        raise BrokerError('%s (broker log: %s)\n%s' % (last, self.log_path, self.log_tail()))

    def _start_once(self):
        self.port = _free_port()
        args = [self.tern, 'broker',
                '--override', 'listeners=PLAINTEXT://127.0.0.1:%d' % self.port,
                '--override', 'log.dirs=%s' % os.path.join(self.dir, 'data')]
        for k, v in self.overrides.items():
            args += ['--override', '%s=%s' % (k, v)]
        self._log = open(self.log_path, 'ab')
        self._log.write(('$ %s\n' % ' '.join(args)).encode())
        self._log.flush()
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                raise BrokerError('tern broker exited with %d during startup' % rc)
            try:
                with socket.create_connection(('127.0.0.1', self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise BrokerError('tern broker did not accept connections on %s within %.0fs'
                          % (self.bootstrap, START_TIMEOUT_S))

    def _stop_proc(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self._log is not None:
            self._log.close()
            self._log = None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, n=40):
        try:
            with open(self.log_path, 'rb') as f:
                lines = f.read().decode('utf-8', 'replace').splitlines()
            return '\n'.join(lines[-n:])
        except OSError:
            return '(no broker log)'

    def _cleanup_dir(self, keep):
        if self.dir and not keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __exit__(self, exc_type, exc, tb):
        crashed = self.proc is not None and self.proc.poll() is not None
        self._stop_proc()
        rc = self.proc.returncode if self.proc else None
        failed = exc_type is not None or crashed
        if crashed:
            print('FAIL: tern broker died during the test (exit %s)' % rc)
        if failed:
            print('--- broker log tail (%s) ---\n%s\n---' % (self.log_path, self.log_tail()))
        self._cleanup_dir(keep=failed or bool(os.environ.get('TERN_KEEP_DATA')))
        if crashed and exc_type is None:
            raise BrokerError('tern broker died during the test (exit %s)' % rc)
        return False


class Checker:
    """Counts checks; every failing one prints a clear FAIL line. finish() prints the summary."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0
        self.skipped = 0

    def check(self, cond, what, detail=''):
        if cond:
            self.passed += 1
            print('ok   %s' % what)
        else:
            self.failed += 1
            print('FAIL %s%s' % (what, (': ' + str(detail)) if detail != '' else ''))
        sys.stdout.flush()
        return bool(cond)

    def equal(self, got, want, what):
        return self.check(got == want, what, 'got %s, want %s' % (_short(got), _short(want)))

    def skip(self, what, why):
        self.skipped += 1
        print('skip %s: %s' % (what, why))

    def error(self, what, exc):
        self.failed += 1
        print('FAIL %s: %s: %s' % (what, type(exc).__name__, exc))
        traceback.print_exc(limit=4, file=sys.stdout)
        sys.stdout.flush()

    def finish(self):
        line = '%d passed, %d failed' % (self.passed, self.failed)
        if self.skipped:
            line += ', %d skipped' % self.skipped
        print('%s: %s' % (self.name, line))
        return 0 if self.failed == 0 and self.passed > 0 else 1


def _short(v, n=120):
    s = repr(v)
    return s if len(s) <= n else s[:n] + '...(%d chars)' % len(s)


def run_test(name, body, overrides=None, time_limit_s=240):
    """Runs body(broker, checker) against a fresh broker; exits with the test's status.

    argv[1] is the tern binary. A SIGALRM bounds the whole run so a hung client cannot hang CI;
    SIGTERM (meson's timeout) goes through the same cleanup.
    """
    if len(sys.argv) < 2:
        print('usage: %s path/to/tern' % sys.argv[0])
        sys.exit(2)
    chk = Checker(name)

    def on_signal(signum, _frame):
        raise Abort('signal %d (time limit %ds or terminated)' % (signum, time_limit_s))

    signal.signal(signal.SIGALRM, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    signal.alarm(time_limit_s)
    try:
        with BrokerProcess(sys.argv[1], overrides) as broker:
            body(broker, chk)
    except (Exception, Abort) as e:  # report, count, and still print the summary line
        chk.error('test aborted', e)
    finally:
        signal.alarm(0)
    sys.exit(chk.finish())
