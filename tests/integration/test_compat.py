"""capinit as a drop-in for tini and dumb-init (issue 5).

capinit picks its personality from the name it is invoked by: `tini`,
`tini-static`, `docker-init` give tini's defaults, `dumb-init` dumb-init's.
Each test runs capinit through such a name (a symlink in a tmp dir) and, where
the original is installed, runs the same scenario under the real tool too
(`impl` = "real" / "capinit"): both must give the same exit status, print on
the same stream and deliver the same signals. Where a test states a fact about
the original tool (stream, status), the fact was checked against tini 0.19.0
and dumb-init 1.2.5 (Debian packages).

Every scenario runs in its own PID namespace (`unshare -fp --mount-proc
--kill-child`), so nothing outlives a test. In "nested" scenarios the
namespace's PID 1 is a shell that runs the init in the foreground, records
its exit status in DIR/status and then lingers: the init is not PID 1
(needed for -s, -p, the not-PID-1 warning, and for an init that stops
itself), and the processes it leaves behind survive it until the test has
looked at them.

Helpers (tests/integration/compat_helpers/):
  sigrec.py      records the signals it gets in DIR/NAME.sigs; can fork a
                 worker (the "grandchild"); --die-on SIG dies of SIG
  orphan.sh      makes an orphan and reports who adopted it
  reap_orphan.sh makes an orphan that exits, returns once it is reaped
  group_exit.sh  forks a worker, then exits 3 by itself
"""
import json
import re
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import children, make_env, proc_status, status_fields, wait_for

HELPERS = Path(__file__).resolve().parent / "compat_helpers"
PYTHON = "/usr/bin/python3"
UNSHARE = ["unshare", "-fp", "--mount-proc", "--kill-child"]
IMPLS = ["real", "capinit"]

# The originals, by the name capinit answers to.
REAL = {
    "tini": "/usr/bin/tini",
    "tini-static": "/usr/bin/tini-static",
    "docker-init": "/usr/bin/tini",  # `docker run --init` runs tini as docker-init
    "dumb-init": "/usr/bin/dumb-init",
}
TINI_NAMES = ["tini", "tini-static", "docker-init"]

# How long to keep watching for a signal that must NOT arrive, after one
# sent later (or at the same time) has arrived.
QUIET = 0.4

# In a scenario's argv, stands for its scratch dir.
DIR = "{dir}"


# ---- fixtures and helpers --------------------------------------------------

@pytest.fixture(scope="session")
def tools(capinit, tmp_path_factory):
    """tools[name][impl] -> path of an executable whose basename is name.

    "real" is a symlink to the original tool, "capinit" a symlink to
    build/capinit; tools["capinit"]["capinit"] is build/capinit itself."""
    base = tmp_path_factory.mktemp("names")
    out = {"capinit": {"capinit": capinit}}
    for impl in IMPLS:
        (base / impl).mkdir()
    for name, real in REAL.items():
        out[name] = {}
        for impl, target in (("real", real), ("capinit", capinit)):
            link = base / impl / name
            link.symlink_to(target)
            out[name][impl] = str(link)
    return out


def tool(tools, name, impl):
    if impl == "real" and not os.path.exists(REAL[name]):
        pytest.skip(f"{REAL[name]} is not installed")
    return tools[name][impl]


class Run:
    """ARGV (an init and its command) in a fresh PID namespace.

    Output goes to DIR/stdout and DIR/stderr. nested=False: the init is PID 1
    of the namespace. nested=True: PID 1 is a shell that runs ARGV in the
    foreground, writes its exit status to DIR/status and sleeps on.
    wrapper=SCRIPT: PID 1 is `sh -c SCRIPT DIR ARGV...` (init_pid is then
    PID 1's first child, whatever SCRIPT makes it)."""

    def __init__(self, argv, workdir, env=None, nested=False, cwd=None, wrapper=None):
        self.dir = Path(workdir)
        self.nested = nested or wrapper is not None
        argv = [str(a).replace(DIR, str(self.dir)) for a in argv]
        if wrapper is not None:
            cmd = UNSHARE + ["sh", "-c", wrapper, str(self.dir)] + argv
        elif nested:
            script = '"$@"; echo $? > "$0/status"; exec sleep 60'
            cmd = UNSHARE + ["sh", "-c", script, str(self.dir)] + argv
        else:
            cmd = UNSHARE + argv
        with open(self.dir / "stdout", "wb") as out, open(self.dir / "stderr", "wb") as err:
            self.proc = subprocess.Popen(cmd, env=make_env(env), cwd=cwd,
                                         stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        self._init = None

    @property
    def ns_pid1(self):
        pid = wait_for(lambda: (children(self.proc.pid) or [None])[0], timeout=10)
        assert pid, "the namespace did not start"
        return pid

    @property
    def init_pid(self):
        """Host pid of the init (PID 1, or the child of the nested shell)."""
        if self._init is None:
            if self.nested:
                top = self.ns_pid1
                pid = wait_for(lambda: (children(top) or [None])[0], timeout=10)
            else:
                pid = self.ns_pid1
            assert pid, "the init did not start"
            self._init = pid
        return self._init

    def app_pid(self):
        """Host pid of the init's child (the app)."""
        init = self.init_pid
        pid = wait_for(lambda: (children(init) or [None])[0], timeout=10)
        assert pid, "the app did not start"
        return pid

    def kill(self, sig):
        os.kill(self.init_pid, sig)

    def status(self, timeout=15):
        """The init's exit status."""
        if self.nested:
            f = self.dir / "status"
            got = wait_for(lambda: f.exists() and f.read_text().strip(), timeout=timeout)
            assert got, "the init did not exit"
            return int(got)
        return self.proc.wait(timeout=timeout)

    @property
    def stdout(self):
        return (self.dir / "stdout").read_text(errors="replace")

    @property
    def stderr(self):
        return (self.dir / "stderr").read_text(errors="replace")

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()  # unshare --kill-child takes the namespace with it
        self.proc.wait(timeout=10)


@pytest.fixture
def scenario(tmp_path):
    """Factory: scenario(argv, env=None, nested=False, cwd=None, wrapper=None) -> Run.

    Each call gets its own scratch dir (Run.dir, written DIR in argv); all
    namespaces are torn down at teardown."""
    runs = []

    def start(argv, **kw):
        d = tmp_path / f"run{len(runs)}"
        d.mkdir()
        r = Run(argv, d, **kw)
        runs.append(r)
        return r

    yield start
    for r in runs:
        r.close()


def run(argv, env=None, timeout=15, cwd=None):
    """argv as PID 1 of a fresh PID namespace, to completion (stdin /dev/null)."""
    return subprocess.run(UNSHARE + [str(a) for a in argv], env=make_env(env), cwd=cwd,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=timeout)


def sigrec(name="app", die_on=(), worker=False):
    """argv of sigrec.py recording into the scenario's dir."""
    argv = [PYTHON, "-S", str(HELPERS / "sigrec.py"), DIR, name]
    for sig in die_on:
        argv += ["--die-on", sig]
    if worker:
        argv += ["--child", "worker"]
    return argv


def sigs(d, name):
    p = Path(d) / f"{name}.sigs"
    return p.read_text().split() if p.exists() else []


def info(d, name):
    return json.loads((Path(d) / f"{name}.info").read_text())


def wait_ready(d, *names):
    for name in names:
        assert wait_for(lambda: (Path(d) / f"{name}.ready").exists(), timeout=10), \
            f"{name} did not start"


def wait_sig(d, name, sig, timeout=10):
    assert wait_for(lambda: sig in sigs(d, name), timeout=timeout), \
        f"{name} never got {sig} (got {sigs(d, name)})"


def state(pid):
    st = proc_status(pid)
    return st["State"][0] if st else None


# ---- help, version, license, usage errors ----------------------------------

# Where each original prints its informational texts (checked: tini -h,
# --version and -l on stdout; dumb-init -h/--help, -V/--version on stderr).
INFO_STREAM = {"tini": "stdout", "dumb-init": "stderr"}


@pytest.mark.timeout(20)
@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("name,args", [
    ("tini", ["-h"]),
    ("dumb-init", ["-h"]),
    ("dumb-init", ["--help"]),
])
def test_help_exits_0_on_the_originals_stream(tools, tmp_path, impl, name, args):
    marker = tmp_path / "ran"
    r = run([tool(tools, name, impl)] + args + ["touch", marker])
    assert r.returncode == 0, r.stderr
    assert not marker.exists(), "-h must not run the command"
    streams = {"stdout": r.stdout, "stderr": r.stderr}
    expected = INFO_STREAM[name]
    other = "stderr" if expected == "stdout" else "stdout"
    assert "usage" in streams[expected].lower(), \
        f"{name} prints its usage on {expected}; got stdout={r.stdout[:80]!r} stderr={r.stderr[:80]!r}"
    assert streams[other] == ""


@pytest.mark.timeout(20)
@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("name,args", [
    ("tini", ["--version"]),
    ("dumb-init", ["-V"]),
    ("dumb-init", ["--version"]),
])
def test_version_exits_0_on_the_originals_stream(tools, impl, name, args):
    # The texts differ by design (capinit names itself); only the status and
    # the stream are compared.
    r = run([tool(tools, name, impl)] + args)
    assert r.returncode == 0, r.stderr
    streams = {"stdout": r.stdout, "stderr": r.stderr}
    expected = INFO_STREAM[name]
    other = "stderr" if expected == "stdout" else "stdout"
    assert streams[expected].strip(), \
        f"{name} prints its version on {expected}; got stdout={r.stdout!r} stderr={r.stderr!r}"
    assert streams[other] == ""


@pytest.mark.timeout(20)
@pytest.mark.parametrize("impl", IMPLS)
def test_tini_license_exits_0(tools, tmp_path, impl):
    marker = tmp_path / "ran"
    r = run([tool(tools, "tini", impl), "-l", "touch", marker])
    assert r.returncode == 0, r.stderr
    assert "license" in r.stdout.lower()
    assert r.stderr == ""
    assert not marker.exists()


@pytest.mark.timeout(30)
@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("opt", ["-Z", "--bogus"])
@pytest.mark.parametrize("name", TINI_NAMES + ["dumb-init"])
def test_unknown_option_exits_1(tools, tmp_path, impl, name, opt):
    marker = tmp_path / "ran"
    r = run([tool(tools, name, impl), opt, "touch", marker])
    assert r.returncode == 1
    assert r.stdout == ""
    assert r.stderr.strip()
    assert not marker.exists()


@pytest.mark.timeout(20)
def test_unknown_option_exits_2_under_capinits_own_name(tools, tmp_path):
    marker = tmp_path / "ran"
    r = run([tools["capinit"]["capinit"], "-Z", "touch", marker])
    assert r.returncode == 2
    assert r.stderr.strip()
    assert not marker.exists()


@pytest.mark.timeout(20)
@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("name,args", [
    ("tini", ["-e", "abc"]),
    ("tini", ["-e", "256"]),
    ("tini", ["-p", "BOGUS"]),
    ("dumb-init", ["-r", "abc"]),
    ("dumb-init", ["-r", "15"]),
    ("dumb-init", ["-r", "99:1"]),
])
def test_bad_option_value_exits_1(tools, tmp_path, impl, name, args):
    marker = tmp_path / "ran"
    r = run([tool(tools, name, impl)] + args + ["touch", marker])
    assert r.returncode == 1
    assert r.stderr.strip()
    assert not marker.exists()


@pytest.mark.timeout(20)
@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("args", [[], ["--"]])
@pytest.mark.parametrize("name", ["tini", "docker-init", "dumb-init"])
def test_missing_command_exits_1(tools, impl, name, args):
    r = run([tool(tools, name, impl)] + args)
    assert r.returncode == 1
    assert r.stdout == ""
    assert r.stderr.strip()


# ---- exit status -----------------------------------------------------------

@pytest.mark.timeout(30)
@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("script,expected", [
    ("exit 0", 0),
    ("exit 7", 7),
    ("exit 255", 255),
    ("kill -TERM $$", 143),
    ("kill -KILL $$", 137),
    ("kill -USR1 $$", 138),
])
@pytest.mark.parametrize("name", ["tini", "dumb-init"])
def test_exit_status_passes_through(tools, impl, name, script, expected):
    r = run([tool(tools, name, impl), "--", "sh", "-c", script])
    assert r.returncode == expected, r.stderr


@pytest.mark.timeout(20)
@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("name", ["tini", "docker-init", "dumb-init"])
def test_forwarded_sigterm_kills_child_exit_143(tools, scenario, impl, name):
    s = scenario([tool(tools, name, impl), "--"] + sigrec(die_on=["SIGTERM"]))
    d = s.dir
    wait_ready(d, "app")
    s.kill(signal.SIGTERM)
    assert s.status() == 143
    assert sigs(d, "app") == ["SIGTERM"]


@pytest.mark.timeout(20)
@pytest.mark.parametrize("name,impl", [("tini", "real"), ("tini", "capinit"),
                                       ("dumb-init", "capinit")])
@pytest.mark.parametrize("command,expected", [(["/nonexistent"], 127), (["/etc/passwd"], 126)],
                         ids=["not-found", "not-executable"])
def test_command_cannot_be_run(tools, impl, name, command, expected):
    # tini and capinit (SPEC): 127 not found, 126 not executable, as a shell.
    # dumb-init 1.2.5 exits 2 in both cases; capinit keeps SPEC's statuses
    # under that name too (2 means "bad command line" for capinit), so the
    # real dumb-init is not compared here.
    r = run([tool(tools, name, impl), "--"] + command)
    assert r.returncode == expected
    assert r.stderr.strip()


# ---- tini: -e ----------------------------------------------------------------

@pytest.mark.timeout(30)
@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("args,script,expected", [
    (["-e", "143"], "kill -TERM $$", 0),   # died of SIGTERM: 128+15 mapped
    (["-e", "143"], "exit 143", 0),
    (["-e", "143"], "exit 137", 137),     # other codes untouched
    (["-e", "143"], "kill -KILL $$", 137),
    (["-e", "143"], "exit 0", 0),
    (["-e", "143"], "exit 1", 1),
    (["-e", "143", "-e", "3"], "exit 3", 0),  # repeatable
    (["-e", "143", "-e", "3"], "kill -TERM $$", 0),
    (["-e3"], "exit 3", 0),
])
def test_tini_exit_code_mapped_to_0(tools, impl, args, script, expected):
    r = run([tool(tools, "tini", impl)] + args + ["--", "sh", "-c", script])
    assert r.returncode == expected, r.stderr


@pytest.mark.timeout(20)
@pytest.mark.parametrize("impl", IMPLS)
def test_tini_e143_maps_forwarded_sigterm_to_0(tools, scenario, impl):
    # `docker stop` on an app that does not handle SIGTERM: exit 0, not 143.
    s = scenario([tool(tools, "docker-init", impl), "-e", "143", "--"]
                 + sigrec(die_on=["SIGTERM"]))
    wait_ready(s.dir, "app")
    s.kill(signal.SIGTERM)
    assert s.status() == 0
    assert sigs(s.dir, "app") == ["SIGTERM"]


# ---- tini: -g / TINI_KILL_PROCESS_GROUP --------------------------------------

@pytest.mark.timeout(20)
@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("mode", ["default", "-g", "TINI_KILL_PROCESS_GROUP"])
def test_tini_kill_process_group(tools, scenario, impl, mode):
    args = ["-g"] if mode == "-g" else []
    env = {"TINI_KILL_PROCESS_GROUP": "1"} if mode == "TINI_KILL_PROCESS_GROUP" else None
    s = scenario([tool(tools, "tini", impl)] + args + ["--"]
                 + sigrec(die_on=["SIGTERM"], worker=True), env=env)
    d = s.dir
    wait_ready(d, "app")  # app.ready comes after worker.ready
    s.kill(signal.SIGUSR1)
    wait_sig(d, "app", "SIGUSR1")
    if mode == "default":
        time.sleep(QUIET)
        assert sigs(d, "worker") == [], "without -g only the child gets the signal"
    else:
        wait_sig(d, "worker", "SIGUSR1")
    s.kill(signal.SIGTERM)
    assert s.status() == 143
    assert sigs(d, "app") == ["SIGUSR1", "SIGTERM"]


# ---- tini: -s / TINI_SUBREAPER, and the warning when neither ------------------

@pytest.mark.timeout(20)
@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("mode", ["-s", "TINI_SUBREAPER=1", "TINI_SUBREAPER=", "default"])
def test_tini_subreaper_adopts_orphans_when_not_pid1(tools, scenario, impl, mode):
    # tini: TINI_SUBREAPER set at all (even empty) means on.
    args = ["-s"] if mode == "-s" else []
    env = dict([mode.split("=")]) if mode.startswith("TINI_") else None
    s = scenario([tool(tools, "tini", impl)] + args + ["--", "sh", HELPERS / "orphan.sh", DIR],
                 env=env, nested=True)
    assert s.status() == 0, s.stderr
    fields = dict(kv.split("=") for kv in s.stdout.split())
    if mode == "default":
        # Not PID 1, not a subreaper: the orphan goes to the namespace's PID 1.
        assert fields["orphan_parent"] == "1"
        assert fields["orphan_parent"] != fields["init"]
    else:
        assert fields["orphan_parent"] == fields["init"]
        assert s.stderr == "", "registered as a subreaper: no warning"


@pytest.mark.timeout(20)
@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("name", TINI_NAMES)
def test_tini_warns_when_neither_pid1_nor_subreaper(tools, scenario, impl, name):
    s = scenario([tool(tools, name, impl), "--", "sh", "-c", "exit 3"], nested=True)
    assert s.status() == 3
    assert "PID 1" in s.stderr and "subreaper" in s.stderr.lower(), s.stderr
    assert s.stdout == ""


@pytest.mark.timeout(20)
@pytest.mark.parametrize("impl", IMPLS)
def test_tini_verbosity_0_silences_the_not_pid1_warning(tools, scenario, impl):
    # tini's warnings are printed at verbosity >= 1 (its default);
    # TINI_VERBOSITY=0 silences them.
    s = scenario([tool(tools, "tini", impl), "--", "sh", "-c", "exit 3"],
                 env={"TINI_VERBOSITY": "0"}, nested=True)
    assert s.status() == 3
    assert s.stderr == ""
    assert s.stdout == ""


@pytest.mark.timeout(20)
@pytest.mark.parametrize("impl", IMPLS)
def test_dumb_init_does_not_warn_when_not_pid1(tools, scenario, impl):
    s = scenario([tool(tools, "dumb-init", impl), "--", "sh", "-c", "exit 3"], nested=True)
    assert s.status() == 3
    assert s.stderr == ""
    assert s.stdout == ""


# ---- tini: -p ------------------------------------------------------------------

# Namespace PID 1 runs `sh -c '"$@"; true' sh INIT...` (the init's parent, a
# shell that is not PID 1) and then sleeps without reaping, so an init that
# died stays visible as a zombie.
PARENT_WRAPPER = 'sh -c \'"$@"; true\' sh "$@"; exec sleep 60'


@pytest.mark.timeout(20)
@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("with_p", [True, False], ids=["-p SIGKILL", "no -p"])
def test_tini_parent_death_signal(tools, scenario, impl, with_p):
    args = ["-p", "SIGKILL"] if with_p else []
    s = scenario([tool(tools, "tini", impl)] + args + ["--", "sleep", "60"],
                 wrapper=PARENT_WRAPPER)
    parent = s.init_pid  # the middle shell: the child of namespace PID 1
    init = wait_for(lambda: (children(parent) or [None])[0], timeout=10)
    assert init, "the init did not start"
    assert wait_for(lambda: children(init), timeout=10), "the app did not start"
    os.kill(parent, signal.SIGKILL)
    if with_p:
        assert wait_for(lambda: state(init) in (None, "Z"), timeout=10), \
            "the init outlived its parent despite -p SIGKILL"
    else:
        # Once the parent is gone, a death signal would already be on its way.
        assert wait_for(lambda: state(parent) in (None, "Z"), timeout=10), "the parent lives on"
        time.sleep(QUIET)
        assert state(init) not in (None, "Z"), "without -p the init survives its parent"


# ---- tini: -w --------------------------------------------------------------------

@pytest.mark.timeout(20)
@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("with_w", [True, False], ids=["-w", "no -w"])
def test_tini_warn_on_reap(tools, scenario, impl, with_w):
    args = ["-w"] if with_w else []
    s = scenario([tool(tools, "tini", impl)] + args
                 + ["--", "sh", HELPERS / "reap_orphan.sh", DIR])
    assert s.status() == 0, "the orphan was not reaped"
    if with_w:
        assert "zombie" in s.stderr.lower(), s.stderr
    else:
        assert "zombie" not in (s.stderr + s.stdout).lower()
    assert "zombie" not in s.stdout.lower()


# ---- tini: -v / TINI_VERBOSITY -------------------------------------------------

def _lines(r):
    return len((r.stdout + r.stderr).splitlines())


@pytest.mark.timeout(30)
@pytest.mark.parametrize("impl", IMPLS)
def test_tini_verbosity_increases(tools, impl):
    t = tool(tools, "tini", impl)
    quiet = run([t, "--", "true"])
    v1 = run([t, "-v", "--", "true"])
    v3 = run([t, "-vvv", "--", "true"])
    env2 = run([t, "--", "true"], env={"TINI_VERBOSITY": "2"})
    env4 = run([t, "--", "true"], env={"TINI_VERBOSITY": "4"})
    for r in (quiet, v1, v3, env2, env4):
        assert r.returncode == 0
    assert _lines(quiet) == 0
    assert 0 < _lines(v1) <= _lines(v3)
    assert 0 < _lines(env2) <= _lines(env4)


@pytest.mark.timeout(20)
@pytest.mark.parametrize("impl", IMPLS)
def test_tini_verbose_messages_on_the_originals_stream(tools, impl):
    # tini prints its INFO/DEBUG/TRACE messages on stdout (warnings and fatal
    # errors on stderr).
    r = run([tool(tools, "tini", impl), "-vv", "--", "true"])
    assert r.returncode == 0
    assert r.stdout.strip(), f"tini -v prints on stdout; got stderr={r.stderr!r}"
    assert r.stderr == ""


# ---- dumb-init: -v / DUMB_INIT_DEBUG ----------------------------------------------

@pytest.mark.timeout(20)
@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("args,env,debug", [
    ([], None, False),
    (["-v"], None, True),
    (["--verbose"], None, True),
    ([], {"DUMB_INIT_DEBUG": "1"}, True),
    ([], {"DUMB_INIT_DEBUG": "0"}, False),
])
def test_dumb_init_debug_output_on_stderr(tools, impl, args, env, debug):
    r = run([tool(tools, "dumb-init", impl)] + args + ["--", "sh", "-c", "exit 4"], env=env)
    assert r.returncode == 4
    assert r.stdout == ""
    if debug:
        assert len(r.stderr.splitlines()) >= 2, r.stderr
    else:
        assert r.stderr == ""


# ---- dumb-init: signals to the process group, -c, DUMB_INIT_SETSID --------------

SINGLE_CHILD_MODES = {
    "setsid": ([], None),
    "-c": (["-c"], None),
    "--single-child": (["--single-child"], None),
    "DUMB_INIT_SETSID=0": ([], {"DUMB_INIT_SETSID": "0"}),
}


@pytest.mark.timeout(20)
@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("mode", list(SINGLE_CHILD_MODES))
def test_dumb_init_signals_reach_the_group(tools, scenario, impl, mode):
    args, env = SINGLE_CHILD_MODES[mode]
    s = scenario([tool(tools, "dumb-init", impl)] + args + ["--"]
                 + sigrec(die_on=["SIGTERM"], worker=True), env=env, nested=True)
    d = s.dir
    wait_ready(d, "app")
    s.kill(signal.SIGUSR1)
    wait_sig(d, "app", "SIGUSR1")
    if mode == "setsid":
        wait_sig(d, "worker", "SIGUSR1")
    s.kill(signal.SIGTERM)
    assert s.status() == 143
    assert sigs(d, "app") == ["SIGUSR1", "SIGTERM"]
    if mode == "setsid":
        wait_sig(d, "worker", "SIGTERM")
        assert set(sigs(d, "worker")) == {"SIGUSR1", "SIGTERM"}
    else:
        time.sleep(QUIET)
        assert sigs(d, "worker") == [], "single-child mode: only the child is signalled"


@pytest.mark.timeout(20)
@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("mode", list(SINGLE_CHILD_MODES))
def test_dumb_init_child_session(tools, scenario, impl, mode):
    args, env = SINGLE_CHILD_MODES[mode]
    s = scenario([tool(tools, "dumb-init", impl)] + args + ["--"] + sigrec(), env=env)
    wait_ready(s.dir, "app")
    me = info(s.dir, "app")
    if mode == "setsid":
        assert me["sid"] == me["pid"], "setsid mode: the child leads a new session"
        assert me["pgid"] == me["pid"]
    else:
        assert me["sid"] != me["pid"], "single-child mode: no new session"


@pytest.mark.timeout(20)
@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("mode", ["setsid", "-c"])
def test_dumb_init_group_gets_sigterm_when_child_exits(tools, scenario, impl, mode):
    args = ["-c"] if mode == "-c" else []
    s = scenario([tool(tools, "dumb-init", impl)] + args
                 + ["--", "sh", HELPERS / "group_exit.sh", DIR, PYTHON], nested=True)
    d = s.dir
    wait_ready(d, "worker")
    (d / "go").touch()
    assert s.status() == 3
    if mode == "setsid":
        wait_sig(d, "worker", "SIGTERM")
        assert sigs(d, "worker") == ["SIGTERM"]
    else:
        time.sleep(QUIET)
        assert sigs(d, "worker") == []


@pytest.mark.timeout(20)
@pytest.mark.parametrize("impl", IMPLS)
def test_dumb_init_rewrite_applies_to_the_exit_sigterm(tools, scenario, impl):
    # dumb-init sends its goodbye SIGTERM through the rewrite table too:
    # with -r 15:10 the processes left get SIGUSR1 instead.
    s = scenario([tool(tools, "dumb-init", impl), "-r", "15:10",
                  "--", "sh", HELPERS / "group_exit.sh", DIR, PYTHON], nested=True)
    d = s.dir
    wait_ready(d, "worker")
    (d / "go").touch()
    assert s.status() == 3
    wait_sig(d, "worker", "SIGUSR1", timeout=5)
    assert sigs(d, "worker") == ["SIGUSR1"]


# ---- dumb-init: -r / --rewrite --------------------------------------------------

@pytest.mark.timeout(20)
@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("args", [["-r", "15:10"], ["--rewrite", "15:10"], ["--rewrite=15:10"]],
                         ids=lambda a: " ".join(a))
def test_dumb_init_rewrite_term_to_usr1(tools, scenario, impl, args):
    s = scenario([tool(tools, "dumb-init", impl)] + args + ["--"]
                 + sigrec(die_on=["SIGUSR1"], worker=True), nested=True)
    d = s.dir
    wait_ready(d, "app")
    s.kill(signal.SIGTERM)
    assert s.status() == 128 + signal.SIGUSR1
    assert sigs(d, "app") == ["SIGUSR1"]
    wait_sig(d, "worker", "SIGUSR1")
    assert sigs(d, "worker")[0] == "SIGUSR1", "the group gets the rewritten signal"


@pytest.mark.timeout(20)
@pytest.mark.parametrize("impl", IMPLS)
def test_dumb_init_rewrite_to_0_drops_the_signal(tools, scenario, impl):
    s = scenario([tool(tools, "dumb-init", impl), "-r", "10:0", "--"]
                 + sigrec(worker=True), nested=True)
    d = s.dir
    wait_ready(d, "app")
    s.kill(signal.SIGUSR1)
    time.sleep(0.2)
    s.kill(signal.SIGUSR2)  # a marker sent after it
    wait_sig(d, "app", "SIGUSR2")
    wait_sig(d, "worker", "SIGUSR2")
    time.sleep(QUIET)
    assert sigs(d, "app") == ["SIGUSR2"]
    assert sigs(d, "worker") == ["SIGUSR2"]
    assert state(s.init_pid) not in (None, "Z"), "a dropped signal must not end the init"


@pytest.mark.timeout(20)
@pytest.mark.parametrize("impl", IMPLS)
def test_dumb_init_rewrite_is_repeatable(tools, scenario, impl):
    s = scenario([tool(tools, "dumb-init", impl), "-r", "10:12", "-r", "12:10", "--"]
                 + sigrec(), nested=True)
    d = s.dir
    wait_ready(d, "app")
    s.kill(signal.SIGUSR1)
    wait_sig(d, "app", "SIGUSR2")
    s.kill(signal.SIGUSR2)
    wait_sig(d, "app", "SIGUSR1")
    assert sigs(d, "app") == ["SIGUSR2", "SIGUSR1"]


# ---- dumb-init: job control in setsid mode -------------------------------------

@pytest.mark.timeout(20)
@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("sig", ["SIGTSTP", "SIGTTIN", "SIGTTOU"])
def test_dumb_init_job_control_stops_the_group_and_itself(tools, scenario, impl, sig):
    # Nested: the kernel ignores a SIGSTOP that a namespace's PID 1 sends
    # itself, so the self-suspension is only visible when not PID 1.
    s = scenario([tool(tools, "dumb-init", impl), "--"] + sigrec(worker=True), nested=True)
    d = s.dir
    wait_ready(d, "app")
    init, app = s.init_pid, s.app_pid()
    worker = wait_for(lambda: (children(app) or [None])[0], timeout=10)
    s.kill(getattr(signal, sig))
    for pid, who in ((app, "child"), (worker, "worker"), (init, "init")):
        assert wait_for(lambda: state(pid) == "T", timeout=10), f"the {who} did not stop"
    os.kill(init, signal.SIGCONT)
    wait_sig(d, "app", "SIGCONT")
    wait_sig(d, "worker", "SIGCONT")
    for pid, who in ((app, "child"), (worker, "worker"), (init, "init")):
        assert wait_for(lambda: state(pid) not in ("T", None), timeout=10), \
            f"the {who} did not resume"


@pytest.mark.timeout(20)
@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("args,sig,init_stops", [
    (["-c"], "SIGTSTP", True),
    (["-r", "20:0"], "SIGTSTP", True),
    (["-r", "10:19"], "SIGUSR1", False),
], ids=["-c TSTP", "-r 20:0 TSTP", "-r 10:19 USR1"])
def test_dumb_init_stops_itself_on_tty_signals_only(tools, scenario, impl, args, sig, init_stops):
    # dumb-init suspends itself when the signal it *received* is SIGTSTP,
    # SIGTTIN or SIGTTOU, in either mode and whatever it was rewritten to;
    # a signal rewritten to SIGSTOP stops the group but not dumb-init.
    s = scenario([tool(tools, "dumb-init", impl)] + args + ["--"] + sigrec(), nested=True)
    wait_ready(s.dir, "app")
    init = s.init_pid
    s.kill(getattr(signal, sig))
    if init_stops:
        assert wait_for(lambda: state(init) == "T", timeout=10), "the init did not stop"
        os.kill(init, signal.SIGCONT)
        assert wait_for(lambda: state(init) not in ("T", None), timeout=10)
    else:
        app = s.app_pid()
        assert wait_for(lambda: state(app) == "T", timeout=10), "the child did not stop"
        time.sleep(QUIET)
        assert state(init) not in ("T", None), "the init stopped itself"


# ---- dumb-init: working directories --------------------------------------------

@pytest.mark.timeout(20)
@pytest.mark.parametrize("impl", IMPLS)
def test_dumb_init_chdirs_to_root_child_keeps_cwd(tools, scenario, tmp_path, impl):
    cwd = tmp_path / "work dir"
    cwd.mkdir()
    s = scenario([tool(tools, "dumb-init", impl), "--"] + sigrec(), cwd=cwd)
    wait_ready(s.dir, "app")
    assert info(s.dir, "app")["cwd"] == str(cwd)
    assert os.readlink(f"/proc/{s.app_pid()}/cwd") == str(cwd)
    assert os.readlink(f"/proc/{s.init_pid}/cwd") == "/", \
        "dumb-init chdirs to / (so it keeps no directory busy)"


# ---- cross-personality flags ------------------------------------------------------

@pytest.mark.timeout(20)
@pytest.mark.parametrize("name,args,script,expected", [
    ("tini", ["-c", "-r", "10:12"], "exit 0", 0),
    ("tini", ["--single-child", "--rewrite", "15:10", "--verbose"], "exit 5", 5),
    ("docker-init", ["-c", "-r", "10:0"], "exit 6", 6),
    ("dumb-init", ["-s", "-w", "-g", "-p", "SIGKILL", "-e", "5"], "exit 5", 0),
    ("capinit", ["-c", "-r", "15:10", "-s", "-e", "5"], "exit 5", 0),
])
def test_other_tools_flags_accepted_in_every_personality(tools, name, args, script, expected):
    r = run([tools[name]["capinit"]] + args + ["--", "sh", "-c", script])
    assert r.returncode == expected, r.stderr


# ---- the capability spec in every personality --------------------------------

@pytest.mark.timeout(20)
@pytest.mark.parametrize("name", ["tini", "tini-static", "docker-init", "dumb-init"])
def test_cap_drop_all_under_every_name(tools, name):
    r = run([tools[name]["capinit"], "--", "sh", "-c", "grep ^Cap /proc/self/status"],
            env={"CAPINIT_CAP_DROP": "ALL"})
    assert r.returncode == 0, r.stderr
    caps = status_fields(r.stdout)
    assert int(caps["CapEff"], 16) == 0
    assert int(caps["CapPrm"], 16) == 0
    assert int(caps["CapBnd"], 16) == 0


@pytest.mark.timeout(20)
@pytest.mark.parametrize("env", [
    {"CAPINIT_CAP_DROP": "NET_RAWW"},
    {"CAPINIT_CAP_DROP": "ALL,17"},
    {"CAPINIT_CAP_DORP": "ALL"},  # a typo must not leave capabilities in place
], ids=["unknown-name", "number", "typo-variable"])
@pytest.mark.parametrize("name", ["capinit"] + TINI_NAMES + ["dumb-init"])
def test_bad_cap_spec_exits_2_under_every_name(tools, tmp_path, name, env):
    marker = tmp_path / "ran"
    r = run([tools[name]["capinit"], "--", "touch", marker], env=env)
    assert r.returncode == 2
    assert next(iter(env)) in r.stderr
    assert not marker.exists()


# ---- issue 9: texts each original prints where tools read them ---------------

SUBREAPER_PROXY = (
    # Makes itself a subreaper, then execs the init: what tini's own
    # subreaper-proxy.py does (prctl from Debian's python3-prctl).
    "import os, sys, prctl; prctl.set_child_subreaper(1); os.execv(sys.argv[1], sys.argv[1:])")


def docker_parse_init_version(out):
    """moby's parseInitVersion, restated: (version, commit); both empty means
    Docker logs 'unknown output format'."""
    parts = out.strip().split(" - ")
    commit = ""
    if len(parts) >= 2:
        git = parts[1].split(".")
        if len(git) == 2 and git[0] == "git":
            commit = git[1]
    version = parts[0][len("tini version "):] if parts[0].startswith("tini version ") else ""
    return version, commit


@pytest.mark.timeout(20)
@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("name", TINI_NAMES)
def test_tini_version_parses_as_docker_reads_it(tools, impl, name):
    r = subprocess.run([tool(tools, name, impl), "--version"], capture_output=True, text=True,
                       timeout=10)
    assert r.returncode == 0
    version, commit = docker_parse_init_version(r.stdout)
    assert version or commit, r.stdout  # Debian's tini prints no git part
    if impl == "capinit":
        assert version.startswith("0.19.0") and commit, r.stdout
        assert "capinit" in r.stdout, "the line must say what runs"


@pytest.mark.timeout(20)
@pytest.mark.parametrize("impl", IMPLS)
def test_tini_w_line_as_tini_prints_it(tools, scenario, impl):
    s = scenario([tool(tools, "tini", impl), "-w", "--", "sh", HELPERS / "reap_orphan.sh", DIR])
    assert s.status() == 0
    assert "Reaped zombie process with pid=" in s.stderr, s.stderr


@pytest.mark.timeout(20)
@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("proxied", [True, False], ids=["parent made it a subreaper", "plain"])
def test_tini_no_subreaper_warning_when_parent_made_it_one(tools, scenario, impl, proxied):
    init = [tool(tools, "tini", impl), "--", "sh", "-c", "exit 3"]
    argv = [PYTHON, "-c", SUBREAPER_PROXY] + init if proxied else init
    s = scenario(argv, nested=True)
    assert s.status() == 3
    if proxied:
        assert s.stderr == "", "already a subreaper: nothing to warn about"
    else:
        assert "zombie reaping won't work" in s.stderr, s.stderr


@pytest.mark.timeout(20)
@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("pair,ok", [("31:1", True), ("1:31", True), ("1:32", False),
                                     ("32:1", False), ("34:15", False), ("0:1", False)])
def test_dumb_init_rewrite_takes_1_to_31(tools, impl, pair, ok):
    r = run([tool(tools, "dumb-init", impl), "-r", pair, "true"])
    if ok:
        assert r.returncode == 0, r.stderr
    else:
        assert r.returncode == 1
        assert r.stderr == ("Usage: -r option takes <signum>:<signum>, where <signum> is "
                            "between 1 and 31.\nThis option can be specified multiple times.\n"
                            "Use --help for full usage.\n")


@pytest.mark.timeout(20)
def test_capinit_rewrite_takes_1_to_64_under_its_own_name(tools):
    r = run([tools["capinit"]["capinit"], "-r", "64:34", "-r", "34:0", "true"])
    assert r.returncode == 0, r.stderr
    r = run([tools["capinit"]["capinit"], "-r", "65:1", "true"])
    assert r.returncode == 2 and r.stderr.startswith("capinit: "), r.stderr


@pytest.mark.timeout(20)
@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("args", [["-v"], ["-v", "-c"]], ids=["setsid", "single-child"])
def test_dumb_init_verbose_lines(tools, scenario, impl, args):
    s = scenario([tool(tools, "dumb-init", impl)] + args + ["sh", "-c", "exit 3"], nested=True)
    assert s.status() == 3
    # Without a terminal the real dumb-init also reports its failed tty
    # detach/attach; capinit does not try without one.
    lines = [re.sub(r"[0-9]+", "N", line) for line in s.stderr.splitlines()
             if "controlling tty" not in line]
    expected = ["[dumb-init] Child spawned with PID N.",
                "[dumb-init] Received signal N.",
                "[dumb-init] A child with PID N exited with exit status N.",
                "[dumb-init] Forwarded signal N to children.",
                "[dumb-init] Child exited with status N. Goodbye."]
    if "-c" not in args:
        assert "[dumb-init] setsid complete." in lines  # from the child: any place
        lines.remove("[dumb-init] setsid complete.")
    assert lines == expected, s.stderr


@pytest.mark.timeout(20)
@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("args,expected", [
    ([], "Usage: dumb-init [option] program [args]\nTry dumb-init --help for full usage.\n"),
    (["--yolo", "true"], "dumb-init: unrecognized option '--yolo'\n"),
])
def test_dumb_init_usage_errors_word_for_word(tools, impl, args, expected):
    path = tool(tools, "dumb-init", impl)
    r = run([path] + args)
    assert r.returncode == 1
    # The real one names itself by its argv[0]: here a path.
    assert r.stderr.replace(path, "dumb-init") == expected


@pytest.mark.timeout(20)
@pytest.mark.parametrize("impl", IMPLS)
def test_dumb_init_help_after_its_version_line(tools, impl):
    path = tool(tools, "dumb-init", impl)
    r = run([path, "--help"])
    assert r.returncode == 0 and r.stdout == ""
    first, rest = r.stderr.replace(path, "dumb-init").split("\n", 1)
    assert first.startswith("dumb-init v1.2.5")
    if impl == "capinit":
        assert "capinit" in first
    assert rest.startswith("Usage: dumb-init [option] command [[arg] ...]\n")
    assert "   -r, --rewrite s:r    Rewrite received signal s to new signal r" in rest
