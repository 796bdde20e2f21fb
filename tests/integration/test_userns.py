"""The user-namespace guard (SPEC "Hardening of capinit itself", README
"Security"): an app without CAP_SYS_ADMIN cannot create a user namespace,
by any system call or ABI, while ordinary process and thread creation keep
working; CAPINIT_USERNS=1 and an app given SYS_ADMIN get user namespaces
back.

Every case runs with capinit as PID 1 and not, for a root app (Docker's
default capabilities, so no SYS_ADMIN) and a non-root app (no capability
at all), and each case also runs with CAPINIT_USERNS=1: the control that
shows the same app does create a user namespace without the guard. Each
reads the kernel's view of the app (Seccomp, Seccomp_filters, NoNewPrivs
from its /proc/PID/status).
"""
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import HELPERS, make_env, run_pid1, status_fields

CAPSH = shutil.which("capsh") or "/usr/sbin/capsh"

# Docker's default set: a root app as Docker runs it, without SYS_ADMIN.
DOCKER_DEFAULT = ("CHOWN,DAC_OVERRIDE,FSETID,FOWNER,MKNOD,NET_RAW,SETGID,SETUID,SETFCAP,"
                  "SETPCAP,NET_BIND_SERVICE,SYS_CHROOT,KILL,AUDIT_WRITE")
APPS = {
    "root": {"CAPINIT_CAP_DROP": "ALL", "CAPINIT_CAP_ADD": DOCKER_DEFAULT},
    "nonroot": {"CAPINIT_CAP_DROP": "ALL", "CAPINIT_USER": "65534:65534"},
}
WAYS = ["unshare-newuser", "clone-newuser", "clone3-newuser", "int80-unshare"]
ORDINARY = ["fork", "thread", "clone-plain", "unshare-none"]


def own_status():
    return status_fields(Path("/proc/self/status").read_text())


# The test process's own seccomp state: the "runtime" capinit starts in.
HOST = own_status()
HOST_FILTERS = int(HOST.get("Seccomp_filters", "0"))


@pytest.fixture(scope="module")
def try_bin():
    """tests/integration/helpers/userns_try.c, where any uid can run it."""
    if Path("/proc/sys/user/max_user_namespaces").read_text().strip() == "0":
        pytest.skip("user namespaces are disabled on this host (user.max_user_namespaces=0)")
    d = tempfile.mkdtemp(prefix="capinit-userns-", dir="/tmp")
    os.chmod(d, 0o755)
    out = Path(d) / "userns_try"
    src = HELPERS / "userns_try.c"
    base = ["cc", "-O2", "-Wall", "-Wextra", "-pthread", "-o", str(out), str(src)]
    if subprocess.run(base[:1] + ["-static"] + base[1:], capture_output=True).returncode != 0:
        subprocess.run(base, check=True)
    yield str(out)
    shutil.rmtree(d, ignore_errors=True)


def run(capinit, argv, env, pid1, prefix=(), name=None):
    """capinit (or a link to it called `name`) running argv, as PID 1 of a
    new PID namespace or as the child of a shell that is."""
    exe = capinit
    if name:
        exe = str(Path(tempfile.mkdtemp(prefix="capinit-name-", dir="/tmp")) / name)
        os.symlink(capinit, exe)
    try:
        if pid1:
            return run_pid1([exe, *argv], env=env, prefix=prefix)
        cmd = [*prefix, "unshare", "-fp", "--mount-proc", "--kill-child",
               "sh", "-c", '"$@"', "sh", exe, *argv]
        return subprocess.run(cmd, env=make_env(env), capture_output=True, text=True, timeout=30)
    finally:
        if name:
            shutil.rmtree(Path(exe).parent, ignore_errors=True)


def results(stdout):
    """{mode: "ok" | "errno NAME" | "unsupported"} from userns_try's lines."""
    out = {}
    for line in stdout.splitlines():
        mode, sep, rest = line.partition(" ")
        if sep and ":" not in mode:
            out[mode] = rest
    return out


def assert_guarded(r, nnp="1"):
    assert r.returncode == 0, r.stderr
    st = status_fields(r.stdout)
    assert st["Seccomp"] == "2", r.stdout
    if "Seccomp_filters" in HOST:
        assert int(st["Seccomp_filters"]) == HOST_FILTERS + 1, r.stdout
    assert st["NoNewPrivs"] == nnp


def assert_unguarded(r):
    assert r.returncode == 0, r.stderr
    st = status_fields(r.stdout)
    assert st["Seccomp"] == HOST["Seccomp"], r.stdout
    if "Seccomp_filters" in HOST:
        assert int(st["Seccomp_filters"]) == HOST_FILTERS, r.stdout
    assert st["NoNewPrivs"] == "1"


MATRIX = pytest.mark.parametrize("pid1", [True, False], ids=["pid1", "not-pid1"])
APP = pytest.mark.parametrize("app", sorted(APPS))


# ---- raw system calls ------------------------------------------------------------

@pytest.mark.timeout(60)
@MATRIX
@APP
def test_every_way_to_a_user_namespace_is_refused(capinit, try_bin, app, pid1):
    r = run(capinit, ["--", try_bin, "status", *WAYS, *ORDINARY], APPS[app], pid1)
    assert_guarded(r)
    got = results(r.stdout)
    assert got["unshare-newuser"] == "errno EPERM"
    assert got["clone-newuser"] == "errno EPERM"
    # clone3's flags are out of the filter's reach: refused whatever they
    # are, with ENOSYS so the C library falls back to clone.
    assert got["clone3-newuser"] == "errno ENOSYS"
    assert got["int80-unshare"] in ("errno EPERM", "unsupported")
    for mode in ORDINARY:
        assert got[mode] == "ok", f"{mode}: {got[mode]}"


@pytest.mark.timeout(60)
@MATRIX
@APP
def test_control_without_the_guard_the_same_app_creates_user_namespaces(capinit, try_bin,
                                                                        app, pid1):
    """CAPINIT_USERNS=1: the same calls succeed, so each refusal above is
    the guard's and not something else of the plan."""
    r = run(capinit, ["--", try_bin, "status", *WAYS, *ORDINARY],
            {**APPS[app], "CAPINIT_USERNS": "1"}, pid1)
    assert_unguarded(r)
    got = results(r.stdout)
    for mode in ["unshare-newuser", "clone-newuser", "clone3-newuser", *ORDINARY]:
        assert got[mode] == "ok", f"{mode}: {got[mode]}"
    assert got["int80-unshare"] in ("ok", "unsupported")


@pytest.mark.timeout(60)
@MATRIX
@APP
def test_i386_unshare_through_int80_is_refused(capinit, try_bin, app, pid1):
    """A 64-bit program can make i386 system calls with `int $0x80`, which
    the kernel reports under AUDIT_ARCH_I386 with i386's numbers (unshare
    is 310): a filter that knew only x86_64's would leave this open."""
    if os.uname().machine != "x86_64":
        pytest.skip("int $0x80 from a 64-bit program is an x86_64 matter")
    control = run(capinit, ["--", try_bin, "int80-unshare"],
                  {**APPS[app], "CAPINIT_USERNS": "1"}, pid1)
    if results(control.stdout).get("int80-unshare") == "unsupported":
        pytest.skip("this kernel offers no i386 ABI: int $0x80 raises a general protection "
                    "fault (IA32 emulation off); tests/unit/test_userns_guard.c covers the "
                    "i386 table")
    assert results(control.stdout)["int80-unshare"] == "ok", control.stdout + control.stderr
    r = run(capinit, ["--", try_bin, "status", "int80-unshare"], APPS[app], pid1)
    assert_guarded(r)
    assert results(r.stdout)["int80-unshare"] == "errno EPERM"


@pytest.mark.timeout(60)
def test_every_tables_program_passes_the_real_kernels_checker(tmp_path):
    """Each architecture's program (built here from its table) loaded into
    this machine's kernel: the kernel's own checker accepts every one; a
    foreign kernel's program kills the process at its next system call
    (its AUDIT_ARCH is unknown here: nothing unfiltered gets through), and
    the native one refuses unshare(CLONE_NEWUSER) and allows getpid."""
    repo = HELPERS.parents[2]
    out = tmp_path / "guard_load"
    subprocess.run(["cc", "-O2", "-Wall", "-Wextra", "-I", str(repo / "init"), "-o", str(out),
                    str(HELPERS / "guard_load.c"), str(repo / "init" / "userns_guard.c")],
                   check=True)
    lines = subprocess.run([str(out)], capture_output=True, text=True, timeout=30,
                           check=True).stdout.splitlines()
    got = dict(line.split(" ", 1) for line in lines)
    assert len(got) == 5, lines
    native = {"x86_64": "x86_64", "aarch64": "aarch64", "ppc64le": "ppc64le",
              "s390x": "s390x", "riscv64": "riscv64"}.get(os.uname().machine)
    for kernel, result in got.items():
        if kernel == native:
            assert result == "loaded native unshare=EPERM getpid=ok", lines
        else:
            assert result == "loaded killed-by-SIGSYS", lines


# ---- util-linux unshare, as a user would try it ------------------------------------

STATUS_THEN = 'grep -E "^(Seccomp|Seccomp_filters|NoNewPrivs):" /proc/$$/status; '


@pytest.mark.timeout(60)
@MATRIX
@APP
@pytest.mark.parametrize("cmd", ["unshare -U true", "unshare -U -r id -u"],
                         ids=["unshare-U", "unshare-U-r"])
def test_unshare_command(capinit, app, pid1, cmd):
    script = STATUS_THEN + cmd
    r = run(capinit, ["--", "sh", "-c", script + "; echo rc=$?"], APPS[app], pid1)
    assert_guarded(r)
    assert "rc=0" not in r.stdout
    assert "Operation not permitted" in r.stderr, r.stderr

    control = run(capinit, ["--", "sh", "-c", script + "; echo rc=$?"],
                  {**APPS[app], "CAPINIT_USERNS": "1"}, pid1)
    assert_unguarded(control)
    assert "rc=0" in control.stdout, control.stderr
    if "-r" in cmd:
        assert "\n0\n" in control.stdout  # root inside the new namespace


# ---- the guard's exceptions ---------------------------------------------------------

@pytest.mark.timeout(60)
@MATRIX
@pytest.mark.parametrize("app,env", [
    ("root", {"CAPINIT_CAP_DROP": "ALL", "CAPINIT_CAP_ADD": "SYS_ADMIN,SETFCAP"}),
    ("nonroot", {"CAPINIT_CAP_DROP": "ALL", "CAPINIT_CAP_ADD": "SYS_ADMIN",
                 "CAPINIT_USER": "65534:65534"}),
])
def test_an_app_given_sys_admin_gets_user_namespaces(capinit, try_bin, app, env, pid1):
    """With SYS_ADMIN the app can create namespaces anyway (as Docker's
    profile allows it): no guard."""
    r = run(capinit, ["--", try_bin, "status", "unshare-newuser", "clone-newuser",
                      "clone3-newuser"], env, pid1)
    assert_unguarded(r)
    got = results(r.stdout)
    assert got["unshare-newuser"] == got["clone-newuser"] == got["clone3-newuser"] == "ok"
    p = run(capinit, ["--print", "--", "true"], env, pid1)
    assert "userns       allowed: the app holds CAP_SYS_ADMIN" in p.stdout


@pytest.mark.timeout(60)
def test_descendants_inherit_the_guard(capinit, try_bin):
    """A grandchild (the shell's child) is refused too: the filter is
    inherited and cannot be removed."""
    r = run_pid1([capinit, "--", "sh", "-c", '"$1" status unshare-newuser; "$1" clone-newuser',
                  "sh", try_bin], env=APPS["nonroot"])
    assert_guarded(r)
    got = results(r.stdout)
    assert got["unshare-newuser"] == got["clone-newuser"] == "errno EPERM"


@pytest.mark.timeout(60)
def test_a_runtime_filter_is_counted(capinit, try_bin):
    """capinit under capinit: the inner one starts with one filter (the
    outer's guard) and verifies exactly one more."""
    r = run_pid1([capinit, "--cap-drop=SYS_ADMIN", "--", capinit, "--cap-drop=ALL", "--",
                  try_bin, "status", "unshare-newuser"])
    assert r.returncode == 0, r.stderr
    st = status_fields(r.stdout)
    assert st["Seccomp"] == "2"
    if "Seccomp_filters" in HOST:
        assert int(st["Seccomp_filters"]) == HOST_FILTERS + 2
    assert results(r.stdout)["unshare-newuser"] == "errno EPERM"


# ---- without no_new_privs ------------------------------------------------------------

def capsh_drop(*caps):
    """Prefix imitating a runtime that did not grant `caps`."""
    return [CAPSH, "--drop=" + ",".join(caps), "--", "-c", 'exec "$@"', "capsh-wrapper"]


@pytest.mark.timeout(60)
def test_without_nnp_and_without_sys_admin_capinit_refuses(capinit, try_bin):
    """The kernel takes a filter from a process under no_new_privs or one
    holding SYS_ADMIN. A runtime without SYS_ADMIN (Docker's default) and
    CAPINIT_NO_NEW_PRIVS=0: capinit refuses to start the app unguarded."""
    env = {"CAPINIT_NO_NEW_PRIVS": "0", "CAPINIT_CAP_DROP": "NET_RAW"}
    # capsh inside the namespace (unshare itself needs SYS_ADMIN), exec'ing
    # capinit as PID 1.
    r = run_pid1([*capsh_drop("cap_sys_admin"), capinit, "--", try_bin, "status"], env=env)
    assert r.returncode == 125, r.stdout + r.stderr
    assert "Seccomp" not in r.stdout  # the app never ran
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "CAPINIT_NO_NEW_PRIVS=0" in lines[0] and "CAPINIT_USERNS=1" in lines[0]
    # The documented way out: user namespaces left to the runtime.
    r = run_pid1([*capsh_drop("cap_sys_admin"), capinit, "--", try_bin, "status",
                  "unshare-newuser"], env={**env, "CAPINIT_USERNS": "1"})
    assert r.returncode == 0, r.stderr
    st = status_fields(r.stdout)
    assert st["NoNewPrivs"] == "0" and st["Seccomp"] == HOST["Seccomp"]


@pytest.mark.timeout(60)
@MATRIX
def test_without_nnp_capinit_installs_it_while_holding_sys_admin(capinit, try_bin, pid1):
    """A runtime that granted SYS_ADMIN, an app that does not keep it,
    no_new_privs off: the child installs the guard before dropping it."""
    env = {"CAPINIT_NO_NEW_PRIVS": "0", "CAPINIT_CAP_DROP": "SYS_ADMIN"}
    r = run(capinit, ["--", try_bin, "status", "unshare-newuser", "clone-newuser", "fork"],
            env, pid1)
    assert_guarded(r, nnp="0")
    got = results(r.stdout)
    assert got["unshare-newuser"] == got["clone-newuser"] == "errno EPERM"
    assert got["fork"] == "ok"


# ---- every personality, --print --------------------------------------------------------

@pytest.mark.timeout(60)
@pytest.mark.parametrize("name,argv", [
    ("tini", ["--"]), ("docker-init", ["--"]), ("dumb-init", []),
])
def test_same_guard_under_every_name(capinit, try_bin, name, argv):
    r = run(capinit, [*argv, try_bin, "status", "unshare-newuser", "clone3-newuser"],
            APPS["nonroot"], True, name=name)
    assert_guarded(r)
    got = results(r.stdout)
    assert got["unshare-newuser"] == "errno EPERM" and got["clone3-newuser"] == "errno ENOSYS"
    control = run(capinit, ["--userns=1", *argv, try_bin, "status", "unshare-newuser"],
                  APPS["nonroot"], True, name=name)
    assert_unguarded(control)
    assert results(control.stdout)["unshare-newuser"] == "ok"


@pytest.mark.timeout(30)
def test_print_shows_the_guard_and_the_runtime_side(capinit):
    yaml = pytest.importorskip("yaml")
    r = run_pid1([capinit, "--print", "--", "true"], env=APPS["nonroot"])
    assert r.returncode == 0, r.stderr
    assert "userns       refused: seccomp guard" in r.stdout
    assert "the app has no CAP_SYS_ADMIN" in r.stdout
    block = r.stdout[r.stdout.index("securityContext:"):]
    sc = yaml.safe_load(block)["securityContext"]
    assert sc["seccompProfile"] == {"type": "RuntimeDefault"}

    r = run_pid1([capinit, "--print", "--", "true"], env={**APPS["nonroot"], "CAPINIT_USERNS": "1"})
    assert "userns       allowed: CAPINIT_USERNS=1" in r.stdout
    assert "seccompProfile" not in r.stdout
