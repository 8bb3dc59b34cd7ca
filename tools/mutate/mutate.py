#!/usr/bin/python3
"""Mutation score of the simulator: apply each mutation of a list (data, not code) to a
scratch copy of the repository, rebuild `tools/tern`, run a simulation suite over a seed
range, and report whether the suite caught the mutant, where, after how many runs, which
invariant it violated and how small the shrunk fault plan is. Then the score.

    /usr/bin/python3 tools/mutate/mutate.py [--list tools/mutate/mutations.txt] [--suite ci]
        [--runs 200] [--jobs 2] [--only NAME[,NAME]] [--scratch build-mutate] [--no-shrink]
        [--json FILE]

Or score a test binary instead of a `tern sim` suite (e.g. the Raft harness):

    /usr/bin/python3 tools/mutate/mutate.py --only-section broker/raft \
        --test-target tests/raft/raft_sim_test \
        --test-cmd 'tests/raft/raft_sim_test --gtest_filter=RaftSim.*'

builds --test-target in the scratch build and runs --test-cmd there (a shell command, cwd =
the scratch build directory): exit 0 = the mutant survived, anything else = caught.

Standard library only. See tools/mutate/README.md for the list format and how to read the
output.
"""

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

# ---- the mutation list ---------------------------------------------------------------------

KEYS = ("file", "find", "replace", "bug", "equivalent", "expect")


class ListError(Exception):
    pass


def parse_list(path):
    """Blocks: `[name]` then `key: value` lines. `#` starts a comment line. A value may go on
    on following lines indented by whitespace (joined with one space) -- except find/replace,
    whose text is exact: for several lines use `find: <<<` ... `>>>` (lines kept verbatim)."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    muts, cur, last_key = [], None, None
    i = 0

    def fail(msg):
        raise ListError(f"{path}:{i + 1}: {msg}")

    while i < len(lines):
        line = lines[i]
        if line.startswith("#") or not line.strip():
            if not line.strip():
                last_key = None
            i += 1
            continue
        m = re.match(r"^\[([A-Za-z0-9_.:+-]+)\]\s*$", line)
        if m:
            cur = {"name": m.group(1), "line": i + 1}
            if any(x["name"] == cur["name"] for x in muts):
                fail(f"duplicate mutation name {cur['name']}")
            muts.append(cur)
            last_key = None
            i += 1
            continue
        if line[0] in " \t":
            if cur is None or last_key is None or last_key in ("find", "replace", "file"):
                fail("continuation line without a key that takes one (find/replace: use <<< >>>)")
            cur[last_key] += " " + line.strip()
            i += 1
            continue
        m = re.match(r"^([a-z]+):(.*)$", line)
        if not m or cur is None:
            fail(f"expected `[name]` or `key: value`, got {line!r}")
        key, value = m.group(1), m.group(2)
        if key not in KEYS:
            fail(f"unknown key {key!r} (keys: {', '.join(KEYS)})")
        if key in cur:
            fail(f"{key} given twice in [{cur['name']}]")
        if key in ("find", "replace") and value.strip() == "<<<":
            block = []
            i += 1
            while i < len(lines) and lines[i] != ">>>":
                block.append(lines[i])
                i += 1
            if i == len(lines):
                fail(f"{key}: <<< without a closing >>> line")
            cur[key] = "\n".join(block)
            last_key = None
            i += 1
            continue
        cur[key] = value.strip()
        last_key = key
        i += 1
    for m in muts:
        for k in ("file", "find", "replace", "bug"):
            if k not in m:
                raise ListError(f"{path}:{m['line']}: [{m['name']}] lacks `{k}:`")
        if m["find"] == "":
            raise ListError(f"{path}:{m['line']}: [{m['name']}] has an empty find text")
        if m["find"] == m["replace"]:
            raise ListError(f"{path}:{m['line']}: [{m['name']}] replaces the text by itself")
    return muts


# ---- processes -----------------------------------------------------------------------------

class Interrupted(Exception):
    pass


def on_signal(signum, frame):
    raise Interrupted(f"signal {signum}")


def run(cmd, cwd=None, timeout=None, env=None, log=None):
    """Runs cmd in its own session (so a timeout or Ctrl-C kills its whole process group).
    Returns (returncode or None on timeout, combined output)."""
    p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, errors="replace",
                         start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout)
        return p.returncode, out
    except subprocess.TimeoutExpired:
        kill_group(p)
        out, _ = p.communicate()
        return None, out
    except BaseException:
        kill_group(p)
        p.communicate()
        raise


def kill_group(p):
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(p.pid, signal.SIGKILL)


def say(*a):
    print(*a, flush=True)


# ---- the scratch copy ----------------------------------------------------------------------

def tracked_files(repo):
    out = subprocess.run(["git", "ls-files", "-z"], cwd=repo, check=True,
                         stdout=subprocess.PIPE).stdout
    return [f for f in out.decode().split("\0") if f]


def sync_tree(repo, src):
    """Makes src hold exactly the tracked files of repo (their working-tree content). Files
    whose content did not change are left alone, so ninja rebuilds only what changed."""
    files = [f for f in tracked_files(repo) if os.path.isfile(os.path.join(repo, f))]
    wanted = set(files)
    copied = 0
    digest = hashlib.sha256()
    for f in sorted(files):
        a, b = os.path.join(repo, f), os.path.join(src, f)
        with open(a, "rb") as fa:
            data = fa.read()
        if not f.startswith("tools/mutate/"):  # the list and this tool: not in the binary
            digest.update(f.encode() + b"\0" + hashlib.sha256(data).digest())
        try:
            with open(b, "rb") as fb:
                same = fb.read() == data
        except OSError:
            same = False
        if not same:
            os.makedirs(os.path.dirname(b) or ".", exist_ok=True)
            with open(b, "wb") as fb:
                fb.write(data)
            shutil.copymode(a, b)
            copied += 1
    removed = 0
    for root, dirs, names in os.walk(src):
        for n in names:
            rel = os.path.relpath(os.path.join(root, n), src)
            if rel not in wanted:
                os.remove(os.path.join(root, n))
                removed += 1
    return copied, removed, digest.hexdigest()


# ---- the suite -----------------------------------------------------------------------------

FAIL_RE = re.compile(r"^FAIL (\S+) seed=(\d+) hash=([0-9a-fA-F]+): (.*)$")
REPLAY_RE = re.compile(r"^\s+replay: (.+)$")


def parse_failures(out):
    """FAIL lines and the replay command printed after each. Extra lines are ignored."""
    fails = []
    for line in out.splitlines():
        m = FAIL_RE.match(line)
        if m:
            msg = m.group(4)
            invariant = msg.split(":", 1)[0].strip()
            fails.append({"scenario": m.group(1), "seed": int(m.group(2)),
                          "hash": m.group(3), "invariant": invariant, "message": msg,
                          "replay": None})
            continue
        m = REPLAY_RE.match(line)
        if m and fails and fails[-1]["replay"] is None:
            fails[-1]["replay"] = m.group(1).strip()
    return fails


def suite_shape(tern, suite):
    """Scenarios per seed of the suite, from `tern sim list`."""
    rc, out = run([tern, "sim", "list"], timeout=60)
    if rc != 0:
        raise SystemExit(f"mutate: `tern sim list` failed:\n{out}")
    for line in out.splitlines():
        m = re.match(r"^\s+(\S+)\s+(\d+) seeds x (\d+) scenarios", line)
        if m and m.group(1) == suite:
            return int(m.group(3))
    raise SystemExit(f"mutate: suite {suite!r} not listed by `tern sim list`:\n{out}")


class Suite:
    def __init__(self, args, tern, src, scratch):
        self.args, self.tern, self.src, self.scratch = args, tern, src, scratch
        self.nscen = suite_shape(tern, args.suite)
        self.seeds = -(-args.runs // self.nscen)  # ceil: every seed runs all its scenarios
        self.order = None  # the suite's scenario order within a seed

    def index(self, scenario, seed):
        """1-based position of a run in run order (seed-major, then scenario order)."""
        return (seed - 1) * self.nscen + self.order.index(scenario) + 1

    def sim_run(self, first, last, jobs, junit=None):
        cmd = [self.tern, "sim", "run", "--suite", self.args.suite, "--seeds",
               f"{first}..{last}", "--jobs", str(jobs)]
        if junit:
            cmd += ["--junit", junit]
        nruns = (last - first + 1) * self.nscen
        timeout = self.args.run_timeout * nruns / jobs + 60
        env = dict(os.environ, CI="1")  # no progress bar
        t0 = time.time()
        rc, out = run(cmd, cwd=self.src, timeout=timeout, env=env)
        return rc, out, time.time() - t0

    def learn_order(self):
        """Runs seed 1 alone on one job with a JUnit report: its test cases come in run order,
        which is the suite's scenario order. Also returns the failures of seed 1."""
        junit = os.path.join(self.scratch, "order.junit.xml")
        with contextlib.suppress(FileNotFoundError):
            os.remove(junit)
        rc, out, secs = self.sim_run(1, 1, 1, junit=junit)
        try:
            names = [tc.get("classname") for tc in ET.parse(junit).getroot().iter("testcase")]
        except (OSError, ET.ParseError) as e:
            raise SystemExit(f"mutate: cannot learn the scenario order of suite "
                             f"{self.args.suite} ({e}); output:\n{out}")
        if len(names) != self.nscen or len(set(names)) != self.nscen:
            raise SystemExit(f"mutate: seed 1 of suite {self.args.suite} ran {names}, expected "
                             f"{self.nscen} distinct scenarios; output:\n{out}")
        self.order = names
        return rc, out, secs

    def sweep(self, jobs, early_stop, skip_first_seed=False):
        """Runs seeds 1..K (in chunks that double, stopping after the first chunk with a
        failure: later chunks cannot hold an earlier run). Returns a dict."""
        res = {"failures": [], "runs_done": 0, "secs": 0.0, "timeout": False, "rc": 0,
               "tail": ""}
        first = 2 if skip_first_seed else 1
        chunk = max(1, jobs) if early_stop else self.seeds
        while first <= self.seeds:
            last = min(self.seeds, first + chunk - 1)
            rc, out, secs = self.sim_run(first, last, jobs)
            res["secs"] += secs
            fails = parse_failures(out)
            res["failures"] += fails
            res["tail"] = "\n".join(out.splitlines()[-15:])
            if rc is None:
                res["timeout"] = True
                res["timeout_range"] = (first, last)
                return res
            res["runs_done"] = (last) * self.nscen
            if rc != 0:
                res["rc"] = rc
                return res
            if fails:
                return res
            first = last + 1
            chunk *= 2
        return res


# ---- shrinking -----------------------------------------------------------------------------

def replay_argv(cmd, tern, plan_out):
    """The printed replay command, run by the scratch binary, with --shrink, writing its plan
    to plan_out and no trace or picture files."""
    argv = shlex.split(cmd)
    if argv and (argv[0] == "tern" or argv[0].endswith("/tern")):
        argv[0] = tern
    else:
        argv = [tern] + argv
    out, i = [], 0
    while i < len(argv):
        a = argv[i]
        if a in ("--trace", "--svg", "--dot", "--shrink-out") and i + 1 < len(argv):
            i += 2
            continue
        if a.split("=", 1)[0] in ("--trace", "--svg", "--dot", "--shrink-out") and "=" in a:
            i += 1
            continue
        out.append(a)
        i += 1
    if "--shrink" not in out:
        out.append("--shrink")
    return out + ["--shrink-out", plan_out]


def shrink(fail, tern, src, plan_out, timeout):
    if not fail.get("replay"):
        return {"size": None, "note": "no replay command printed"}
    argv = replay_argv(fail["replay"], tern, plan_out)
    t0 = time.time()
    rc, out = run(argv, cwd=src, timeout=timeout)
    r = {"cmd": " ".join(shlex.quote(a) for a in argv), "secs": round(time.time() - t0, 1)}
    m = re.search(r"smallest (?:failing plan|plan that still fails with \S+) \((\d+) faults?", out)
    if m:
        r["size"] = int(m.group(1))
        r["plan_file"] = plan_out
        with contextlib.suppress(OSError):
            with open(plan_out) as f:
                r["plan"] = f.read()
        if "attempt budget exhausted" in out:
            r["note"] = "shrink budget exhausted"
        return r
    r["size"] = None
    if rc is None:
        r["note"] = f"shrink timed out after {timeout}s"
    elif "nothing to shrink" in out:
        r["note"] = "the replay PASSED (not reproducible!)"
    else:
        r["note"] = "no shrink result: " + " | ".join(out.strip().splitlines()[-3:])
    return r


# ---- main ----------------------------------------------------------------------------------

def build(build_dir, jobs, env, timeout, target="tools/tern"):
    t0 = time.time()
    rc, out = run(["ninja", "-C", build_dir, "-j", str(max(1, jobs)), *target.split()],
                  timeout=timeout, env=env)
    return rc, out, time.time() - t0


def first_error(out):
    for line in out.splitlines():
        if "error:" in line:
            return line.strip()[:300]
    return " | ".join(out.strip().splitlines()[-3:])[:300]


def fmt_row(r):
    where = f"{r['scenario']} seed={r['seed']}" if r.get("scenario") else "-"
    runs = str(r["runs"]) if r.get("runs") else "-"
    inv = r.get("invariant") or "-"
    size = r.get("shrunk_faults")
    size = "-" if size is None else str(size)
    status = r["status"] + ("*" if r.get("equivalent") else "")
    return (f"{r['name']:<38} {status:<11} {where:<34} {runs:>5} {inv:<20} {size:>6} "
            f"{r['secs']:>6.0f}")


HEADER = (f"{'mutant':<38} {'result':<11} {'first failing run':<34} {'runs':>5} "
          f"{'invariant':<20} {'shrunk':>6} {'secs':>6}")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--list", default="tools/mutate/mutations.txt",
                    help="the mutation list (relative to the repository root)")
    ap.add_argument("--suite", default="ci")
    ap.add_argument("--runs", type=int, default=200,
                    help="runs per mutant (seeds x scenarios of the suite, rounded up to whole "
                         "seeds)")
    ap.add_argument("--jobs", type=int, default=2, help="ninja and `tern sim run` jobs")
    ap.add_argument("--only", default="", help="comma-separated mutant names")
    ap.add_argument("--scratch", default="build-mutate",
                    help="scratch directory (relative to the repository root)")
    ap.add_argument("--no-shrink", action="store_true", help="do not shrink the failing plan")
    ap.add_argument("--json", default="", help="write a machine-readable summary here")
    ap.add_argument("--no-early-stop", action="store_true",
                    help="run all seeds in one `tern sim run` even after a failure (the "
                         "default stops after the first chunk of seeds that fails; the result "
                         "is the same)")
    ap.add_argument("--skip-baseline", action="store_true",
                    help="do not check that the unmutated suite passes (debugging only)")
    ap.add_argument("--run-timeout", type=float, default=30.0,
                    help="wall seconds per run before a sweep counts as hung (default 30; a run takes ~0.1-1 s)")
    ap.add_argument("--shrink-timeout", type=float, default=600.0,
                    help="wall seconds for one shrink (default 600)")
    ap.add_argument("--build-timeout", type=float, default=3600.0)
    ap.add_argument("--test-cmd", default="",
                    help="score this shell command instead of a `tern sim` suite: it runs in "
                         "the scratch build directory; a non-zero exit (or a timeout) means "
                         "the mutant was caught")
    ap.add_argument("--test-target", default="",
                    help="with --test-cmd: the ninja target(s) to rebuild for each mutant "
                         "(space-separated)")
    ap.add_argument("--test-timeout", type=float, default=900.0,
                    help="with --test-cmd: wall seconds before the command counts as hung")
    ap.add_argument("--only-section", default="",
                    help="only the mutants whose file lies under this path prefix")
    args = ap.parse_args()
    if args.test_cmd and not args.test_target:
        ap.error("--test-cmd needs --test-target (what to rebuild)")
    if args.runs < 1 or args.jobs < 1:
        ap.error("--runs and --jobs must be >= 1")

    signal.signal(signal.SIGTERM, on_signal)
    repo = subprocess.run(["git", "rev-parse", "--show-toplevel"], check=True,
                          stdout=subprocess.PIPE, text=True).stdout.strip()
    scratch = os.path.abspath(os.path.join(repo, args.scratch))
    src, bdir = os.path.join(scratch, "src"), os.path.join(scratch, "build")
    tern = os.path.join(bdir, "tools", "tern")
    os.makedirs(scratch, exist_ok=True)
    lock = open(os.path.join(scratch, "lock"), "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise SystemExit(f"mutate: another mutate.py is using {scratch}")

    list_path = os.path.join(repo, args.list) if not os.path.isabs(args.list) else args.list
    try:
        muts = parse_list(list_path)
    except ListError as e:
        raise SystemExit(f"mutate: {e}")
    if args.only:
        want = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in want if n not in {m["name"] for m in muts}]
        if unknown:
            raise SystemExit(f"mutate: --only names not in the list: {', '.join(unknown)}")
        muts = [m for m in muts if m["name"] in want]
    if args.only_section:
        muts = [m for m in muts if m["file"].startswith(args.only_section)]

    env = dict(os.environ, CCACHE_NOHASHDIR="1",
               CCACHE_BASEDIR=os.path.dirname(os.path.abspath(repo)))
    t_start = time.time()
    copied, removed, digest = sync_tree(repo, src)
    say(f"mutate: {len(muts)} mutants from {list_path}; scratch {scratch} "
        f"(synced: {copied} files copied, {removed} removed)")
    if not os.path.exists(os.path.join(bdir, "build.ninja")):
        say("mutate: configuring the scratch build (meson setup --buildtype=debugoptimized)")
        rc, out = run(["meson", "setup", "--buildtype=debugoptimized", bdir, src], env=env)
        if rc != 0:
            raise SystemExit(f"mutate: meson setup failed:\n{out}")
    if args.test_cmd:
        return test_cmd_mode(args, muts, src, bdir, env, scratch, digest, t_start)
    say("mutate: building the unmutated tools/tern ...")
    rc, out, secs = build(bdir, args.jobs, env, args.build_timeout)
    if rc != 0:
        raise SystemExit(f"mutate: the UNMUTATED tree does not build ({secs:.0f}s):\n"
                         f"{out[-3000:]}")
    say(f"mutate: built in {secs:.0f}s")

    suite = Suite(args, tern, src, scratch)
    say(f"mutate: suite {args.suite}: {suite.nscen} scenarios per seed; {args.runs} runs -> "
        f"seeds 1..{suite.seeds} ({suite.seeds * suite.nscen} runs) on {args.jobs} jobs")

    # Baseline: the unmutated suite must pass on the same runs. Cached per source digest
    # (the simulation is deterministic: the same sources and runs give the same verdicts).
    base_file = os.path.join(scratch, "baseline.json")
    key = {"digest": digest, "suite": args.suite, "seeds": suite.seeds}
    cached = None
    with contextlib.suppress(OSError, ValueError):
        with open(base_file) as f:
            cached = json.load(f)
    baseline = {"status": "skipped"}
    if cached and cached.get("key") == key and cached.get("passed"):
        suite.order = cached["order"]
        baseline = {"status": "passed (cached for this source digest)", "secs": cached["secs"]}
        say(f"mutate: baseline: passed before on these sources ({cached['secs']:.0f}s); "
            f"scenario order {', '.join(suite.order)}")
    else:
        rc, out, secs1 = suite.learn_order()
        say(f"mutate: scenario order: {', '.join(suite.order)}")
        fails = parse_failures(out)
        if not args.skip_baseline:
            say(f"mutate: baseline: running the unmutated suite over seeds 1..{suite.seeds} ...")
            res = suite.sweep(args.jobs, early_stop=False, skip_first_seed=True)
            fails += res["failures"]
            secs = secs1 + res["secs"]
            if fails or rc != 0 or res["rc"] != 0 or res["timeout"]:
                msg = "\n".join(f"  FAIL {f['scenario']} seed={f['seed']}: {f['message']}\n"
                                f"    replay: {f['replay']}" for f in fails[:10])
                raise SystemExit(
                    f"mutate: BASELINE FAILED: the unmutated suite {args.suite} does not pass "
                    f"on seeds 1..{suite.seeds}, so a failure could not be blamed on a mutant. "
                    f"Fix the broker (or the suite) first.\n{msg}\n{res['tail']}")
            baseline = {"status": "passed", "secs": round(secs, 1)}
            with open(base_file, "w") as f:
                json.dump({"key": key, "passed": True, "order": suite.order,
                           "secs": round(secs, 1)}, f)
            say(f"mutate: baseline: passed ({secs:.0f}s)")

    os.makedirs(os.path.join(scratch, "shrunk"), exist_ok=True)
    results = []
    say("")
    say(HEADER)
    try:
        for m in muts:
            r = mutate_one(m, args, suite, src, bdir, env, scratch)
            results.append(r)
            say(fmt_row(r))
            for note in r.get("notes", []):
                say(f"    {note}")
    except Interrupted as e:
        say(f"mutate: interrupted ({e}); the scratch file was restored")
        return 130
    except KeyboardInterrupt:
        say("mutate: interrupted; the scratch file was restored")
        return 130
    return report(results, args, baseline, suite, time.time() - t_start)


def mutate_one(m, args, suite, src, bdir, env, scratch):
    r = {"name": m["name"], "file": m["file"], "bug": m["bug"],
         "equivalent": m.get("equivalent"), "expect": m.get("expect"), "notes": []}
    t0 = time.time()
    path = os.path.join(src, m["file"])
    try:
        with open(path, encoding="utf-8") as f:
            original = f.read()
    except OSError:
        r.update(status="stale", secs=0.0, reason="file not found")
        r["notes"].append(f"stale: file {m['file']} not found")
        return r
    n = original.count(m["find"])
    if n != 1:
        reason = "text not found" if n == 0 else f"text found {n} times"
        r.update(status="stale", secs=0.0, reason=reason)
        r["notes"].append(f"stale: {reason} in {m['file']}")
        return r
    mutated = original.replace(m["find"], m["replace"], 1)
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(mutated)
        rc, out, bsecs = build(bdir, args.jobs, env, args.build_timeout)
        r["build_secs"] = round(bsecs, 1)
        if rc != 0:
            r.update(status="no-compile", secs=time.time() - t0, reason=first_error(out))
            r["notes"].append(f"does not compile: {r['reason']}")
            return r
        res = suite.sweep(args.jobs, early_stop=not args.no_early_stop)
        r["sim_secs"] = round(res["secs"], 1)
        fails = sorted(res["failures"], key=lambda f: suite.index(f["scenario"], f["seed"]))
        if fails:
            f = fails[0]
            r.update(status="caught", scenario=f["scenario"], seed=f["seed"],
                     runs=suite.index(f["scenario"], f["seed"]), invariant=f["invariant"],
                     message=f["message"], replay=f["replay"])
            if not args.no_shrink:
                s = shrink(f, suite.tern, src,
                           os.path.join(scratch, "shrunk", f"{m['name']}.plan"),
                           args.shrink_timeout)
                r["shrunk_faults"] = s.get("size")
                r["shrink"] = s
                if s.get("note"):
                    r["notes"].append(s["note"])
        elif res["timeout"]:
            a, b = res["timeout_range"]
            r.update(status="caught", runs=b * suite.nscen, invariant="hang",
                     message=f"seeds {a}..{b} did not finish in wall time (a run hangs)")
            r["notes"].append(r["message"] + f"; runs = the end of that range")
        elif res["rc"] != 0:
            r.update(status="error", reason=f"tern sim run exited {res['rc']} without a FAIL "
                                            f"line")
            r["notes"].append(r["reason"] + ":\n" + res["tail"])
        else:
            r.update(status="missed", runs_checked=res["runs_done"])
    finally:
        with open(path, "w", encoding="utf-8") as f:
            f.write(original)
    r["secs"] = time.time() - t0
    if r.get("equivalent") and r["status"] == "caught":
        r["notes"].append("caught although marked equivalent: the mark is wrong")
    return r


# ---- --test-cmd: score a test binary ------------------------------------------------------

class CmdSuite:
    """Stands in for Suite in the report: one 'run' is one execution of the command."""
    def __init__(self, cmd):
        self.seeds, self.nscen, self.order = 1, 1, [cmd]
        self.args = argparse.Namespace(suite=f"`{cmd}`")


def run_test_cmd(args, bdir, env):
    t0 = time.time()
    rc, out = run(["bash", "-c", args.test_cmd], cwd=bdir, timeout=args.test_timeout, env=env)
    return rc, out, time.time() - t0


def cmd_failure(out):
    """(seed, first failure line) from the command's output, for the table."""
    seed = None
    m = re.search(r"\bseed (\d+)", out)
    if m:
        seed = int(m.group(1))
    lines = out.splitlines()
    # A harness that prints "seed N ... failed:" names the failure on the next line.
    for i, line in enumerate(lines[:-1]):
        if re.match(r"^seed \d+.*failed:\s*$", line.strip()) and lines[i + 1].strip():
            return seed, lines[i + 1].strip()[:200]
    for line in out.splitlines():
        if line.strip() == "Failed":
            continue
        s = line.strip()
        if s and not s.startswith(("[", "Running main", "Note:")) and (
                "fail" in s.lower() or "assert" in s.lower() or "violat" in s.lower()
                or "liveness" in s or "changed" in s or "two leaders" in s or "lacks" in s
                or "went back" in s or "below" in s):
            return seed, s[:200]
    return seed, " | ".join(out.strip().splitlines()[-2:])[:200]


def test_cmd_mode(args, muts, src, bdir, env, scratch, digest, t_start):
    say(f"mutate: building the unmutated {args.test_target} ...")
    rc, out, secs = build(bdir, args.jobs, env, args.build_timeout, args.test_target)
    if rc != 0:
        raise SystemExit(f"mutate: the UNMUTATED tree does not build:\n{out[-3000:]}")
    base_file = os.path.join(scratch, "baseline-cmd.json")
    key = {"digest": digest, "cmd": args.test_cmd, "target": args.test_target}
    cached = None
    with contextlib.suppress(OSError, ValueError):
        with open(base_file) as f:
            cached = json.load(f)
    if cached and cached.get("key") == key and cached.get("passed"):
        baseline = {"status": "passed (cached for this source digest)", "secs": cached["secs"]}
    else:
        say(f"mutate: baseline: {args.test_cmd}")
        rc, out, secs = run_test_cmd(args, bdir, env)
        if rc != 0:
            raise SystemExit(f"mutate: BASELINE FAILED (exit {rc}): the unmutated command "
                             f"fails, so a failure could not be blamed on a mutant.\n"
                             f"{out[-3000:]}")
        baseline = {"status": "passed", "secs": round(secs, 1)}
        with open(base_file, "w") as f:
            json.dump({"key": key, "passed": True, "secs": round(secs, 1)}, f)
        say(f"mutate: baseline: passed ({secs:.0f}s)")
    results = []
    say("")
    say(HEADER)
    for m in muts:
        r = {"name": m["name"], "file": m["file"], "bug": m["bug"],
             "equivalent": m.get("equivalent"), "expect": m.get("expect"), "notes": []}
        t0 = time.time()
        path = os.path.join(src, m["file"])
        try:
            with open(path, encoding="utf-8") as f:
                original = f.read()
        except OSError:
            r.update(status="stale", secs=0.0, reason="file not found")
            results.append(r)
            say(fmt_row(r))
            continue
        n = original.count(m["find"])
        if n != 1:
            reason = "text not found" if n == 0 else f"text found {n} times"
            r.update(status="stale", secs=0.0, reason=reason)
            results.append(r)
            say(fmt_row(r))
            continue
        try:
            with open(path, "w", encoding="utf-8") as f:
                f.write(original.replace(m["find"], m["replace"], 1))
            rc, out, bsecs = build(bdir, args.jobs, env, args.build_timeout, args.test_target)
            if rc != 0:
                r.update(status="no-compile", reason=first_error(out))
            else:
                rc, out, tsecs = run_test_cmd(args, bdir, env)
                r["sim_secs"] = round(tsecs, 1)
                if rc is None:
                    r.update(status="caught", invariant="hang", runs=1,
                             message=f"no exit within {args.test_timeout:.0f}s")
                elif rc != 0:
                    seed, msg = cmd_failure(out)
                    r.update(status="caught", runs=1, message=msg,
                             invariant=msg[:20], scenario="seed", seed=seed)
                    r["notes"].append(msg)
                else:
                    r.update(status="missed")
        finally:
            with open(path, "w", encoding="utf-8") as f:
                f.write(original)
        r["secs"] = time.time() - t0
        results.append(r)
        say(fmt_row(r))
        for note in r.get("notes", []):
            say(f"    {note}")
    # Leave the scratch build matching the sources.
    build(bdir, args.jobs, env, args.build_timeout, args.test_target)
    args.suite = f"`{args.test_cmd}`"
    return report(results, args, baseline, CmdSuite(args.test_cmd), time.time() - t_start)


def report(results, args, baseline, suite, total_secs):
    say("")
    say(f"mutation score of suite {args.suite}, {suite.seeds * suite.nscen} runs per mutant "
        f"(seeds 1..{suite.seeds})")
    say(HEADER)
    for r in results:
        say(fmt_row(r))
    by = lambda st: [r for r in results if r["status"] == st]
    equivalent = [r for r in results if r.get("equivalent") and r["status"] not in
                  ("stale", "no-compile")]
    scored = [r for r in results if not r.get("equivalent") and r["status"] not in
              ("stale", "no-compile")]
    caught = [r for r in scored if r["status"] == "caught"]
    missed = [r for r in scored if r["status"] != "caught"]
    say("")
    say(f"mutants {len(results)}: caught {len(by('caught'))}, missed {len(by('missed'))}, "
        f"stale {len(by('stale'))}, no-compile {len(by('no-compile'))}, "
        f"error {len(by('error'))}, marked equivalent {len(equivalent)}")
    score = len(caught) / len(scored) if scored else 0.0
    pct = f"{100 * score:.1f}%" if scored else "n/a"
    say(f"SCORE {len(caught)}/{len(scored)} = {pct}  "
        f"(caught / (mutants - equivalent - stale - no-compile))")
    if caught:
        runs = sorted(r["runs"] for r in caught if r.get("runs"))
        say(f"runs to detection: median {runs[len(runs) // 2]}, max {runs[-1]}")
    for r in equivalent:
        say(f"equivalent (excluded): {r['name']} [{r['status']}]: {r['equivalent']}")
    for r in by("stale") + by("no-compile"):
        say(f"{r['status']}: {r['name']}: {r.get('reason')}")
    if missed:
        say("MISSED: " + ", ".join(f"{r['name']} ({r['status']})" for r in missed))
    say(f"total {total_secs / 60:.1f} min")
    if args.json:
        summary = {"suite": args.suite, "runs_per_mutant": suite.seeds * suite.nscen,
                   "seeds": [1, suite.seeds], "scenario_order": suite.order,
                   "baseline": baseline, "score": round(score, 4), "caught": len(caught),
                   "scored": len(scored), "missed": [r["name"] for r in missed],
                   "stale": [r["name"] for r in by("stale")],
                   "no_compile": [r["name"] for r in by("no-compile")],
                   "equivalent": [r["name"] for r in equivalent],
                   "total_secs": round(total_secs, 1),
                   "mutants": [{k: (round(v, 1) if isinstance(v, float) else v)
                                for k, v in r.items()} for r in results]}
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=2)
        say(f"summary written to {args.json}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
