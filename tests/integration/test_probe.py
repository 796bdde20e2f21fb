"""capinit --probe with real programs: as PID 1 of a PID namespace (the
host's set, 40 candidates here), not as PID 1 (subreaper mode), and inside
a runc container with Docker's default 14.

Each case asserts the set found (from --probe-json, names in capability
order), that the search stayed within the SPEC's bounds (2 + k·(1 +
ceil(log2 n)) search trials for k needed of n: 7 for one of 14, 9 for one
of 41, 12 for two of 14; confirming trials and repeats not counted), and
that every trial's processes were gone before the next started.
"""
import json
import math
import os
import shutil
import subprocess
import sys
import importlib.util
from pathlib import Path

import pytest

from conftest import HELPERS, _compile, run_pid1

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from probe_schema import check as schema_check  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
BUSYBOX = shutil.which("busybox") or "/bin/busybox"

pytestmark = [pytest.mark.skipif(os.geteuid() != 0, reason="--probe tests need root"),
              pytest.mark.timeout(180)]


def host_candidates():
    """What capinit as root here is handed: permitted ∩ bounding, by name."""
    fields = dict(l.split(":", 1) for l in Path("/proc/self/status").read_text().splitlines()
                  if ":" in l)
    mask = int(fields["CapPrm"], 16) & int(fields["CapBnd"], 16)
    return mask


def search_bound(k, n):
    return 2 + k * (1 + math.ceil(math.log2(n))) if n > 1 else 2 + k * 2


def count_bits(m):
    return bin(m).count("1")


@pytest.fixture(scope="module")
def helpers(tmp_path_factory):
    out = tmp_path_factory.mktemp("probe-helpers")
    _compile(HELPERS / "rawsock.c", out / "rawsock")
    return {"rawsock": str(out / "rawsock")}


@pytest.fixture
def www():
    """A directory any user can read (pytest's own are root-only)."""
    import tempfile
    d = Path(tempfile.mkdtemp(prefix="capinit-probe-www-"))
    os.chmod(d, 0o755)
    (d / "index.html").write_text("hello\n")
    os.chmod(d / "index.html", 0o644)
    yield d
    shutil.rmtree(d)


@pytest.fixture
def work(tmp_path):
    """A root-owned 0700 directory: root reaches it without DAC capabilities,
    and nothing in it is sticky (a chowned file can still be removed)."""
    os.chmod(tmp_path, 0o700)
    return tmp_path


def probe(capinit, args, env=None, prefix=(), timeout=120):
    """capinit --probe --probe-json ARGS as PID 1; (CompletedProcess, json or None).
    Every JSON object is checked against docs/probe-schema.json and the
    checks a schema cannot make (tests/unit/probe_schema.py)."""
    r = run_pid1([capinit, "--probe", "--probe-json"] + list(args), env=env, prefix=prefix,
                 timeout=timeout)
    data = None
    if r.stdout.strip():
        data = json.loads(r.stdout)
        schema_check(data)
    return r, data


def trial_lines(stderr):
    return [l for l in stderr.splitlines() if l.startswith("capinit: probe trial ")]


def search_trials(stderr):
    return sum(1 for l in trial_lines(stderr) if "(search)" in l)


def check_found(r, data, needed, n):
    """Exit 0, exactly `needed`, within the bound, every run listed."""
    assert r.returncode == 0, r.stderr
    assert data["needed"] == needed, r.stderr
    assert len(data["candidates"]) == n
    k = len(needed)
    found = search_trials(r.stderr)
    assert found <= search_bound(k, n), r.stderr
    # --probe-json lists every run, repeats included, as stderr did.
    assert len(data["trials"]) == len(trial_lines(r.stderr))
    assert data["trials"][0]["set"] == data["candidates"]
    final = [t for t in data["trials"] if t["set"] == needed]
    assert final and all(t["works"] for t in final[-2:])
    # Each member shown necessary by a failed trial of exactly needed − member.
    for name in needed:
        rest = [c for c in needed if c != name]
        assert any(t["set"] == rest and not t["works"] for t in data["trials"]), name
        assert data["evidence"][name]["trial"] >= 1
    print(r.stderr)
    return found


# ---- as PID 1, the host's set ----------------------------------------------------------

def test_needs_none(capinit):
    n = count_bits(host_candidates())
    r, data = probe(capinit, ["--", "true"])
    assert check_found(r, data, [], n) == 2
    assert [t["works"] for t in data["trials"]] == [True, True, True, True]
    assert all(t["exit"] == 0 for t in data["trials"])


def test_chown_needs_chown(capinit, work):
    f = work / "f"
    script = 'touch "$1" && chown 1234 "$1"; r=$?; rm -f "$1"; exit $r'
    n = count_bits(host_candidates())
    r, data = probe(capinit, ["--", "sh", "-c", script, "sh", str(f)])
    check_found(r, data, ["CHOWN"], n)


def test_raw_socket_needs_net_raw(capinit, helpers):
    n = count_bits(host_candidates())
    r, data = probe(capinit, ["--", helpers["rawsock"]])
    check_found(r, data, ["NET_RAW"], n)


def test_reading_anothers_file_keeps_dac_read_search(capinit, work):
    """Either DAC_OVERRIDE or DAC_READ_SEARCH lets root read it: the
    narrower is kept."""
    secret = work / "secret"
    secret.write_text("s3cret\n")
    os.chown(secret, 1234, 1234)
    os.chmod(secret, 0o400)
    n = count_bits(host_candidates())
    r, data = probe(capinit, ["--", "cat", str(secret)])
    check_found(r, data, ["DAC_READ_SEARCH"], n)
    # The app's output is the trials' evidence, never mixed into the result.
    assert data["trials"][0]["last_line"] == "s3cret"


def test_two_needed(capinit, work, helpers):
    f = work / "f"
    script = 'touch "$1" && chown 1234 "$1" && rm -f "$1" && exec "$2"'
    n = count_bits(host_candidates())
    r, data = probe(capinit, ["--", "sh", "-c", script, "sh", str(f), helpers["rawsock"]])
    check_found(r, data, ["CHOWN", "NET_RAW"], n)


def test_web_server_as_non_root_user(capinit, www):
    """busybox httpd on port 80 as nobody, judged by --probe-port, in a
    private network namespace (unprivileged ports start at 1024 there)."""
    n = count_bits(host_candidates())
    r, data = probe(capinit, ["--probe-port=80", "--probe-timeout=3", "--user=65534:65534",
                              "--", BUSYBOX, "httpd", "-f", "-p", "80", "-h", str(www)],
                    prefix=["unshare", "-n"])
    check_found(r, data, ["NET_BIND_SERVICE"], n)
    # A server never exits: a passing trial is one still running.
    assert all(t["exit"] is None for t in data["trials"] if t["works"])


def test_web_server_human_output(capinit, www):
    """The lines to paste, with what capinit itself needs for the switch."""
    r = run_pid1([capinit, "--probe", "--probe-port=80", "--probe-timeout=3",
                  "--user=65534:65534", "--", BUSYBOX, "httpd", "-f", "-p", "80", "-h",
                  str(www)], prefix=["unshare", "-n"], timeout=120)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    print(out)
    assert out.startswith("needed: NET_BIND_SERVICE\n")
    assert "ENV CAPINIT_CAP_DROP=ALL CAPINIT_CAP_ADD=NET_BIND_SERVICE CAPINIT_USER=65534:65534" \
        in out
    assert ("docker run --cap-drop=ALL --cap-add=KILL --cap-add=SETGID --cap-add=SETUID "
            "--cap-add=SETPCAP --cap-add=NET_BIND_SERVICE") in out
    assert "add: [KILL, SETGID, SETUID, SETPCAP, NET_BIND_SERVICE]" in out
    assert "drop: [ALL]" in out


def test_check_command(capinit, www):
    """--probe-check: a wget of the page, retried while the server starts
    (lo is brought up before capinit starts)."""
    check = "%s wget -q -O- http://127.0.0.1:80/index.html | grep -q hello" % BUSYBOX
    lo_up = ["unshare", "-n", "sh", "-c", '%s ip link set lo up && exec "$@"' % BUSYBOX, "sh"]
    n = count_bits(host_candidates())
    r, data = probe(capinit, ["--probe-check=" + check, "--probe-timeout=3",
                              "--user=65534:65534", "--", BUSYBOX, "httpd", "-f", "-p", "80",
                              "-h", str(www)], prefix=lo_up)
    check_found(r, data, ["NET_BIND_SERVICE"], n)
    assert "passed the check" in r.stderr


def test_never_works(capinit):
    r, data = probe(capinit, ["--", "false"])
    assert r.returncode == 1, r.stderr
    assert data["needed"] is None and data["outcome"] == "none"
    # Trial 1 had SYS_ADMIN (host root), so no user-namespace guard: no
    # second trial with user namespaces allowed is needed.
    assert len(data["trials"]) == 1 and not data["trials"][0]["works"]
    assert data["trials"][0]["exit"] == 1
    assert "does not work even with every candidate" in r.stderr


def test_timeout_is_a_failure_and_the_app_is_killed(capinit):
    r = run_pid1([capinit, "--probe", "--probe-timeout=1", "--", "sleep", "100"], timeout=60)
    assert r.returncode == 1, r.stderr
    assert "was still running after 1.000 s" in r.stderr


def test_command_not_found(capinit):
    r, data = probe(capinit, ["--", "/nonexistent/app"])
    assert r.returncode == 1
    assert data["trials"][0]["exit"] == 127
    assert "could not be executed" in r.stderr


def test_probe_within_a_narrower_set(capinit, work):
    """With CAPINIT_CAP_DROP/ADD set too, the candidates are B'."""
    f = work / "f"
    script = 'touch "$1" && chown 1234 "$1"; r=$?; rm -f "$1"; exit $r'
    r, data = probe(capinit, ["--", "sh", "-c", script, "sh", str(f)],
                    env={"CAPINIT_CAP_DROP": "ALL", "CAPINIT_CAP_ADD": "CHOWN,KILL,NET_RAW"})
    check_found(r, data, ["CHOWN"], 3)
    assert data["candidates"] == ["CHOWN", "KILL", "NET_RAW"]


def test_variables_instead_of_flags(capinit):
    r = run_pid1([capinit, "true"], env={"CAPINIT_PROBE": "1", "CAPINIT_PROBE_JSON": "1",
                                         "CAPINIT_PROBE_REPEAT": "3"}, timeout=60)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["needed"] == [] and len(data["trials"]) == 2 + 3


@pytest.mark.parametrize("args,env,token", [
    (["--probe", "--probe-port=0"], {}, "--probe-port: '0'"),
    (["--probe", "--probe-timeout=soon"], {}, "--probe-timeout: 'soon'"),
    (["--probe", "--probe-repeat=0"], {}, "--probe-repeat: '0'"),
    (["--probe", "--probe-check="], {}, "--probe-check: empty"),
    (["--probe=yes"], {}, "--probe takes no value"),
    ([], {"CAPINIT_PROBE": "maybe"}, "CAPINIT_PROBE: 'maybe'"),
    ([], {"CAPINIT_PROBE": "1", "CAPINIT_PROBE_PORT": "http"}, "CAPINIT_PROBE_PORT: 'http'"),
    ([], {"CAPINIT_PROBE_TIMOUT": "3"}, "CAPINIT_PROBE_TIMOUT: unknown variable"),
])
def test_bad_probe_input(capinit, args, env, token):
    r = run_pid1([capinit] + args + ["--", "true"], env=env, timeout=30)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and token in lines[0], r.stderr
    assert r.stdout == ""


@pytest.mark.parametrize("drop,why", [
    ("cap_setuid", "CAP_SETUID"),
    ("cap_kill,cap_sys_admin", "without CAP_KILL capinit could not end them"),
])
def test_cannot_run_here(capinit, drop, why):
    """Trials as another user need SETUID to switch, and in place (no
    SYS_ADMIN for a sandbox) KILL to end them: without, trials cannot be
    run here (125), and none is started."""
    capsh = shutil.which("capsh")
    if capsh is None:
        pytest.skip("capsh (libcap2-bin) is not installed")
    r = run_pid1([capsh, "--drop=" + drop, "--", "-c", 'exec "$@"', "x", capinit,
                  "--probe", "--user=65534:65534", "--", "true"], timeout=30)
    assert r.returncode == 125, r.stderr
    assert why in r.stderr
    assert "probe trial" not in r.stderr


# ---- inside a runc container with Docker's default set -----------------------------------

def _load_oci():
    name = "capinit_container_oci"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO / "tests" / "container" / "oci.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def probe_rootfs(tmp_path_factory, helpers):
    oci = _load_oci()
    if shutil.which(oci.RUNC) is None:
        pytest.fail("runc is not installed (CI installs Debian's runc package)")
    root = oci.build_rootfs(tmp_path_factory.mktemp("probe-rootfs"))
    # A FROM-scratch root has no dynamic loader.
    oci.require_static(Path(helpers["rawsock"]), "the rawsock helper")
    shutil.copy(helpers["rawsock"], root / "rawsock")
    os.chmod(root / "rawsock", 0o755)
    secret = root / "secret"
    secret.write_text("s3cret\n")
    os.chown(secret, 1234, 1234)
    os.chmod(secret, 0o400)
    www = root / "www"
    www.mkdir()
    (www / "index.html").write_text("hello\n")
    return root


def run_in_container(rootfs, tmp_path, args, env=None):
    oci = _load_oci()
    tmpfs = {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "nodev", "mode=1777"]}
    b = oci.Bundle(tmp_path / "bundle", rootfs, ["/capinit", "--probe", "--probe-json"] + args,
                   dict(env or {}), mounts=[tmpfs])
    res = b.run(timeout=150)
    data = json.loads(res.stdout) if res.stdout.strip() else None
    return subprocess.CompletedProcess(args, res.status, res.stdout, res.stderr), data


DOCKER_N = 14


def test_container_web_server_as_app(probe_rootfs, tmp_path):
    r, data = run_in_container(probe_rootfs, tmp_path,
                               ["-v", "--probe-port=80", "--probe-timeout=3", "--user=app", "--",
                                "/bin/httpd", "-f", "-p", "80", "-h", "/www"])
    assert check_found(r, data, ["NET_BIND_SERVICE"], DOCKER_N) <= 7


def test_container_chown(probe_rootfs, tmp_path):
    script = 'touch /tmp/f && chown 1234 /tmp/f; r=$?; rm -f /tmp/f; exit $r'
    r, data = run_in_container(probe_rootfs, tmp_path, ["--", "/bin/sh", "-c", script])
    assert check_found(r, data, ["CHOWN"], DOCKER_N) <= 7


def test_container_raw_socket(probe_rootfs, tmp_path):
    r, data = run_in_container(probe_rootfs, tmp_path, ["--", "/rawsock"])
    assert check_found(r, data, ["NET_RAW"], DOCKER_N) <= 7


def test_container_read_owner_only_file(probe_rootfs, tmp_path):
    """Docker's set has DAC_OVERRIDE but not DAC_READ_SEARCH, so the
    narrower alternative is not a candidate here."""
    r, data = run_in_container(probe_rootfs, tmp_path, ["--", "/bin/cat", "/secret"])
    assert check_found(r, data, ["DAC_OVERRIDE"], DOCKER_N) <= 7


def test_container_two_needed(probe_rootfs, tmp_path):
    script = 'touch /tmp/f && chown 1234 /tmp/f && rm -f /tmp/f && exec /rawsock'
    r, data = run_in_container(probe_rootfs, tmp_path, ["--", "/bin/sh", "-c", script])
    assert check_found(r, data, ["CHOWN", "NET_RAW"], DOCKER_N) <= 12


def test_container_needs_none(probe_rootfs, tmp_path):
    r, data = run_in_container(probe_rootfs, tmp_path, ["--", "/bin/true"])
    assert check_found(r, data, [], DOCKER_N) == 2


def test_container_never_works(probe_rootfs, tmp_path):
    r, data = run_in_container(probe_rootfs, tmp_path, ["--", "/bin/false"])
    assert r.returncode == 1, r.stderr
    assert data["needed"] is None and data["trials"][0]["kind"] == "search"


def test_container_variables(probe_rootfs, tmp_path):
    """An image whose ENTRYPOINT is capinit is probed through the environment."""
    oci = _load_oci()
    b = oci.Bundle(tmp_path / "bundle", probe_rootfs, ["/capinit", "/rawsock"],
                   {"CAPINIT_PROBE": "1", "CAPINIT_PROBE_JSON": "1"})
    res = b.run(timeout=150)
    assert res.status == 0, res.describe()
    assert json.loads(res.stdout)["needed"] == ["NET_RAW"]


def test_sigterm_stops_the_probe(capinit, pid1):
    """docker stop during a probe: the running trial is killed, no result,
    exit 128+15 (the trial's own timeout, 600 s, is far beyond the wait)."""
    import signal
    import time
    p = pid1([capinit, "--probe", "--probe-timeout=600", "--", "sleep", "1000"])
    p.init_pid
    time.sleep(1.0)  # the first trial runs (in its own namespaces)
    p.kill(signal.SIGTERM)
    assert p.wait(timeout=60) == 128 + signal.SIGTERM, p.stderr
    assert "stopped by signal 15" in p.stderr
    assert p.stdout == ""


def test_flaky_app_is_not_under_granted(capinit, work):
    """An app that needs CHOWN only on every other run (a counter in a file):
    a single pass would settle on too little; a failing repeat makes the
    probe redo the search with every pass confirmed, and CHOWN is kept."""
    n, f = work / "n", work / "f"
    n.write_text("0\n")
    script = ('k=$(cat "$1"); echo $((k + 1)) > "$1"; [ $((k % 2)) = 0 ] && exit 0; '
              'touch "$2" && chown 1234 "$2"; r=$?; rm -f "$2"; exit $r')
    # In place (no SYS_ADMIN for a sandbox), where files persist: the
    # counter must survive from trial to trial for the app to be flaky.
    r = run_pid1(["capsh", "--drop=cap_sys_admin", "--", "-c", 'exec "$@"', "x", capinit,
                  "--probe", "--cap-drop=ALL", "--cap-add=CHOWN,KILL,NET_RAW,FOWNER",
                  "--", "sh", "-c", script, "sh", str(n), str(f)], timeout=120)
    assert r.returncode in (0, 1), r.stderr
    if r.returncode == 0:
        assert r.stdout.startswith("needed: CHOWN\n"), r.stdout + r.stderr
    assert "redone with every pass confirmed" in r.stdout or "failed later" in r.stderr
