"""The privilege core (issue 3), as the kernel sees it.

Every test runs capinit as PID 1 of a fresh PID namespace and reads the
kernel's view: /proc/self/status of the command capinit exec'd, and
/proc/<capinit host pid>/status of capinit itself while that command runs.

Runtimes that did not grant something are imitated with capsh (it drops a
capability from the bounding set before exec) or setpriv (a non-root start
with no capabilities). Named users come from tests/integration/fixtures/,
bind-mounted over /etc/passwd and /etc/group in a private mount namespace.
"""
import re
import shutil
from pathlib import Path

import pytest

from conftest import proc_status, run_pid1, status_fields, wait_for

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CAPSH = shutil.which("capsh") or "/usr/sbin/capsh"

# Capability bits (linux/capability.h).
CHOWN, KILL, SETPCAP, NET_BIND_SERVICE, NET_RAW = 0, 5, 8, 10, 13

STATUS_RE = "^(Cap|NoNewPrivs|Uid|Gid|Groups)"
# The app is the command capinit execs: grep reads its own /proc/self/status.
STATUS_CMD = ["grep", "-E", STATUS_RE, "/proc/self/status"]
# A shell app that reports its own status (sh is what capinit exec'd, so
# /proc/$$ is the app) and then its environment.
STATUS_AND_ENV_CMD = ["sh", "-c", f'grep -E "{STATUS_RE}" /proc/$$/status; echo ---; env']

PY = "/usr/bin/python3"
# Binds TCP port 80 and reports the result together with its own credentials.
BIND80 = r"""
import errno, socket, sys
for line in open('/proc/self/status'):
    if line.startswith(('Cap', 'Uid', 'Gid', 'NoNewPrivs')):
        print(line.rstrip())
print('unprivileged_port_start:', open('/proc/sys/net/ipv4/ip_unprivileged_port_start').read().strip())
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
try:
    s.bind(('0.0.0.0', 80))
except OSError as e:
    print('bind:', errno.errorcode.get(e.errno, e.errno))
    sys.exit(3)
s.listen(1)
print('bind: OK')
"""


def bit(n):
    return 1 << n


def mask(fields, key):
    return int(fields[key], 16)


def own_status():
    return proc_status("self")


def handed_over():
    """H for a capinit started by this test process (unshare keeps caps)."""
    s = own_status()
    return mask(s, "CapPrm") & mask(s, "CapBnd")


def groups(fields):
    return sorted(int(g) for g in fields.get("Groups", "").split())


def ids(fields, key):
    return [int(x) for x in fields[key].split()]


def capsh_drop(*caps):
    """Prefix imitating a runtime that did not grant `caps`."""
    return [CAPSH, "--drop=" + ",".join(caps), "--", "-c", 'exec "$@"', "capsh-wrapper"]


def etc_prefix(net=False):
    """Prefix: private mount namespace with the fixture passwd/group (and,
    with net=True, a private network namespace)."""
    flags = ["-m", "--propagation", "private"] + (["-n"] if net else [])
    script = ('mount --bind "$1" /etc/passwd && mount --bind "$2" /etc/group '
              '&& shift 2 && exec "$@"')
    return (["unshare", *flags, "sh", "-c", script, "etc-wrapper",
             str(FIXTURES / "passwd"), str(FIXTURES / "group")])


def run_status(capinit, opts=(), env=None, prefix=(), cmd=STATUS_CMD):
    r = run_pid1([capinit, *opts, "--", *cmd], env=env, prefix=prefix)
    assert r.returncode == 0, f"exit {r.returncode}\nstdout:\n{r.stdout}\nstderr:\n{r.stderr}"
    return status_fields(r.stdout.split("---")[0]), r


def split_env(stdout):
    _, _, env_text = stdout.partition("---\n")
    env = {}
    for line in env_text.splitlines():
        k, sep, v = line.partition("=")
        if sep:
            env[k] = v
    return env


def touch_cmd(marker, *then):
    return ["sh", "-c", 'touch "$1"' + "".join("; " + t for t in then), "sh", str(marker)]


# --------------------------------------------------------------------------
# The capability spec, root child


@pytest.mark.timeout(20)
@pytest.mark.parametrize("how", ["env", "flags", "flags-lowercase-prefixed"])
def test_drop_all_add_net_bind_service_as_root(capinit, how):
    if how == "env":
        opts, env = [], {"CAPINIT_CAP_DROP": "ALL", "CAPINIT_CAP_ADD": "NET_BIND_SERVICE"}
    elif how == "flags":
        opts, env = ["--cap-drop=ALL", "--cap-add=NET_BIND_SERVICE"], None
    else:
        opts, env = ["--cap-drop=all", "--cap-add=cap_net_bind_service"], None
    s, _ = run_status(capinit, opts, env)
    assert ids(s, "Uid") == [0, 0, 0, 0]
    assert mask(s, "CapBnd") == 0x400
    assert mask(s, "CapPrm") == 0x400
    assert mask(s, "CapEff") == 0x400
    assert mask(s, "CapInh") == 0
    assert mask(s, "CapAmb") == 0
    assert s["NoNewPrivs"] == "1"


@pytest.mark.timeout(20)
@pytest.mark.parametrize("spelling", [
    "cap_chown, NET_RAW  Kill",
    "cap_chown,NET_RAW,Kill",
    "CAP_CHOWN\tnet_raw\nCAP_kill",
    " Chown , Cap_Net_Raw ,KILL ",
], ids=["commas-and-spaces", "commas", "tab-newline", "padded"])
def test_drop_some_mixed_spellings(capinit, spelling):
    h = handed_over()
    dropped = bit(CHOWN) | bit(NET_RAW) | bit(KILL)
    assert h & dropped == dropped, "test premise: the runtime grants CHOWN, NET_RAW, KILL"
    s, _ = run_status(capinit, env={"CAPINIT_CAP_DROP": spelling})
    want = h & ~dropped
    assert mask(s, "CapBnd") == want
    assert mask(s, "CapPrm") == want
    assert mask(s, "CapEff") == want
    assert mask(s, "CapInh") == 0
    assert mask(s, "CapAmb") == 0
    assert s["NoNewPrivs"] == "1"


@pytest.mark.timeout(20)
def test_drop_applies_to_what_the_runtime_handed_over(capinit):
    """H is capinit's permitted ∩ bounding at start, not the full kernel set."""
    h = handed_over() & ~bit(NET_RAW)
    s, _ = run_status(capinit, env={"CAPINIT_CAP_DROP": "CHOWN"}, prefix=capsh_drop("cap_net_raw"))
    assert mask(s, "CapBnd") == h & ~bit(CHOWN)
    assert mask(s, "CapPrm") == h & ~bit(CHOWN)
    assert mask(s, "CapEff") == h & ~bit(CHOWN)


@pytest.mark.timeout(20)
def test_drop_of_a_capability_the_runtime_did_not_grant_is_fine(capinit):
    h = handed_over() & ~bit(NET_BIND_SERVICE)
    s, _ = run_status(capinit, env={"CAPINIT_CAP_DROP": "NET_BIND_SERVICE,CHOWN"},
                      prefix=capsh_drop("cap_net_bind_service"))
    assert mask(s, "CapBnd") == h & ~bit(CHOWN)
    assert mask(s, "CapPrm") == h & ~bit(CHOWN)


@pytest.mark.timeout(20)
def test_root_child_gets_no_inheritable_or_ambient_from_the_runtime(capinit):
    """An inheritable/ambient capability handed over must not reach a root
    child once a spec is given (it would come back at execve)."""
    prefix = [CAPSH, "--inh=cap_net_raw", "--addamb=cap_net_raw", "--", "-c", 'exec "$@"', "x"]
    s, _ = run_status(capinit, env={"CAPINIT_CAP_DROP": "NET_RAW"}, prefix=prefix)
    assert mask(s, "CapInh") == 0
    assert mask(s, "CapAmb") == 0
    assert mask(s, "CapBnd") & bit(NET_RAW) == 0
    assert mask(s, "CapPrm") & bit(NET_RAW) == 0


@pytest.mark.timeout(20)
def test_no_spec_leaves_the_sets_as_given(capinit):
    own = own_status()
    s, _ = run_status(capinit)
    assert ids(s, "Uid") == [0, 0, 0, 0]
    for key in ("CapBnd", "CapPrm", "CapEff", "CapInh", "CapAmb"):
        assert mask(s, key) == mask(own, key), key
    assert s["NoNewPrivs"] == "1"


@pytest.mark.timeout(20)
def test_no_spec_under_a_reduced_runtime_set(capinit):
    own = own_status()
    want = mask(own, "CapBnd") & ~bit(NET_BIND_SERVICE)
    s, _ = run_status(capinit, prefix=capsh_drop("cap_net_bind_service"))
    assert mask(s, "CapBnd") == want
    assert mask(s, "CapPrm") == mask(own, "CapPrm") & want
    assert s["NoNewPrivs"] == "1"


NNP_CASES = [("env", None, "1")] + [
    (form, value, expected)
    for form in ("env", "flag")
    for value, expected in [("1", "1"), ("true", "1"), ("yes", "1"),
                            ("0", "0"), ("false", "0"), ("no", "0")]
]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("form,value,expected", NNP_CASES)
def test_no_new_privs(capinit, form, value, expected):
    env, opts = {"CAPINIT_CAP_DROP": "NET_RAW"}, []
    if value is not None and form == "env":
        env["CAPINIT_NO_NEW_PRIVS"] = value
    elif value is not None:
        opts = [f"--no-new-privs={value}"]
    s, _ = run_status(capinit, opts, env)
    assert s["NoNewPrivs"] == expected


@pytest.mark.timeout(30)
@pytest.mark.parametrize("case", ["drop", "add", "no-new-privs-off", "no-new-privs-on",
                                  "user-root", "user-app"])
def test_flag_wins_over_variable(capinit, case):
    h = handed_over()
    if case == "drop":
        s, _ = run_status(capinit, ["--cap-drop=CHOWN"], {"CAPINIT_CAP_DROP": "ALL"})
        assert mask(s, "CapBnd") == h & ~bit(CHOWN)
        assert mask(s, "CapPrm") == h & ~bit(CHOWN)
    elif case == "add":
        s, _ = run_status(capinit, ["--cap-add=NET_BIND_SERVICE"],
                          {"CAPINIT_CAP_DROP": "ALL", "CAPINIT_CAP_ADD": "NET_RAW"})
        assert mask(s, "CapBnd") == 0x400
        assert mask(s, "CapPrm") == 0x400
    elif case == "no-new-privs-off":
        s, _ = run_status(capinit, ["--no-new-privs=0"], {"CAPINIT_NO_NEW_PRIVS": "1"})
        assert s["NoNewPrivs"] == "0"
    elif case == "no-new-privs-on":
        s, _ = run_status(capinit, ["--no-new-privs=1"], {"CAPINIT_NO_NEW_PRIVS": "0"})
        assert s["NoNewPrivs"] == "1"
    elif case == "user-root":
        s, _ = run_status(capinit, ["--user=0:0"], {"CAPINIT_USER": "app"}, prefix=etc_prefix())
        assert ids(s, "Uid") == [0, 0, 0, 0]
        assert ids(s, "Gid") == [0, 0, 0, 0]
    else:
        s, _ = run_status(capinit, ["--user=app"], {"CAPINIT_USER": "0:0"}, prefix=etc_prefix())
        assert ids(s, "Uid") == [1000] * 4
        assert ids(s, "Gid") == [1000] * 4


# --------------------------------------------------------------------------
# User switching


@pytest.mark.timeout(20)
def test_user_by_name_from_the_real_passwd(capinit):
    """CAPINIT_USER=nobody (no fixture): the image's own /etc/passwd."""
    import pwd
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no user 'nobody' on this system")
    s, r = run_status(capinit, env={"CAPINIT_USER": "nobody", "HOME": "/root"},
                      cmd=STATUS_AND_ENV_CMD)
    assert ids(s, "Uid") == [nobody.pw_uid] * 4
    assert ids(s, "Gid") == [nobody.pw_gid] * 4
    assert split_env(r.stdout).get("HOME") == nobody.pw_dir
    assert mask(s, "CapPrm") == mask(s, "CapEff") == mask(s, "CapInh") == mask(s, "CapAmb") == 0
    assert s["NoNewPrivs"] == "1"


@pytest.mark.timeout(30)
@pytest.mark.parametrize("user,uid,gid,grps,home", [
    ("app", 1000, 1000, [50, 1000, 2000], "/home/app"),        # groups from /etc/group
    ("1000", 1000, 1000, [50, 1000, 2000], "/home/app"),       # uid with a passwd entry
    ("1000:1000", 1000, 1000, [1000], "/home/app"),            # explicit group alone
    ("app:staff", 1000, 50, [50], "/home/app"),                # name:group
    ("app:2001", 1000, 2001, [2001], "/home/app"),             # name:gid
    ("other:app", 1001, 1000, [1000], "/home/other"),
    ("4242:4242", 4242, 4242, [4242], None),                   # no passwd entry, group given
])
@pytest.mark.parametrize("form", ["env", "flag"])
def test_user_switch(capinit, user, uid, gid, grps, home, form):
    """Uid/Gid/Groups/HOME of the app; runtime hands over extra supplementary
    groups (4, 27), which must never reach the app."""
    env = {"HOME": "/root", "CAPINIT_CAP_DROP": "NET_RAW"}
    opts = []
    if form == "env":
        env["CAPINIT_USER"] = user
    else:
        opts = [f"--user={user}"]
    prefix = ["setpriv", "--groups=4,27", "--"] + etc_prefix()
    s, r = run_status(capinit, opts, env, prefix=prefix, cmd=STATUS_AND_ENV_CMD)
    assert ids(s, "Uid") == [uid] * 4
    assert ids(s, "Gid") == [gid] * 4
    assert groups(s) == grps
    child_env = split_env(r.stdout)
    if home is not None:
        assert child_env.get("HOME") == home
    # No ADD: a non-root child holds no capability; bounding = H − DROP.
    assert mask(s, "CapPrm") == 0
    assert mask(s, "CapEff") == 0
    assert mask(s, "CapInh") == 0
    assert mask(s, "CapAmb") == 0
    assert mask(s, "CapBnd") == handed_over() & ~bit(NET_RAW)
    assert s["NoNewPrivs"] == "1"


@pytest.mark.timeout(20)
def test_user_with_ambient_capability(capinit):
    h = handed_over()
    env = {"CAPINIT_CAP_DROP": "CHOWN", "CAPINIT_CAP_ADD": "NET_BIND_SERVICE", "CAPINIT_USER": "app"}
    s, _ = run_status(capinit, env=env, prefix=etc_prefix())
    assert ids(s, "Uid") == [1000] * 4
    assert mask(s, "CapPrm") == 0x400
    assert mask(s, "CapEff") == 0x400
    assert mask(s, "CapInh") == 0x400
    assert mask(s, "CapAmb") == 0x400
    assert mask(s, "CapBnd") == h & ~bit(CHOWN)
    assert s["NoNewPrivs"] == "1"


@pytest.mark.timeout(30)
@pytest.mark.parametrize("user", [None, "app"])
def test_child_gets_no_capinit_variables(capinit, user):
    env = {
        "CAPINIT_CAP_DROP": "ALL",
        "CAPINIT_CAP_ADD": "NET_BIND_SERVICE",
        "CAPINIT_NO_NEW_PRIVS": "1",
        "CAPINIT_GRACE": "1",
        "CAPINIT_KILL_GROUP": "0",
        "CAPINIT_VERBOSE": "0",
        "CAPINIT_PRINT": "0",
        "MY_APP_SETTING": "kept",
    }
    if user:
        env["CAPINIT_USER"] = user
    _, r = run_status(capinit, env=env, prefix=etc_prefix(), cmd=STATUS_AND_ENV_CMD)
    child_env = split_env(r.stdout)
    leaked = sorted(k for k in child_env if k.startswith("CAPINIT_"))
    assert leaked == []
    assert child_env.get("MY_APP_SETTING") == "kept"
    assert child_env.get("PATH")


# --------------------------------------------------------------------------
# Port 80 as a non-root user in a private network namespace


@pytest.mark.timeout(30)
@pytest.mark.parametrize("user,uid", [("app", 1000), ("1000:1000", 1000), ("nobody", 65534)])
def test_non_root_child_binds_port_80_with_net_bind_service(capinit, user, uid):
    env = {"CAPINIT_CAP_DROP": "ALL", "CAPINIT_CAP_ADD": "NET_BIND_SERVICE", "CAPINIT_USER": user}
    r = run_pid1([capinit, "--", PY, "-I", "-S", "-c", BIND80], env=env, prefix=etc_prefix(net=True))
    s = status_fields(r.stdout)
    assert int(s["unprivileged_port_start"]) > 80, "test premise: port 80 needs privilege here"
    assert r.returncode == 0, f"exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    assert s["bind"] == "OK"
    assert ids(s, "Uid") == [uid] * 4
    assert mask(s, "CapAmb") == 0x400
    assert mask(s, "CapEff") == 0x400
    assert mask(s, "CapPrm") == 0x400
    assert mask(s, "CapBnd") == 0x400


@pytest.mark.timeout(30)
@pytest.mark.parametrize("env", [
    {"CAPINIT_CAP_DROP": "ALL"},
    {"CAPINIT_CAP_DROP": "ALL", "CAPINIT_CAP_ADD": "NET_RAW"},
    {},  # no spec: a non-root child holds no capability, as under Docker
], ids=["drop-all", "add-other", "no-spec"])
def test_non_root_child_cannot_bind_port_80_without_the_capability(capinit, env):
    env = dict(env, CAPINIT_USER="app")
    r = run_pid1([capinit, "--", PY, "-I", "-S", "-c", BIND80], env=env, prefix=etc_prefix(net=True))
    s = status_fields(r.stdout)
    assert int(s["unprivileged_port_start"]) > 80, "test premise: port 80 needs privilege here"
    assert s.get("bind") == "EACCES", f"exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    assert r.returncode == 3
    assert ids(s, "Uid") == [1000] * 4
    assert mask(s, "CapAmb") & bit(NET_BIND_SERVICE) == 0
    assert mask(s, "CapEff") & bit(NET_BIND_SERVICE) == 0


# --------------------------------------------------------------------------
# capinit itself while the child runs


def _started(p):
    """Wait until the prefix chain has exec'd into `unshare -fp` (a wrapper
    may briefly have other children, like `mount`)."""
    def ready():
        try:
            argv = Path(f"/proc/{p.proc.pid}/cmdline").read_bytes().split(b"\0")
            return argv[:2] == [b"unshare", b"-fp"]
        except OSError:
            return False
    assert wait_for(ready, timeout=10), "the wrapper did not start unshare"


@pytest.mark.timeout(30)
@pytest.mark.parametrize("name,opts,prefix_kind,kill_granted,app_uid,app_caps", [
    ("root-drop-all-add-one", ["--cap-drop=ALL", "--cap-add=NET_BIND_SERVICE"], None, True, 0, 0x400),
    ("no-spec", [], None, True, 0, None),
    ("no-new-privs-off", ["--cap-drop=NET_RAW", "--no-new-privs=0"], None, True, 0, None),
    ("user-app-ambient", ["--cap-drop=ALL", "--cap-add=NET_BIND_SERVICE", "--user=app"], "etc", True, 1000, 0x400),
    ("user-app-nothing", ["--cap-drop=ALL", "--user=app"], "etc", True, 1000, 0),
    ("runtime-without-kill", ["--user=nobody"], "nokill", False, 65534, 0),
    ("runtime-without-kill-root", ["--cap-drop=CHOWN"], "nokill", False, 0, None),
])
def test_capinit_drops_its_own_privileges(capinit, pid1, name, opts, prefix_kind, kill_granted,
                                          app_uid, app_caps):
    prefix = {"etc": etc_prefix(), "nokill": capsh_drop("cap_kill"), None: []}[prefix_kind]
    p = pid1([capinit, *opts, "--", "sleep", "30"], prefix=prefix)
    _started(p)
    app = p.app_pid()
    init = p.init_pid

    # The drop happens after the fork: give it a (loose) moment.
    def dropped():
        s = proc_status(init)
        return s if s and s["CapBnd"] == "0000000000000000" and s["NoNewPrivs"] == "1" else None
    wait_for(dropped, timeout=5)
    s = proc_status(init)
    assert s is not None, "capinit exited while its child runs"
    assert mask(s, "CapBnd") == 0
    assert s["NoNewPrivs"] == "1"
    assert mask(s, "CapInh") == 0
    assert mask(s, "CapAmb") == 0
    assert mask(s, "CapPrm") == mask(s, "CapEff")
    if not kill_granted:
        assert mask(s, "CapPrm") == 0
    elif app_uid != 0:
        # Forwarding must reach a child of another uid: KILL is kept.
        assert mask(s, "CapPrm") == bit(KILL)
    else:
        assert mask(s, "CapPrm") in (0, bit(KILL))

    # The app itself is unaffected by capinit's own drop.
    a = proc_status(app)
    assert a is not None
    assert ids(a, "Uid") == [app_uid] * 4
    if app_caps is not None:
        assert mask(a, "CapPrm") == app_caps
    assert p.proc.poll() is None
    p.close()

    def gone(pid):
        st = proc_status(pid)
        return st is None or st["State"].startswith(("Z", "X"))
    assert wait_for(lambda: gone(init) and gone(app), timeout=10), "left running"


# --------------------------------------------------------------------------
# Fail closed: a valid spec that cannot be applied


@pytest.mark.timeout(30)
@pytest.mark.parametrize("opts,env,user", [
    (["--cap-drop=ALL", "--cap-add=NET_BIND_SERVICE"], None, False),
    ([], {"CAPINIT_CAP_DROP": "ALL", "CAPINIT_CAP_ADD": "net_bind_service"}, False),
    ([], {"CAPINIT_CAP_ADD": "NET_BIND_SERVICE"}, False),
    (["--cap-drop=ALL", "--cap-add=CHOWN,NET_BIND_SERVICE", "--user=nobody"], None, True),
], ids=["flags", "env", "add-without-drop", "non-root-child"])
def test_add_outside_the_runtime_set_is_refused(capinit, tmp_path, opts, env, user):
    marker = tmp_path / "started"
    r = run_pid1([capinit, *opts, "--", *touch_cmd(marker)], env=env,
                 prefix=capsh_drop("cap_net_bind_service"))
    assert r.returncode == 125, f"exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    assert not marker.exists(), "the command was started"
    assert "NET_BIND_SERVICE" in r.stderr
    assert "--cap-add" in r.stderr, "names the runtime flag that would grant it"
    assert r.stderr.startswith("capinit: ")


@pytest.mark.timeout(30)
@pytest.mark.parametrize("opts", [
    ["--cap-drop=NET_RAW"],
    ["--cap-drop=ALL", "--cap-add=NET_BIND_SERVICE"],
    ["--cap-drop=NET_RAW", "--no-new-privs=0", "--user=nobody"],
    ["--cap-drop=ALL", "--cap-add=NET_BIND_SERVICE", "--user=nobody", "--no-new-privs=no"],
], ids=["root-drop-some", "root-drop-all", "non-root-without-nnp", "non-root-ambient-without-nnp"])
def test_no_setpcap_refuses_when_the_bounding_set_matters(capinit, shared_dir, opts):
    marker = shared_dir / "started"
    r = run_pid1([capinit, *opts, "--", *touch_cmd(marker)], prefix=capsh_drop("cap_setpcap"))
    assert r.returncode == 125, f"exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    assert not marker.exists(), "the command was started"
    assert "SETPCAP" in r.stderr.upper()
    assert r.stderr.startswith("capinit: ")


@pytest.mark.timeout(30)
@pytest.mark.parametrize("user,uid", [("nobody", 65534), ("app", 1000)])
def test_no_setpcap_non_root_child_with_nnp_runs(capinit, user, uid):
    handed_bnd = mask(own_status(), "CapBnd") & ~bit(SETPCAP)
    prefix = etc_prefix() + capsh_drop("cap_setpcap")
    env = {"CAPINIT_CAP_DROP": "ALL", "CAPINIT_CAP_ADD": "NET_BIND_SERVICE", "CAPINIT_USER": user}
    s, _ = run_status(capinit, env=env, prefix=prefix)
    assert ids(s, "Uid") == [uid] * 4
    assert mask(s, "CapAmb") == 0x400
    assert mask(s, "CapPrm") == 0x400
    assert mask(s, "CapEff") == 0x400
    assert mask(s, "CapInh") == 0x400
    assert mask(s, "CapBnd") == handed_bnd, "bounding set left as handed over"
    assert s["NoNewPrivs"] == "1"


@pytest.mark.timeout(20)
def test_no_setpcap_no_spec_root_child_runs(capinit):
    own = own_status()
    s, _ = run_status(capinit, prefix=capsh_drop("cap_setpcap"))
    assert mask(s, "CapBnd") == mask(own, "CapBnd") & ~bit(SETPCAP)
    assert ids(s, "Uid") == [0, 0, 0, 0]
    assert s["NoNewPrivs"] == "1"


# --------------------------------------------------------------------------
# capinit started as a non-root user with no capabilities (runAsNonRoot)


def as_nobody(capinit):
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", capinit]


@pytest.mark.timeout(20)
def test_non_root_start_without_spec_still_works_as_init(capinit, shared_dir):
    marker = shared_dir / "started"
    r = run_pid1([*as_nobody(capinit), "--", *touch_cmd(marker, f'grep -E "{STATUS_RE}" /proc/$$/status', "exit 7")])
    assert r.returncode == 7, f"exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    assert marker.exists()
    s = status_fields(r.stdout)
    assert ids(s, "Uid") == [65534] * 4
    assert mask(s, "CapPrm") == mask(s, "CapEff") == mask(s, "CapAmb") == 0
    assert s["NoNewPrivs"] == "1"


@pytest.mark.timeout(20)
def test_non_root_start_with_drop_only_works(capinit, shared_dir):
    marker = shared_dir / "started"
    r = run_pid1([*as_nobody(capinit), "--cap-drop=ALL", "--", *touch_cmd(marker)])
    assert r.returncode == 0, f"exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    assert marker.exists()


@pytest.mark.timeout(30)
@pytest.mark.parametrize("opts,env,cap", [
    (["--cap-drop=ALL", "--cap-add=NET_BIND_SERVICE"], None, "NET_BIND_SERVICE"),
    ([], {"CAPINIT_CAP_ADD": "CHOWN"}, "CHOWN"),
    ([], {"CAPINIT_CAP_DROP": "ALL", "CAPINIT_CAP_ADD": "KILL"}, "KILL"),
], ids=["flags", "env-add-only", "env-drop-all-add"])
def test_non_root_start_refuses_any_add(capinit, shared_dir, opts, env, cap):
    marker = shared_dir / "started"
    r = run_pid1([*as_nobody(capinit), *opts, "--", *touch_cmd(marker)], env=env)
    assert r.returncode == 125, f"exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    assert not marker.exists(), "the command was started"
    assert r.stderr.startswith("capinit: ")
    assert cap in r.stderr
    assert re.search(r"(no|without) capabilit", r.stderr), "explains it runs without capabilities"


# --------------------------------------------------------------------------
# --print / CAPINIT_PRINT=1


@pytest.mark.timeout(30)
@pytest.mark.parametrize("form", ["flag", "env"])
def test_print_shows_the_plan_and_runs_nothing(capinit, tmp_path, form):
    marker = tmp_path / "started"
    opts = ["--print"] if form == "flag" else []
    env = {"CAPINIT_CAP_DROP": "ALL", "CAPINIT_CAP_ADD": "NET_BIND_SERVICE"}
    if form == "env":
        env["CAPINIT_PRINT"] = "1"
    r = run_pid1([capinit, *opts, "--", *touch_cmd(marker)], env=env)
    assert r.returncode == 0, f"exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    assert not marker.exists(), "--print ran the command"
    out = r.stdout
    assert f"{handed_over():016x}" in out, "the handed-over set H as a hex mask"
    assert "0000000000000400" in out, "the child's set as a hex mask"
    assert "NET_BIND_SERVICE" in out
    assert "--cap-drop=ALL" in out
    assert "--cap-add=NET_BIND_SERVICE" in out
    assert "securityContext" in out


def security_context(out):
    """The `securityContext:` block of --print output, parsed as YAML."""
    yaml = pytest.importorskip("yaml")
    lines = out.splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith("securityContext:"))
    block = [lines[start]]
    for l in lines[start + 1:]:
        if l and not l[0].isspace():
            break
        block.append(l)
    return yaml.safe_load("\n".join(block))["securityContext"]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("opts,want_caps", [
    (["--cap-drop=ALL", "--cap-add=NET_BIND_SERVICE"], {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}),
    (["--cap-drop=ALL"], {"drop": ["ALL"]}),
    (["--cap-drop=CHOWN,NET_RAW"], {"drop": ["CHOWN", "NET_RAW"]}),
], ids=["drop-all-add", "drop-all", "drop-some"])
def test_print_security_context_is_valid_yaml(capinit, opts, want_caps):
    r = run_pid1([capinit, "--print", *opts, "--", "true"])
    assert r.returncode == 0, r.stderr
    sc = security_context(r.stdout)
    assert sc["allowPrivilegeEscalation"] is False
    caps = sc["capabilities"]
    for key, want in want_caps.items():
        assert sorted(caps[key]) == sorted(want), key


@pytest.mark.timeout(20)
def test_print_with_user(capinit, tmp_path):
    marker = tmp_path / "started"
    env = {"CAPINIT_CAP_DROP": "ALL", "CAPINIT_CAP_ADD": "NET_BIND_SERVICE", "CAPINIT_USER": "app",
           "CAPINIT_PRINT": "1"}
    r = run_pid1([capinit, "--", *touch_cmd(marker)], env=env, prefix=etc_prefix())
    assert r.returncode == 0, r.stderr
    assert not marker.exists()
    assert "--user=1000:1000" in r.stdout
    assert "1000" in r.stdout and "/home/app" in r.stdout


@pytest.mark.timeout(20)
def test_print_with_unapplicable_spec_exits_125(capinit, tmp_path):
    marker = tmp_path / "started"
    r = run_pid1([capinit, "--print", "--cap-drop=ALL", "--cap-add=NET_BIND_SERVICE", "--",
                  *touch_cmd(marker)], prefix=capsh_drop("cap_net_bind_service"))
    assert r.returncode == 125, f"exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    assert not marker.exists()
    assert "NET_BIND_SERVICE" in r.stderr


@pytest.mark.timeout(20)
def test_print_with_invalid_spec_exits_2(capinit, tmp_path):
    marker = tmp_path / "started"
    r = run_pid1([capinit, "--print", "--cap-drop=NET_BIND_SERVCE", "--", *touch_cmd(marker)])
    assert r.returncode == 2
    assert not marker.exists()
