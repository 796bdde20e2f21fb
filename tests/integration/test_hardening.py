"""capinit's own hardening (SPEC "Hardening of capinit itself", and the
terminal rule of "Supervision"): each test reproduces one finding of the
security review and shows it closed, reading what the kernel says.
"""
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from conftest import BASE_ENV, make_env, run_pid1, status_fields, wait_for

PY = "/usr/bin/python3"
CAPSH = shutil.which("capsh") or "/usr/sbin/capsh"
SETPRIV = shutil.which("setpriv") or "/usr/bin/setpriv"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
KILL, SETPCAP, NET_BIND_SERVICE = 1 << 5, 1 << 8, 1 << 10


# ---- the caller's terminal (TIOCSTI) -------------------------------------------

# The app: tries to push a byte into its stdin terminal, reports whether that
# worked and whether it has a controlling terminal, then waits for Ctrl-C.
TIOCSTI_APP = r"""
import fcntl, os, signal, sys, termios
out = sys.argv[1]
try:
    fcntl.ioctl(0, termios.TIOCSTI, b"X")
    result = "injected"
except OSError as e:
    result = "refused-%d" % e.errno
tty_nr = int(open("/proc/self/stat").read().rsplit(")", 1)[1].split()[4])
with open(out + ".tmp", "w") as f:
    f.write("%s %d\n" % (result, tty_nr))
os.rename(out + ".tmp", out)
try:
    signal.pause()
except KeyboardInterrupt:
    sys.exit(9)
"""

# The caller: an interactive shell in miniature. It leads the terminal's
# session and runs capinit in its own (foreground) process group, ignoring
# SIGINT itself as a shell does while a job runs.
SHELL_LIKE = r"""
import fcntl, os, signal, subprocess, sys, termios
os.setsid()
fcntl.ioctl(0, termios.TIOCSCTTY, 0)
signal.signal(signal.SIGINT, signal.SIG_IGN)
sys.exit(subprocess.call(sys.argv[1:]))
"""


def run_from_interactive_shell(capinit, shared_dir, env):
    master, slave = os.openpty()
    out = shared_dir / "tiocsti"
    try:
        p = subprocess.Popen([PY, "-c", SHELL_LIKE, capinit, PY, "-c", TIOCSTI_APP, str(out)],
                             stdin=slave, stdout=slave, stderr=slave, env=make_env(env))
        os.close(slave)
        slave = None
        assert wait_for(out.exists, timeout=15), "the app did not report"
        result, tty_nr = out.read_text().split()
        os.write(master, b"\x03")  # Ctrl-C on the caller's terminal
        rc = p.wait(timeout=15)
        return result, int(tty_nr), rc
    finally:
        if slave is not None:
            os.close(slave)
        os.close(master)


@pytest.mark.timeout(40)
def test_less_privileged_app_cannot_push_input_into_the_callers_terminal(capinit, shared_dir):
    result, tty_nr, rc = run_from_interactive_shell(
        capinit, shared_dir, {"CAPINIT_CAP_DROP": "ALL", "CAPINIT_USER": "65534:65534"})
    assert result == "refused-1", f"the app (uid 65534) could TIOCSTI the caller's terminal: {result}"
    assert tty_nr == 0, "the app kept the caller's terminal as its controlling terminal"
    assert rc == 9, f"Ctrl-C did not reach the app through capinit (exit {rc})"


@pytest.mark.timeout(40)
def test_app_as_privileged_as_the_caller_keeps_the_terminal(capinit, shared_dir):
    """The control: with nothing taken away the app is the caller's equal,
    and gets the terminal in the foreground as before."""
    result, tty_nr, rc = run_from_interactive_shell(capinit, shared_dir, {})
    assert result == "injected" and tty_nr != 0
    assert rc == 9


# ---- PID 1 cannot be ptraced or read -----------------------------------------

@pytest.mark.timeout(30)
def test_root_app_holding_pid1s_capabilities_cannot_read_its_environ_or_fds(capinit):
    script = ("cat /proc/1/environ >/dev/null 2>&1 && echo environ-read; "
              "readlink /proc/1/fd/0 >/dev/null 2>&1 && echo fd-read; "
              "grep -q CapEff /proc/1/status && echo status-ok; "
              "cat /proc/self/environ >/dev/null && echo own-ok")
    r = run_pid1([capinit, "--", "sh", "-c", script],
                 env={"CAPINIT_CAP_DROP": "ALL", "CAPINIT_CAP_ADD": "KILL", "SECRET": "x"})
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["status-ok", "own-ok"], r.stdout


@pytest.mark.timeout(30)
def test_root_app_cannot_ptrace_pid1(capinit):
    attach = ("import ctypes, sys; libc = ctypes.CDLL(None, use_errno=True); "
              "r = libc.ptrace(16, 1, 0, 0); "  # PTRACE_ATTACH
              "print('attached' if r == 0 else 'refused-%d' % ctypes.get_errno())")
    r = run_pid1([capinit, "--", PY, "-c", attach],
                 env={"CAPINIT_CAP_DROP": "ALL", "CAPINIT_CAP_ADD": "KILL"})
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "refused-1", r.stdout


@pytest.mark.timeout(30)
def test_adding_sys_ptrace_is_a_warning_and_in_the_plan(capinit):
    env = {"CAPINIT_CAP_DROP": "ALL", "CAPINIT_CAP_ADD": "SYS_PTRACE,KILL"}
    r = run_pid1([capinit, "--", "true"], env=env)
    assert r.returncode == 0
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and "CAP_SYS_PTRACE" in lines[0] and "PID 1" in lines[0], r.stderr
    p = run_pid1([capinit, "--print"], env=env)
    assert "CAP_SYS_PTRACE: the app can attach to capinit" in p.stdout


# ---- the app starts only after PID 1 dropped its privilege -------------------

@pytest.mark.timeout(30)
@pytest.mark.parametrize("env", [{}, {"CAPINIT_CAP_DROP": "ALL", "CAPINIT_CAP_ADD": "NET_BIND_SERVICE"},
                                 {"CAPINIT_USER": "65534:65534"}],
                         ids=["no-spec", "seed", "user"])
def test_app_never_runs_beside_a_privileged_pid1(capinit, env):
    """The app's very first look at PID 1: no capability but KILL (and
    SETPCAP for the moment capinit needs to empty its own bounding set),
    nothing inheritable, no_new_privs set."""
    r = run_pid1([capinit, "--", "grep", "-E", "^(Cap|NoNewPrivs)", "/proc/1/status"], env=env)
    assert r.returncode == 0, r.stderr
    f = status_fields(r.stdout)
    for key in ("CapEff", "CapPrm"):
        assert int(f[key], 16) & ~(KILL | SETPCAP) == 0, f"PID 1 {key} {f[key]} as the app starts"
    assert int(f["CapInh"], 16) == 0 and int(f["CapAmb"], 16) == 0
    assert f["NoNewPrivs"] == "1"


# ---- set-uid, set-gid, file capabilities -------------------------------------

@pytest.mark.timeout(30)
@pytest.mark.parametrize("how", ["setuid", "setgid", "filecap"])
def test_privileged_executable_refuses_to_run(capinit, shared_dir, how):
    copy = shared_dir / "capinit"
    shutil.copy(capinit, copy)
    os.chmod(shared_dir, 0o755)
    if how == "setuid":
        os.chmod(copy, 0o4755)
    elif how == "setgid":
        os.chmod(copy, 0o2755)
    else:
        os.chmod(copy, 0o755)
        subprocess.run(["setcap", "cap_net_bind_service+ep", str(copy)], check=True)
    marker = shared_dir / "ran"
    r = subprocess.run([SETPRIV, "--reuid=65534", "--regid=65534", "--clear-groups", str(copy),
                        "--", "sh", "-c", f"touch {marker}"],
                       env={**BASE_ENV, "CAPINIT_USER": "0:0"}, capture_output=True, text=True,
                       timeout=20)
    assert r.returncode == 125, (r.returncode, r.stderr)
    assert "set-uid, set-gid or with file capabilities" in r.stderr
    assert not marker.exists()


# ---- root semantics by the real uid --------------------------------------------

@pytest.mark.timeout(30)
def test_mixed_user_ids_with_root_among_them_refuse(capinit, tmp_path):
    marker = tmp_path / "ran"
    """Real uid 0, effective 1000: the kernel treats the app as root at
    execve by its real uid. Such an exec is also AT_SECURE, which refuses
    first; the plan's own refusal of mixed ids is unit-tested."""
    r = run_pid1([SETPRIV, "--euid=1000", capinit, "--", "touch", marker])
    assert r.returncode == 125, r.stderr
    assert "set-uid, set-gid or with file capabilities" in r.stderr
    assert not marker.exists()


# ---- securebits ------------------------------------------------------------------

SEED = {"CAPINIT_CAP_DROP": "ALL", "CAPINIT_CAP_ADD": "NET_BIND_SERVICE"}


def with_secbits(bits):
    """capinit started with these securebits. Under SECBIT_NOROOT root gets
    nothing at execve, so a runtime using it hands capabilities over as
    ambient ones: so does this one."""
    caps = "cap_setpcap,cap_kill,cap_net_bind_service,cap_setuid,cap_setgid"
    return [CAPSH, f"--inh={caps}", f"--addamb={caps}", f"--secbits={bits}", "--", "-c",
            'exec "$@"', "capsh-wrapper"]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("bits,env,token", [
    (0x1, SEED, "SECBIT_NOROOT"),
    (0x3, SEED, "SECBIT_NOROOT"),
    (0x40, {**SEED, "CAPINIT_USER": "65534:65534"}, "SECBIT_NO_CAP_AMBIENT_RAISE"),
], ids=["noroot", "noroot-locked", "no-ambient-raise"])
def test_securebits_that_change_the_result_refuse(capinit, tmp_path, bits, env, token):
    marker = tmp_path / "ran"
    r = run_pid1([*with_secbits(bits), capinit, "--", "touch", marker], env=env)
    assert r.returncode == 125, r.stderr
    assert token in r.stderr and f"securebits {bits:#x}" in r.stderr, r.stderr
    assert not marker.exists()
    p = run_pid1([*with_secbits(bits), capinit, "--print"], env=env)
    assert p.returncode == 125


@pytest.mark.timeout(30)
@pytest.mark.parametrize("env", [SEED, {**SEED, "CAPINIT_USER": "65534:65534"}],
                         ids=["root", "user"])
def test_securebits_are_shown_kept_and_verified(capinit, env):
    """SECBIT_NO_SETUID_FIXUP changes nothing capinit promises: the run goes
    on, the bits reach the app unchanged, and --print shows them."""
    p = run_pid1([*with_secbits(0x4), capinit, "--print"], env=env)
    assert p.returncode == 0 and "securebits   0x4" in p.stdout, p.stdout
    r = run_pid1([*with_secbits(0x4), capinit, "--", "cat", "/proc/self/status"], env=env)
    assert r.returncode == 0, r.stderr
    f = status_fields(r.stdout)
    assert int(f["CapEff"], 16) == NET_BIND_SERVICE
    assert int(f["CapBnd"], 16) == NET_BIND_SERVICE


# ---- hostile user databases --------------------------------------------------------

# /etc replaced by a tmpfs holding just what the case needs; capinit is
# static and needs nothing else there.
ETC_SCRIPT = r"""
set -e
mount -t tmpfs none /etc
cp "$GROUP" /etc/group
case "$KIND" in
fifo) mkfifo /etc/passwd ;;
zero) ln -s /dev/zero /etc/passwd ;;
urandom) ln -s /dev/urandom /etc/passwd ;;
stdin) ln -s /proc/self/fd/0 /etc/passwd ;;
dir) mkdir /etc/passwd ;;
huge) head -c 1048577 /dev/zero | tr '\0' '#' > /etc/passwd ;;
esac
exec "$@"
"""


@pytest.mark.timeout(30)
@pytest.mark.parametrize("kind,reason", [
    ("fifo", "not a regular file"), ("zero", "not a regular file"),
    ("urandom", "not a regular file"), ("dir", "not a regular file"),
    ("stdin", "the same file as capinit's standard input"),
    ("huge", "larger than the limit of 1 MiB"),
])
def test_hostile_passwd_is_refused_at_once(capinit, tmp_path, kind, reason):
    marker = tmp_path / "ran"
    stdin_file = tmp_path / "stdin-passwd"
    stdin_file.write_text("evil:x:0:0::/:/bin/sh\n")
    start = time.monotonic()
    with open(stdin_file) as stdin:
        r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", ETC_SCRIPT,
                            "etc", capinit, "--", "touch", str(marker)],
                           env={**make_env({"CAPINIT_USER": "evil"}), "KIND": kind,
                                "GROUP": str(FIXTURES / "group")},
                           stdin=stdin, capture_output=True, text=True, timeout=20)
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and "CAPINIT_USER" in lines[0] and "/etc/passwd" in lines[0] \
        and reason in lines[0], r.stderr
    assert not marker.exists()
    assert time.monotonic() - start < 15  # generous: the point is that it does not hang


# ---- ambiguous environments -------------------------------------------------------

@pytest.mark.timeout(30)
@pytest.mark.parametrize("entries,token", [
    (["CAPINIT_CAP_DROP=ALL", "CAPINIT_CAP_DROP="], "CAPINIT_CAP_DROP: set twice"),
    (["CAPINIT_CAP_ADD=KILL", "CAPINIT_CAP_DROP=ALL", "CAPINIT_CAP_ADD=KILL"],
     "CAPINIT_CAP_ADD: set twice"),
    (["CAPINIT_CAP_DROP"], "CAPINIT_CAP_DROP: an environment entry without '='"),
    (["CAPINIT_CAP_DROP=ALL", "CAPINIT_USER"], "CAPINIT_USER: an environment entry without '='"),
], ids=["dup-drop", "dup-add", "no-equals", "no-equals-user"])
def test_duplicate_or_equals_less_entries_are_errors(capinit, helper, tmp_path, entries, token):
    marker = tmp_path / "ran"
    r = subprocess.run([helper["rawenv"], "PATH=/usr/bin:/bin", *entries, "--", capinit, "--",
                        "touch", str(marker)], capture_output=True, text=True, timeout=20)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert r.stderr.splitlines() == [f"capinit: {token}" + r.stderr.split(token, 1)[1].rstrip("\n")]
    assert not marker.exists()


@pytest.mark.timeout(30)
def test_control_bytes_in_tokens_are_escaped(capinit, tmp_path):
    r = subprocess.run([capinit, "--", "true"], env={**BASE_ENV,
                       "CAPINIT_CAP_DROP": "NET_RAW\x1b[31mX"}, capture_output=True, timeout=20)
    assert r.returncode == 2
    assert r.stderr.count(b"\n") == 1 and b"\x1b" not in r.stderr, r.stderr
    assert b"NET_RAW\\x1b[31mX" in r.stderr, r.stderr
    r = subprocess.run([capinit, "--grace=1\nforged: line", "--", "true"], env=BASE_ENV,
                       capture_output=True, timeout=20)
    assert r.returncode == 2 and r.stderr.count(b"\n") == 1, r.stderr
    assert b"1\\x0aforged: line" in r.stderr


# ---- already the target user ------------------------------------------------------

def etc_fixtures():
    script = ('mount --bind "$1" /etc/passwd && mount --bind "$2" /etc/group '
              '&& shift 2 && exec "$@"')
    return ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "etc",
            str(FIXTURES / "passwd"), str(FIXTURES / "group")]


@pytest.mark.timeout(30)
def test_already_the_target_user_needs_no_switch(capinit):
    """An image with USER app and CAPINIT_USER=app: capinit runs as
    app (1000, groups 1000 50 2000) with no capability and must not try to
    switch."""
    as_app = [SETPRIV, "--reuid=1000", "--regid=1000", "--groups=1000,50,2000"]
    r = run_pid1([*as_app, capinit, "--", "grep", "-E", "^(Uid|Gid|Groups|CapEff)",
                  "/proc/self/status"],
                 env={"CAPINIT_USER": "app"}, prefix=etc_fixtures())
    assert r.returncode == 0, r.stderr
    f = status_fields(r.stdout)
    assert f["Uid"].split() == ["1000"] * 4 and f["Gid"].split() == ["1000"] * 4
    assert sorted(f["Groups"].split()) == ["1000", "2000", "50"]
    # Different groups: a switch would be needed, and cannot be done.
    r = run_pid1([SETPRIV, "--reuid=1000", "--regid=1000", "--groups=1000", capinit, "--",
                  "true"], env={"CAPINIT_USER": "app"}, prefix=etc_fixtures())
    assert r.returncode == 125 and "needs CAP_SETUID and CAP_SETGID" in r.stderr, r.stderr


# ---- what capabilities do not cover (README "Security") ----------------------------

@pytest.mark.timeout(30)
def test_capabilities_alone_do_not_cover_user_namespaces(capinit):
    """What the user-namespace guard closes (test_userns.py), shown with the
    guard off (CAPINIT_USERNS=1): a non-root app with no capability at all
    can still create a user namespace and hold every capability inside it.
    Then only seccomp (the runtime's default profile) or the host's sysctl
    stop that."""
    if Path("/proc/sys/user/max_user_namespaces").read_text().strip() == "0":
        pytest.skip("user namespaces are disabled on this host")
    r = run_pid1([capinit, "--", "unshare", "-U", "-r", "grep", "CapEff", "/proc/self/status"],
                 env={"CAPINIT_CAP_DROP": "ALL", "CAPINIT_USER": "65534:65534",
                      "CAPINIT_USERNS": "1"})
    assert r.returncode == 0, r.stderr
    assert int(status_fields(r.stdout)["CapEff"], 16) != 0
