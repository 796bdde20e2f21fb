"""Shared fixtures: capinit as PID 1 of a fresh PID namespace, seen from outside.

Every test runs capinit under `unshare -fp --mount-proc --kill-child`, so
whatever a test leaves behind dies with the namespace instead of leaking onto
the host (the machine's own PID 1 reaps orphans late).
"""
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CAPINIT = REPO / "build" / "capinit"
HELPERS = Path(__file__).resolve().parent / "helpers"

# Environment for capinit: the test's own, minus any CAPINIT_* variable the
# caller did not ask for (an unknown CAPINIT_* is an error by design).
BASE_ENV = {k: v for k, v in os.environ.items() if not k.startswith(("CAPINIT_", "TINI_", "DUMB_INIT_"))}
BASE_ENV["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def pytest_configure(config):
    config.addinivalue_line("markers", "timeout(seconds): per-test time limit")


@pytest.fixture(scope="session")
def capinit():
    if os.geteuid() != 0:
        pytest.skip("integration tests need root (PID and network namespaces)")
    assert CAPINIT.exists(), "build/capinit is missing: run `make` first"
    return str(CAPINIT)


def _compile(src, out):
    base = ["cc", "-O2", "-Wall", "-Wextra", "-o", str(out), str(src)]
    # Static if the host has a static libc (cheap to fork a thousand times),
    # dynamic otherwise.
    if subprocess.run(base[:1] + ["-static"] + base[1:], capture_output=True).returncode != 0:
        subprocess.run(base, check=True)


@pytest.fixture(scope="session")
def helper(tmp_path_factory):
    """Paths of the compiled helper programs (tests/integration/helpers), by
    name: sigrec records the signals it gets, orphans makes orphans, rawenv
    execs with an environment taken literally."""
    out = tmp_path_factory.mktemp("helpers")
    paths = {}
    for name in ("sigrec", "orphans", "rawenv"):
        _compile(HELPERS / f"{name}.c", out / name)
        paths[name] = str(out / name)
    return paths


@pytest.fixture
def shared_dir():
    """A world-writable directory, so a marker can be created by any uid
    (tmp_path is root's alone)."""
    d = tempfile.mkdtemp(prefix="capinit-test-", dir="/tmp")
    os.chmod(d, 0o1777)
    yield Path(d)
    shutil.rmtree(d, ignore_errors=True)


def file_words(path):
    """The whitespace-separated words of a file; [] while it does not exist."""
    try:
        return Path(path).read_text().split()
    except FileNotFoundError:
        return []


def signals_recorded(path):
    """Signal numbers sigrec wrote to path (after its "ready" line)."""
    return [int(w) for w in file_words(path) if w.isdigit()]


def make_env(extra=None):
    env = dict(BASE_ENV)
    if extra:
        env.update(extra)
    return env


def proc_status(pid):
    """The /proc/PID/status fields as a dict of strings (None if gone)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def children(pid):
    """Host pids of pid's direct children."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return []
    return [int(p) for p in text.split()]


def wait_for(predicate, timeout=10.0, interval=0.01):
    """Poll predicate until it returns a truthy value; returns it or None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return None


class Pid1:
    """capinit running as PID 1 of a new PID namespace."""

    def __init__(self, argv, env=None, prefix=(), **popen):
        self.argv = [str(a) for a in argv]
        cmd = list(prefix) + ["unshare", "-fp", "--mount-proc", "--kill-child"] + self.argv
        popen.setdefault("stdout", subprocess.PIPE)
        popen.setdefault("stderr", subprocess.PIPE)
        self.proc = subprocess.Popen(cmd, env=make_env(env), **popen)
        self._init_pid = None

    @property
    def init_pid(self):
        """Host pid of capinit: the child of the unshare process."""
        if self._init_pid is None:
            kids = wait_for(lambda: children(self.proc.pid), timeout=10)
            assert kids, "capinit did not start"
            self._init_pid = kids[0]
        return self._init_pid

    def app_pid(self, timeout=10):
        """Host pid of capinit's first child (the app), once it has exec'd."""
        pid = self.init_pid
        exe = self.argv[0]

        def find():
            for kid in children(pid):
                try:
                    if os.readlink(f"/proc/{kid}/exe") != os.path.realpath(exe):
                        return kid
                except OSError:
                    pass
            return None

        kid = wait_for(find, timeout=timeout)
        assert kid, "the app did not start"
        return kid

    def kill(self, sig):
        os.kill(self.init_pid, sig)

    def wait(self, timeout=30):
        out, err = self.proc.communicate(timeout=timeout)
        self.stdout = out.decode(errors="replace") if out is not None else ""
        self.stderr = err.decode(errors="replace") if err is not None else ""
        return self.proc.returncode

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


@pytest.fixture
def pid1():
    """Factory: pid1(argv, env=None) -> Pid1; everything is killed at teardown."""
    started = []

    def start(argv, env=None, **kw):
        p = Pid1(argv, env=env, **kw)
        started.append(p)
        return p

    yield start
    for p in started:
        p.close()


def run_pid1(argv, env=None, timeout=30, prefix=(), input=None):
    """Run capinit as PID 1 to completion; CompletedProcess with text output."""
    cmd = list(prefix) + ["unshare", "-fp", "--mount-proc", "--kill-child"] + [str(a) for a in argv]
    return subprocess.run(cmd, env=make_env(env), capture_output=True, text=True,
                          timeout=timeout, input=input)


def status_fields(text):
    """Parse `grep ... /proc/self/status` style output into a dict."""
    fields = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    return fields


SIGNALS = signal.Signals
