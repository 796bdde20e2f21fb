"""The second security review (issue 18): each test reproduces one finding
and shows it closed, from what the kernel and capinit's output say. Each
fails on capinit 0.2.0.
"""
import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import BASE_ENV, make_env, run_pid1, wait_for

PY = "/usr/bin/python3"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


# ---- the caller's terminal, whatever stdin is -----------------------------------

# The app: pushes a byte into every terminal it can reach (fd 0, 1, 2 and
# /dev/tty), writes what each attempt gave, and its controlling terminal
# (tty_nr, 0 = none), then waits for Ctrl-C.
INJECTOR = r"""
import errno, fcntl, os, signal, sys, termios
out = sys.argv[1]
results = []
def push(name, fd):
    try:
        fcntl.ioctl(fd, termios.TIOCSTI, b"#")
        results.append(name + ":injected")
    except OSError as e:
        results.append("%s:refused-%s" % (name, errno.errorcode[e.errno]))
for fd in (0, 1, 2):
    if os.isatty(fd):
        push("fd%d" % fd, fd)
    else:
        results.append("fd%d:not-a-tty" % fd)
try:
    tty = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
except OSError as e:
    results.append("tty:open-" + errno.errorcode[e.errno])
else:
    push("tty", tty)
tty_nr = int(open("/proc/self/stat").read().rsplit(")", 1)[1].split()[4])
results.append("tty_nr:%d" % tty_nr)
with open(out + ".tmp", "w") as f:
    f.write(" ".join(results) + "\n")
os.rename(out + ".tmp", out)
try:
    signal.pause()
except KeyboardInterrupt:
    sys.exit(9)
"""

# An interactive root shell in miniature: it leads the terminal's session
# and runs capinit with the redirections a user would type, in its own
# (foreground) process group, ignoring SIGINT itself as a shell does.
#   null: capinit ... </dev/null     pipe: echo | capinit ...
#   all:  capinit ... </dev/null >log 2>&1
SHELL_LIKE = r"""
import fcntl, os, signal, subprocess, sys, termios
os.setsid()
fcntl.ioctl(0, termios.TIOCSCTTY, 0)
signal.signal(signal.SIGINT, signal.SIG_IGN)
how, log = sys.argv[1], sys.argv[2]
kw = {}
if how in ("null", "all"):
    kw["stdin"] = subprocess.DEVNULL
if how == "pipe":
    kw["stdin"] = subprocess.PIPE
if how == "all":
    kw["stdout"] = kw["stderr"] = open(log, "w")
p = subprocess.Popen(sys.argv[3:], **kw)
if how == "pipe":
    p.stdin.write(b"some input\n")
    p.stdin.close()
sys.exit(p.wait())
"""


def run_from_root_shell(capinit, shared_dir, how, env):
    """(what the app's attempts gave, capinit's exit status after Ctrl-C)."""
    master, slave = os.openpty()
    out = shared_dir / "inject"
    try:
        p = subprocess.Popen([PY, "-c", SHELL_LIKE, how, str(shared_dir / "log"), capinit,
                              PY, "-c", INJECTOR, str(out)],
                             stdin=slave, stdout=slave, stderr=slave, env=make_env(env))
        os.close(slave)
        slave = None
        assert wait_for(out.exists, timeout=15), "the app did not report"
        results = dict(r.split(":", 1) for r in out.read_text().split())
        os.write(master, b"\x03")  # Ctrl-C on the caller's terminal
        return results, p.wait(timeout=15)
    finally:
        if slave is not None:
            os.close(slave)
        os.close(master)


LESS = {"CAPINIT_CAP_DROP": "ALL", "CAPINIT_USER": "65534:65534"}


@pytest.mark.timeout(40)
@pytest.mark.parametrize("how", ["null", "pipe", "all"])
def test_less_privileged_app_cannot_inject_whatever_stdin_is(capinit, shared_dir, how):
    """From a root shell, `CAPINIT_USER=nobody capinit -- app </dev/null`
    (or `echo | ...`, or every fd redirected) once left the app in the
    shell's session: it pushed input through fd 1 or /dev/tty, which the
    shell ran after capinit exited."""
    results, rc = run_from_root_shell(capinit, shared_dir, how, LESS)
    injected = [k for k, v in results.items() if v == "injected"]
    assert not injected, f"the app (uid 65534) injected through {injected}: {results}"
    assert results["tty"] == "open-ENXIO" and results["tty_nr"] == "0", \
        f"the app kept the caller's terminal as its controlling terminal: {results}"
    # Terminal signals still reach it, through capinit.
    assert rc == 9, f"Ctrl-C did not reach the app through capinit (exit {rc})"


@pytest.mark.timeout(40)
@pytest.mark.parametrize("how", ["null", "pipe", "all"])
def test_app_as_privileged_as_the_caller_keeps_the_terminal_whatever_stdin_is(
        capinit, shared_dir, how):
    """The control: nothing taken away, the app is the caller's equal and
    keeps its terminal (so the test above can fail)."""
    results, rc = run_from_root_shell(capinit, shared_dir, how, {})
    assert results["tty"] == "injected" and results["tty_nr"] != "0", results
    assert rc == 9


# ---- escaping -------------------------------------------------------------------

def with_etc(passwd, group=FIXTURES / "group"):
    """A command prefix that shows passwd and group as /etc/passwd and
    /etc/group, in a private mount namespace."""
    script = ('mount --bind "$1" /etc/passwd && mount --bind "$2" /etc/group '
              '&& shift 2 && exec "$@"')
    return ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "etc",
            str(passwd), str(group)]


@pytest.mark.timeout(30)
def test_print_escapes_the_images_home_field(capinit, tmp_path):
    """An image can put escape sequences and a carriage return (a line is
    cut at the newline, so a carriage return is how a forged line starts)
    into a home directory; --print showed them raw to the auditor."""
    passwd = tmp_path / "passwd"
    passwd.write_bytes(b"root:x:0:0:root:/root:/bin/sh\n"
                       b"evil:x:1000:1000::/home/e\x1b[2J\rforged uid 0\x7f\x9b:/bin/sh\n")
    r = subprocess.run(with_etc(passwd) + [capinit, "--print"],
                       env=make_env({"CAPINIT_USER": "evil"}), capture_output=True, timeout=20)
    assert r.returncode == 0, r.stderr
    line = [ln for ln in r.stdout.split(b"\n") if ln.startswith(b"  user ")]
    assert line == [b"  user         uid 1000 gid 1000 groups 1000 "
                    b"HOME=/home/e\\x1b[2J\\x0dforged uid 0\\x7f\\x9b"], r.stdout
    assert all(0x20 <= b <= 0x7e or b == 0x0a for b in r.stdout), r.stdout


@pytest.mark.timeout(30)
def test_print_escapes_the_home_given_to_the_app_nowhere_else(capinit, tmp_path):
    """Escaping is for what capinit shows: the app still gets HOME as the
    image wrote it."""
    passwd = tmp_path / "passwd"
    passwd.write_bytes(b"evil:x:1000:1000::/home/e\x1b[2J:/bin/sh\n")
    r = subprocess.run(with_etc(passwd) + ["unshare", "-fp", "--mount-proc", "--kill-child",
                                           capinit, "--", "printenv", "HOME"],
                       env=make_env({"CAPINIT_USER": "evil"}), capture_output=True, timeout=20)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"/home/e\x1b[2J\n"


@pytest.fixture
def dumb_init(capinit, tmp_path):
    link = tmp_path / "dumb-init"
    link.symlink_to(capinit)
    return str(link)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("argv,want", [
    (["--x\x1b[2Jy", "true"], b"dumb-init: unrecognized option '--x\\x1b[2Jy'\n"),
    (["--x\nforged", "true"], b"dumb-init: unrecognized option '--x\\x0aforged'\n"),
    (["-\x07", "true"], b"dumb-init: invalid option -- '\\x07'\n"),
], ids=["escape", "newline", "bell"])
def test_dumb_init_usage_errors_escape_argv(dumb_init, argv, want):
    r = subprocess.run([dumb_init, *argv], env=BASE_ENV, capture_output=True, timeout=20)
    assert r.returncode == 1
    assert r.stderr == want


@pytest.mark.timeout(30)
def test_dumb_init_usage_errors_read_as_dumb_inits_for_printable_argv(dumb_init):
    r = subprocess.run([dumb_init, "--bogus", "true"], env=BASE_ENV, capture_output=True,
                       timeout=20)
    assert (r.returncode, r.stderr) == (1, b"dumb-init: unrecognized option '--bogus'\n")


# ---- -e maps the app's status only ---------------------------------------------

@pytest.fixture
def tini(capinit, tmp_path):
    link = tmp_path / "tini"
    link.symlink_to(capinit)
    return str(link)


def exit_of(argv, env=None, prefix=()):
    r = run_pid1(argv, env=env, prefix=prefix)
    return r.returncode, r.stderr


@pytest.mark.timeout(30)
@pytest.mark.parametrize("name", ["capinit", "tini"])
def test_e_never_maps_a_command_that_never_ran(capinit, tini, tmp_path, name):
    init = capinit if name == "capinit" else tini
    not_executable = tmp_path / "not-executable"
    not_executable.write_text("#!/bin/sh\nexit 0\n")
    not_executable.chmod(0o644)
    rc, err = exit_of([init, "-e", "126", "--", str(not_executable)])
    assert rc == 126, err
    rc, err = exit_of([init, "-e", "127", "--", "/no/such/command"])
    assert rc == 127, err
    rc, err = exit_of([init, "-e", "127", "-e", "126", "--", "no-such-command-anywhere"])
    assert rc == 127, err


@pytest.mark.timeout(30)
def test_e_never_maps_a_plan_the_child_could_not_apply(capinit):
    """The plan is valid, but the kernel refuses it in the child: in a user
    namespace whose setgroups is denied (unshare -r), the group reset
    fails. The child exits 125 without executing; -e 125 must not turn that
    into success."""
    prefix = ["unshare", "-U", "-r"]
    rc, err = exit_of([capinit, "-e", "125", "--user=0:0", "--", "true"], prefix=prefix)
    assert rc == 125 and "setgroups" in err, (rc, err)
    # The same refusal without -e, for comparison.
    rc, err = exit_of([capinit, "--user=0:0", "--", "true"], prefix=prefix)
    assert rc == 125


@pytest.mark.timeout(30)
def test_e_never_maps_a_plan_refused_before_the_start(capinit):
    rc, err = exit_of([capinit, "-e", "125", "--cap-add=SYS_RESOURCE", "--", "true"],
                      prefix=["capsh", "--drop=cap_sys_resource", "--", "-c", 'exec "$@"', "x"])
    assert rc == 125 and "SYS_RESOURCE" in err, (rc, err)
    rc, err = exit_of([capinit, "-e", "2", "--cap-drop=NOPE", "--", "true"])
    assert rc == 2, (rc, err)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("code", [125, 126, 127, 3])
@pytest.mark.parametrize("name", ["capinit", "tini"])
def test_e_maps_the_apps_own_status(capinit, tini, name, code):
    """An app that itself exits 125 (or 126, 127) with -e for it: mapped."""
    init = capinit if name == "capinit" else tini
    rc, err = exit_of([init, "-e", str(code), "--", "sh", "-c", f"exit {code}"])
    assert rc == 0, (rc, err)
    rc, err = exit_of([init, "-e", "1", "--", "sh", "-c", f"exit {code}"])
    assert rc == code


# ---- CAPINIT_ names in another case -------------------------------------------

@pytest.mark.timeout(30)
@pytest.mark.parametrize("name,want", [
    ("capinit_cap_drop", "CAPINIT_CAP_DROP"), ("Capinit_User", "CAPINIT_USER"),
    ("CAPINIT_cap_drop", "CAPINIT_CAP_DROP"), ("Capinit_Cap_Drop", "CAPINIT_CAP_DROP"),
])
def test_capinit_variable_in_another_case_is_an_error(capinit, tmp_path, name, want):
    marker = tmp_path / "ran"
    value = "65534:65534" if want == "CAPINIT_USER" else "ALL"
    r = run_pid1([capinit, "--", "touch", str(marker)], env={name: value})
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert r.stderr.splitlines() == [
        f"capinit: {name}: capinit's variables are spelled in capitals: use {want}"], r.stderr
    assert not marker.exists()


# ---- what PID 1's non-dumpable flag does not cover ---------------------------

ENVIRON_READER = ("cat /proc/1/environ >/dev/null 2>&1 && echo environ-read || "
                  "echo environ-refused")


@pytest.mark.timeout(30)
def test_sys_admin_reads_pid1s_environ_and_is_warned_about(capinit):
    """Keeps the warning honest: on this kernel an app given SYS_ADMIN reads
    /proc/1/environ of the non-dumpable capinit; without it, it cannot."""
    env = {"CAPINIT_CAP_DROP": "ALL", "CAPINIT_CAP_ADD": "SYS_ADMIN,KILL", "SECRET": "x"}
    r = run_pid1([capinit, "--", "sh", "-c", ENVIRON_READER], env=env)
    assert r.returncode == 0
    if r.stdout.strip() != "environ-read":
        pytest.skip("this kernel keeps a SYS_ADMIN app from a non-dumpable /proc/1/environ")
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and "CAP_SYS_ADMIN" in lines[0] and "/proc/1/environ" in lines[0], \
        r.stderr
    p = run_pid1([capinit, "--print"], env=env)
    assert "(CAP_SYS_ADMIN: the app can read capinit's /proc/1/environ (as root)" in p.stdout, p.stdout
    # Without SYS_ADMIN: refused, and no warning.
    r = run_pid1([capinit, "--", "sh", "-c", ENVIRON_READER],
                 env={"CAPINIT_CAP_DROP": "ALL", "CAPINIT_CAP_ADD": "KILL"})
    assert (r.stdout.strip(), r.stderr) == ("environ-refused", "")


@pytest.mark.timeout(30)
def test_named_user_that_is_uid_0_is_warned_about(capinit, tmp_path):
    passwd = tmp_path / "passwd"
    passwd.write_text("root:x:0:0:root:/root:/bin/sh\napp:x:0:0::/home/app:/bin/sh\n")
    r = subprocess.run(with_etc(passwd) + ["unshare", "-fp", "--mount-proc", "--kill-child",
                                           capinit, "--", "id", "-u"],
                       env=make_env({"CAPINIT_USER": "app"}), capture_output=True, text=True,
                       timeout=20)
    assert r.returncode == 0 and r.stdout == "0\n", r
    assert r.stderr.splitlines() == [
        "capinit: warning: CAPINIT_USER: 'app' is uid 0 in the image's /etc/passwd: the app "
        "runs as root"], r.stderr
    r = subprocess.run(with_etc(passwd) + [capinit, "--print"],
                       env=make_env({"CAPINIT_USER": "app"}), capture_output=True, text=True,
                       timeout=20)
    assert "(CAPINIT_USER: this user is uid 0 in the image's /etc/passwd" in r.stdout, r.stdout
    # "root" itself, or a number, says what it is: no warning.
    for user in ("root", "0:0"):
        r = subprocess.run(with_etc(passwd) + ["unshare", "-fp", "--mount-proc", "--kill-child",
                                               capinit, "--", "true"],
                           env=make_env({"CAPINIT_USER": user}), capture_output=True, text=True,
                           timeout=20)
        assert r.returncode == 0 and r.stderr == "", (user, r.stderr)


# ---- --version as Docker's daemon reads it ---------------------------------------

def docker_parse_init_version(out):
    """moby's parseInitVersion (daemon/info_unix.go), restated: (version,
    commit); both empty is the warning "unknown output format"."""
    parts = out.strip().split(" - ")
    commit = ""
    if len(parts) >= 2:
        git = parts[1].strip().split(".")
        if len(git) == 2 and git[0] == "git":
            commit = git[1]
    version = parts[0][len("tini version "):] if parts[0].startswith("tini version ") else ""
    return version, commit


@pytest.mark.timeout(30)
def test_version_under_capinits_name_parses_as_docker_reads_it(capinit):
    r = subprocess.run([capinit, "--version"], capture_output=True, text=True, timeout=20)
    assert r.returncode == 0 and r.stderr == ""
    assert re.fullmatch(r"capinit \d+\.\d+\.\d+\S* - git\.[0-9a-f]+|"
                        r"capinit \d+\.\d+\.\d+\S* - git\.unknown", r.stdout.strip()), r.stdout
    version, commit = docker_parse_init_version(r.stdout)
    assert commit, f"dockerd would warn 'unknown output format' for {r.stdout!r}"
