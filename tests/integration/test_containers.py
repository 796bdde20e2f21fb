"""capinit as PID 1 of real OCI containers, run by runc.

Each container's root filesystem is laid out like a user's image built FROM
scratch (tests/container/oci.py): /capinit, a static busybox, /selftest.sh,
/etc/passwd and /etc/group with a non-root user `app` (1000:1000, also in
group staff 50). The OCI config starts from `runc spec` and carries what
`docker run` gives a container by default: Docker's 14 capabilities in the
bounding, effective and permitted sets (none inheritable or ambient),
noNewPrivileges false, uid 0, a new network namespace (port 80 needs
CAP_NET_BIND_SERVICE there: ip_unprivileged_port_start is 1024). The root is
read-only.

Every scenario is judged from the kernel's view inside the container: by
tests/container/selftest.sh (the same script Dockerfile.test runs), which
compares the lines of /proc/self/status with EXPECT_* variables, or by the
exit status runc reports. Needs root and runc; skipped only when not root.
"""

import importlib.util
import os
import re
import shutil
import signal
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CONTAINER_DIR = REPO / "tests" / "container"
DOCS = REPO / "docs" / "containers.md"


def _load_oci():
    name = "capinit_container_oci"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, CONTAINER_DIR / "oci.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


oci = _load_oci()

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="runc containers need root"),
    pytest.mark.timeout(120),
]

NBS = "0000000000000400"          # CAP_NET_BIND_SERVICE, bit 10
NONE = "0000000000000000"
KILL = "0000000000000020"         # CAP_KILL, bit 5
DOCKER_MASK = oci.cap_mask(oci.DOCKER_DEFAULT_CAPS)
DOCKER = oci.hexmask(DOCKER_MASK)  # 00000000a80425fb

SELFTEST = ["/capinit", "--", "/bin/sh", "/selftest.sh"]
SEED = {"CAPINIT_CAP_DROP": "ALL", "CAPINIT_CAP_ADD": "NET_BIND_SERVICE"}
APP_MARKER = "APP-HAS-RUN"


# ---- fixtures ------------------------------------------------------------------------

@pytest.fixture(scope="session")
def runc():
    path = shutil.which(oci.RUNC)
    if path is None:
        pytest.fail("runc is not installed (CI installs Debian's runc package)")
    return path


@pytest.fixture(scope="session")
def rootfs(runc, tmp_path_factory):
    binary = oci.capinit_binary()
    assert binary.exists(), "%s is missing: run `make` first" % binary
    return oci.build_rootfs(tmp_path_factory.mktemp("rootfs"), capinit=binary)


@pytest.fixture
def container(rootfs, tmp_path):
    """Factory: container(args, env, **Bundle fields) -> oci.Bundle on the shared rootfs."""
    made = []

    def make(args, env=None, rootfs_dir=None, **kw):
        b = oci.Bundle(tmp_path / ("bundle%d" % len(made)), rootfs_dir or rootfs,
                       list(args), dict(env or {}), **kw)
        made.append(b)
        return b

    yield make
    # Nothing of ours may be left registered with runc.
    left = [c for c in oci.container_ids() if c in {b.container_id for b in made}]
    for c in left:
        oci.runc_delete(c)
    assert not left, "containers left behind: %s" % left


# The check line selftest.sh prints for each EXPECT_* variable.
CHECK_OF = {
    "EXPECT_CAPEFF": "CapEff =", "EXPECT_CAPPRM": "CapPrm =", "EXPECT_CAPBND": "CapBnd =",
    "EXPECT_CAPINH": "CapInh =", "EXPECT_CAPAMB": "CapAmb =", "EXPECT_NONEWPRIVS": "NoNewPrivs =",
    "EXPECT_UID": "uid (", "EXPECT_GID": "gid (", "EXPECT_GROUPS": "supplementary groups",
    "EXPECT_HOME": "HOME =", "EXPECT_BIND_PORT": "can listen", "EXPECT_BIND_DENIED": "cannot listen",
    "EXPECT_PID1_CAPEFF": "PID 1 CapEff", "EXPECT_PID1_CAPPRM": "PID 1 CapPrm",
    "EXPECT_PID1_CAPBND": "PID 1 CapBnd", "EXPECT_PID1_NONEWPRIVS": "PID 1 NoNewPrivs",
}


def assert_selftest(res, env, status=0):
    """The self-test passed, and made every check ENV asked for."""
    lines = res.selftest_lines()
    assert lines, "the self-test printed no check\n" + res.describe()
    assert not res.selftest_failures(), res.describe()
    assert res.status == status, res.describe()
    # Every run makes the fixed checks: PID 1, direct child, env, orphans, zombies.
    wants = ["PID 1 is ", "this test is not PID 1", "this test is a direct child of PID 1",
             "no CAPINIT_* variable", "live orphans re-parented", "orphans reaped",
             "no zombie"]
    wants += [CHECK_OF[k] for k, v in env.items() if k in CHECK_OF and v]
    for want in wants:
        assert any(l.startswith("ok - " + want) for l in lines), \
            "no check %r\n%s" % (want, res.describe())
    print(res.describe())


def expect_sets(eff, prm, bnd, inh, amb, nnp="1"):
    return {"EXPECT_CAPEFF": eff, "EXPECT_CAPPRM": prm, "EXPECT_CAPBND": bnd,
            "EXPECT_CAPINH": inh, "EXPECT_CAPAMB": amb, "EXPECT_NONEWPRIVS": nnp}


# What capinit keeps for itself once the app runs (SPEC: Supervision): an empty
# bounding set, no_new_privs, and nothing but CAP_KILL when the runtime granted it.
PID1_AFTER_START = {"EXPECT_PID1_CAPEFF": KILL, "EXPECT_PID1_CAPPRM": KILL,
                    "EXPECT_PID1_CAPBND": NONE, "EXPECT_PID1_NONEWPRIVS": "1"}


# ---- sanity of the harness itself -----------------------------------------------------

@pytest.mark.timeout(30)
def test_docker_default_mask():
    assert DOCKER_MASK == 0x00000000a80425fb
    assert oci.cap_mask(["cap_net_bind_service"]) == 0x400


@pytest.mark.timeout(60)
def test_runtime_hands_over_dockers_set_without_capinit(container):
    """Control, no capinit: a shell as the container's init sees Docker's set
    and no_new_privs off, so what capinit changes is capinit's doing."""
    b = container(["/bin/sh", "-c", "grep -E '^(Cap|NoNewPrivs)' /proc/self/status"])
    res = b.run()
    assert res.status == 0, res.describe()
    fields = dict(l.split(":\t") for l in res.stdout.splitlines())
    assert fields == {"CapInh": NONE, "CapPrm": DOCKER, "CapEff": DOCKER,
                      "CapBnd": DOCKER, "CapAmb": NONE, "NoNewPrivs": "0"}, res.describe()


# ---- (a) the seed: --cap-drop=ALL --cap-add=NET_BIND_SERVICE -------------------------------

@pytest.mark.timeout(60)
@pytest.mark.parametrize("add", ["NET_BIND_SERVICE", "cap_net_bind_service"])
def test_seed_as_root(container, add):
    env = {"CAPINIT_CAP_DROP": "ALL", "CAPINIT_CAP_ADD": add,
           **expect_sets(NBS, NBS, NBS, NONE, NONE),
           "EXPECT_UID": "0", "EXPECT_GID": "0", "EXPECT_BIND_PORT": "80",
           **PID1_AFTER_START}
    res = container(SELFTEST, env).run()
    assert_selftest(res, env)


@pytest.mark.timeout(60)
def test_seed_as_app_binds_port_80(container):
    """Groups come from /etc/group (app is in staff, 50); the runtime's extra
    group (docker run --group-add 4242) is not kept."""
    env = {**SEED, "CAPINIT_USER": "app",
           **expect_sets(NBS, NBS, NBS, NBS, NBS),
           "EXPECT_UID": "1000", "EXPECT_GID": "1000", "EXPECT_GROUPS": "50 1000",
           "EXPECT_HOME": "/home/app", "EXPECT_BIND_PORT": "80",
           **PID1_AFTER_START}
    res = container(SELFTEST, env, additional_gids=[4242]).run()
    assert_selftest(res, env)


@pytest.mark.timeout(60)
def test_seed_as_numeric_uid_gid(container):
    """CAPINIT_USER=1000:1000: the explicit group alone, HOME from the passwd entry."""
    env = {**SEED, "CAPINIT_USER": "1000:1000",
           **expect_sets(NBS, NBS, NBS, NBS, NBS),
           "EXPECT_UID": "1000", "EXPECT_GID": "1000", "EXPECT_HOME": "/home/app",
           "EXPECT_BIND_PORT": "80"}
    res = container(SELFTEST, env, additional_gids=[4242]).run()
    assert_selftest(res, env)
    groups = re.search(r"groups \[([^\]]*)\]", res.stdout).group(1).split()
    assert "50" not in groups and "4242" not in groups, res.describe()


@pytest.mark.timeout(60)
def test_scratch_image_without_passwd(container, tmp_path):
    """FROM scratch with no /etc/passwd or /etc/group: numbers work, with an
    explicit group; a bare uid is refused (capinit never guesses group 0)."""
    rf = oci.build_rootfs(tmp_path / "rootfs-noetc")
    shutil.rmtree(rf / "etc")
    env = {**SEED, "CAPINIT_USER": "1000:1000", **expect_sets(NBS, NBS, NBS, NBS, NBS),
           "EXPECT_UID": "1000", "EXPECT_GID": "1000", "EXPECT_BIND_PORT": "80"}
    res = container(SELFTEST, env, rootfs_dir=rf).run()
    assert_selftest(res, env)
    res = container(APP, {**SEED, "CAPINIT_USER": "1000"}, rootfs_dir=rf).run()
    print(res.describe())
    assert res.status == 2 and APP_MARKER not in res.stdout, res.describe()
    assert "CAPINIT_USER" in res.stderr, res.describe()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("drop,bnd", [("ALL", NONE), (None, DOCKER)],
                         ids=["drop-all", "no-drop"])
def test_app_without_add_holds_nothing_and_cannot_bind_80(container, drop, bnd):
    """Without ADD a non-root app holds no capability (as under docker run --user)."""
    env = {"CAPINIT_USER": "app", **expect_sets(NONE, NONE, bnd, NONE, NONE),
           "EXPECT_UID": "1000", "EXPECT_BIND_DENIED": "80"}
    if drop:
        env["CAPINIT_CAP_DROP"] = drop
    res = container(SELFTEST, env).run()
    assert_selftest(res, env)


# ---- (b) no spec: the runtime's set kept, exit status passed on -------------------------

@pytest.mark.timeout(60)
def test_no_spec_keeps_dockers_set(container):
    env = {**expect_sets(DOCKER, DOCKER, DOCKER, NONE, NONE),
           "EXPECT_UID": "0", "EXPECT_BIND_PORT": "80", **PID1_AFTER_START}
    res = container(SELFTEST, env).run()
    assert_selftest(res, env)


@pytest.mark.timeout(60)
def test_no_new_privs_can_be_left_off(container):
    # Docker's set has no SYS_ADMIN, without which the kernel takes the
    # user-namespace guard only under no_new_privs: the guard goes too.
    env = {"CAPINIT_NO_NEW_PRIVS": "0", "CAPINIT_USERNS": "1",
           **expect_sets(DOCKER, DOCKER, DOCKER, NONE, NONE, nnp="0")}
    res = container(SELFTEST, env).run()
    assert_selftest(res, env)


@pytest.mark.timeout(60)
def test_no_new_privs_off_with_the_guard_on_is_refused(container):
    """Docker's set, no_new_privs off, user namespaces not allowed: the
    guard cannot be installed, so the app does not start."""
    res = container(APP, {"CAPINIT_NO_NEW_PRIVS": "0"}).run()
    assert res.status == 125, res.describe()
    assert APP_MARKER not in res.stdout, res.describe()
    assert "CAPINIT_USERNS=1" in res.stderr and "CAP_SYS_ADMIN" in res.stderr, res.describe()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("script,status", [
    ("exit 0", 0),
    ("exit 7", 7),
    ("exit 255", 255),
    ("kill -KILL $$", 128 + signal.SIGKILL),
    ("kill -SEGV $$", 128 + signal.SIGSEGV),
])
@pytest.mark.parametrize("spec", ["none", "seed-as-app"])
def test_exit_status_passed_on(container, script, status, spec):
    env = {} if spec == "none" else {**SEED, "CAPINIT_USER": "app"}
    res = container(["/capinit", "--", "/bin/sh", "-c", "echo %s; %s" % (APP_MARKER, script)],
                    env).run()
    print(res.describe())
    assert APP_MARKER in res.stdout, res.describe()
    assert res.status == status, res.describe()


# ---- (c) runc kill reaches the app --------------------------------------------------------

TRAPPING_APP = ("trap 'echo got TERM; exit 43' TERM; echo ready; "
                "while :; do sleep 0.1; done")
PLAIN_APP = "echo ready; while :; do sleep 0.1; done"
USERS = {"root": {}, "app": {**SEED, "CAPINIT_USER": "app"}}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("user", sorted(USERS))
def test_runc_kill_term_reaches_trapping_app(container, user):
    b = container(["/capinit", "--", "/bin/sh", "-c", TRAPPING_APP], USERS[user])
    with b.start() as c:
        c.wait_for_output("ready")
        c.kill("TERM")
        res = c.wait(timeout=30)
    print(res.describe())
    assert "got TERM" in res.stdout, res.describe()
    assert res.status == 43 and res.signal is None, res.describe()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("user", sorted(USERS))
def test_runc_kill_term_foreground_runc_run_status(container, user):
    """The same through a foreground `runc run`: its own exit status is 43."""
    def during(c):
        c.wait_for_output("ready")
        c.kill("TERM")

    res = container(["/capinit", "--", "/bin/sh", "-c", TRAPPING_APP], USERS[user]).run(during=during)
    print(res.describe())
    assert "got TERM" in res.stdout and res.status == 43, res.describe()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("user", sorted(USERS))
@pytest.mark.parametrize("sig", ["TERM", "INT", "HUP", "USR1"])
def test_runc_kill_of_untrapping_app(container, user, sig):
    """The app dies of the forwarded signal; capinit exits 128+S itself."""
    b = container(["/capinit", "--", "/bin/sh", "-c", PLAIN_APP], USERS[user])
    with b.start() as c:
        c.wait_for_output("ready")
        c.kill(sig)
        res = c.wait(timeout=30)
    print(res.describe())
    num = signal.Signals["SIG" + sig].value
    assert res.signal is None, "capinit itself was killed\n" + res.describe()
    assert res.status == 128 + num, res.describe()
    assert res.duration < 10, res.describe()


# ---- (d) orphans and leftovers ----------------------------------------------------------------

@pytest.mark.timeout(60)
@pytest.mark.parametrize("user", sorted(USERS))
def test_orphans_reaped_in_container(container, user):
    env = {**USERS[user], "SELFTEST_ORPHANS": "20",
           "EXPECT_UID": "1000" if user == "app" else "0"}
    res = container(SELFTEST, env).run()
    assert_selftest(res, env)
    assert "(40 made)" in res.stdout, res.describe()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("user", sorted(USERS))
def test_leftover_processes_get_term_when_app_exits(container, user):
    """The app exits leaving a daemon; capinit TERMs it and ends at once with the
    app's status (as app: capinit needs the CAP_KILL it kept to reach uid 1000).
    The grace period is long, so that "at once" is told apart from "waited out
    the grace period" with room for runc's own start-up on a slow machine."""
    res = container(["/capinit", "--", "/bin/sh", "-c",
                     "sleep 1000 </dev/null >/dev/null 2>&1 & echo %s; exit 3" % APP_MARKER],
                    {**USERS[user], "CAPINIT_GRACE": "40"}).run()
    print(res.describe())
    assert APP_MARKER in res.stdout and res.status == 3, res.describe()
    assert res.duration < 20, "capinit waited for the leftover\n" + res.describe()


@pytest.mark.timeout(60)
def test_grace_bounds_wait_for_leftover_ignoring_term(container):
    """A leftover that ignores TERM holds capinit for the grace period, no longer.
    The shell ignores TERM before it forks, so the leftover has SIG_IGN from its
    first instruction: a trap set inside the subshell could lose the race with
    the app's exit and capinit's TERM, and the test would then see no wait."""
    res = container(["/capinit", "--", "/bin/sh", "-c",
                     "trap '' TERM; (while :; do sleep 1; done) </dev/null >/dev/null 2>&1 & "
                     "echo %s; exit 4" % APP_MARKER],
                    {"CAPINIT_GRACE": "2"}).run()
    print(res.describe())
    assert APP_MARKER in res.stdout and res.status == 4, res.describe()
    # at least the grace period; far less than forever (the leftover never ends)
    assert 1.9 <= res.duration < 20, res.describe()


# ---- (e) a spec that is invalid, or cannot be applied, stops the container ------------------

APP = ["/capinit", "--", "/bin/sh", "-c", "echo %s" % APP_MARKER]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("env,names", [
    ({"CAPINIT_CAP_DROP": "NET_BIND_SERVCE"}, ["CAPINIT_CAP_DROP", "NET_BIND_SERVCE"]),
    ({"CAPINIT_CAP_DROP": "ALL", "CAPINIT_CAP_ADD": "ALL"}, ["CAPINIT_CAP_ADD", "ALL"]),
    ({"CAPINIT_CAP_DROP": "NET_RAW", "CAPINIT_CAP_ADD": "net_raw"}, ["NET_RAW"]),
    ({"CAPINIT_CAP_ADD": "NET_BIND_SERVICE;KILL"}, ["CAPINIT_CAP_ADD"]),
    ({"CAPINIT_USER": "nosuchuser"}, ["CAPINIT_USER", "nosuchuser"]),
    ({"CAPINIT_USER": "4242"}, ["CAPINIT_USER", "4242"]),
    ({"CAPINIT_CAPDROP": "ALL"}, ["CAPINIT_CAPDROP"]),
    ({"CAPINIT_NO_NEW_PRIVS": "maybe"}, ["CAPINIT_NO_NEW_PRIVS", "maybe"]),
], ids=["misspelt-cap", "add-all", "add-and-drop", "bad-separator", "unknown-user",
        "uid-without-group", "misspelt-variable", "bad-bool"])
def test_invalid_spec_exits_2_before_the_app(container, env, names):
    res = container(APP, env).run()
    print(res.describe())
    assert res.status == 2, res.describe()
    assert APP_MARKER not in res.stdout, res.describe()
    err = res.stderr.strip()
    assert len(err.splitlines()) == 1, "want one line on stderr\n" + res.describe()
    for name in names:
        assert name in err, "stderr does not name %r\n%s" % (name, res.describe())


@pytest.mark.timeout(60)
def test_misspelt_capability_gets_a_suggestion(container):
    res = container(APP, {"CAPINIT_CAP_DROP": "NET_BIND_SERVCE"}).run()
    assert res.status == 2, res.describe()
    assert re.search(r"NET_BIND_SERVICE", res.stderr, re.I), res.describe()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("env,caps,names", [
    # asks for a capability the runtime did not grant
    ({"CAPINIT_CAP_DROP": "ALL", "CAPINIT_CAP_ADD": "SYS_ADMIN"}, None, ["SYS_ADMIN"]),
    # root child, but the runtime gave no CAP_SETPCAP: the bounding set cannot shrink
    ({"CAPINIT_CAP_DROP": "ALL", "CAPINIT_CAP_ADD": "NET_BIND_SERVICE"},
     [c for c in oci.DOCKER_DEFAULT_CAPS if c != "SETPCAP"], ["SETPCAP"]),
    # non-root child without no_new_privs, and no CAP_SETPCAP to shrink the bounding set
    ({**SEED, "CAPINIT_USER": "app", "CAPINIT_NO_NEW_PRIVS": "0"},
     ["NET_BIND_SERVICE", "SETUID", "SETGID", "KILL"], ["SETPCAP"]),
    # user switch without CAP_SETUID/CAP_SETGID
    ({"CAPINIT_USER": "app"},
     [c for c in oci.DOCKER_DEFAULT_CAPS if c not in ("SETUID", "SETGID")], []),
], ids=["add-not-granted", "no-setpcap-as-root", "no-setpcap-without-nnp", "no-setuid"])
def test_unapplicable_spec_exits_125_before_the_app(container, env, caps, names):
    kw = {} if caps is None else {"caps": caps}
    res = container(APP, env, **kw).run()
    print(res.describe())
    assert res.status == 125, res.describe()
    assert APP_MARKER not in res.stdout, res.describe()
    assert res.stderr.strip(), res.describe()
    for name in names:
        assert name in res.stderr, res.describe()


@pytest.mark.timeout(60)
def test_add_not_granted_names_the_runtime_setting(container):
    res = container(APP, {"CAPINIT_CAP_DROP": "ALL", "CAPINIT_CAP_ADD": "SYS_ADMIN"}).run()
    assert res.status == 125, res.describe()
    assert re.search(r"cap-add|capabilities\.add", res.stderr), res.describe()


# ---- (f) started as non-root without capabilities (runAsUser: 1000) -----------------------------

@pytest.mark.timeout(60)
def test_runtime_runs_capinit_as_nonroot(container):
    """No capability to give away: capinit still is a working init."""
    env = {**expect_sets(NONE, NONE, DOCKER, NONE, NONE), "EXPECT_UID": "1000"}
    res = container(SELFTEST, env, uid=1000, gid=1000).run()
    assert_selftest(res, env)


@pytest.mark.timeout(60)
def test_runtime_runs_capinit_as_nonroot_drop_all(container):
    """A non-root child under no_new_privs cannot regain anything: capinit runs it
    even though the bounding set cannot shrink (SPEC: Fail closed)."""
    env = {"CAPINIT_CAP_DROP": "ALL", "EXPECT_CAPEFF": NONE, "EXPECT_CAPPRM": NONE,
           "EXPECT_CAPAMB": NONE, "EXPECT_NONEWPRIVS": "1", "EXPECT_UID": "1000"}
    res = container(SELFTEST, env, uid=1000, gid=1000).run()
    assert_selftest(res, env)


@pytest.mark.timeout(60)
def test_runtime_runs_capinit_as_nonroot_add_fails(container):
    res = container(APP, dict(SEED), uid=1000, gid=1000).run()
    print(res.describe())
    assert res.status == 125, res.describe()
    assert APP_MARKER not in res.stdout, res.describe()
    assert "NET_BIND_SERVICE" in res.stderr, res.describe()


@pytest.mark.timeout(60)
def test_runtime_runs_capinit_as_nonroot_kill(container):
    b = container(["/capinit", "--", "/bin/sh", "-c", TRAPPING_APP], {}, uid=1000, gid=1000)
    with b.start() as c:
        c.wait_for_output("ready")
        c.kill("TERM")
        res = c.wait(timeout=30)
    assert "got TERM" in res.stdout and res.status == 43, res.describe()


# ---- (g) the Kubernetes recipe of docs/containers.md -------------------------------------

def pod_recipe():
    """The Pod manifest's container settings in docs/containers.md."""
    text = DOCS.read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
    pods = [b for b in blocks if re.search(r"^kind:\s*Pod\s*$", b, re.M)]
    assert pods, "docs/containers.md has no ```yaml block with kind: Pod"
    y = pods[0]

    def flow_list(key):
        m = re.search(r"^\s*%s:\s*\[(.*?)\]\s*$" % key, y, re.M)
        assert m, "no `%s: [...]` in the Pod manifest" % key
        return [t.strip().strip("\"'") for t in m.group(1).split(",") if t.strip()]

    def scalar(key):
        m = re.search(r"^\s*%s:\s*(\S+)\s*$" % key, y, re.M)
        assert m, "no `%s:` in the Pod manifest" % key
        return m.group(1).strip("\"'")

    env = dict(re.findall(r"-\s*name:\s*(CAPINIT_\w+)\s*\n\s*value:\s*\"?([^\"\n]*)\"?", y))
    return {"drop": flow_list("drop"), "add": flow_list("add"),
            "runAsUser": int(scalar("runAsUser")),
            "allowPrivilegeEscalation": scalar("allowPrivilegeEscalation") == "true",
            "env": env}


def pod_bundle(container, recipe, args, extra_env):
    # What containerd's CRI makes of that securityContext: capabilities add
    # after drop ALL in bounding/effective/permitted (inheritable and ambient
    # empty), no_new_privs from allowPrivilegeEscalation: false.
    assert recipe["drop"] == ["ALL"]
    return container(args, {**recipe["env"], **extra_env},
                     caps=recipe["add"], uid=recipe["runAsUser"], gid=0,
                     no_new_privileges=not recipe["allowPrivilegeEscalation"])


@pytest.mark.timeout(60)
def test_kubernetes_pod_recipe_from_docs(container):
    recipe = pod_recipe()
    assert recipe["runAsUser"] == 0 and recipe["allowPrivilegeEscalation"] is False
    env = {**expect_sets(NBS, NBS, NBS, NBS, NBS), "EXPECT_UID": "1000",
           "EXPECT_HOME": "/home/app", "EXPECT_BIND_PORT": "80",
           "EXPECT_PID1_CAPBND": NONE, "EXPECT_PID1_NONEWPRIVS": "1"}
    if "KILL" in recipe["add"]:
        env["EXPECT_PID1_CAPEFF"] = KILL
    res = pod_bundle(container, recipe, SELFTEST, env).run()
    assert_selftest(res, env)


@pytest.mark.timeout(60)
def test_pod_without_setpcap_runs_nonroot_app_under_nnp(container):
    """The Pod recipe less SETPCAP: the bounding set cannot shrink, but the app
    is non-root under no_new_privs, so capinit runs it (SPEC: Fail closed) with
    exactly NET_BIND_SERVICE; its bounding set is what the runtime granted."""
    grant = ["NET_BIND_SERVICE", "SETUID", "SETGID", "KILL"]
    env = {**SEED, "CAPINIT_USER": "app",
           **expect_sets(NBS, NBS, oci.hexmask(oci.cap_mask(grant)), NBS, NBS),
           "EXPECT_UID": "1000", "EXPECT_BIND_PORT": "80"}
    res = container(SELFTEST, env, caps=grant, no_new_privileges=True).run()
    assert_selftest(res, env)


@pytest.mark.timeout(60)
def test_kubernetes_pod_recipe_from_docs_forwards_term(container):
    """kubelet stops a pod with SIGTERM to PID 1: it must reach the uid-1000 app."""
    recipe = pod_recipe()
    b = pod_bundle(container, recipe, ["/capinit", "--", "/bin/sh", "-c", TRAPPING_APP], {})
    with b.start() as c:
        c.wait_for_output("ready")
        c.kill("TERM")
        res = c.wait(timeout=30)
    print(res.describe())
    assert "got TERM" in res.stdout and res.status == 43, res.describe()


# ---- (h) Dockerfile.test, as `docker run --rm capinit-test` runs it ---------------------------

@pytest.mark.timeout(30)
def test_dockerfile_test_layout():
    img = oci.dockerfile_image_config()
    assert img["from"] == "scratch"
    assert img["entrypoint"] == ["/capinit", "--"]
    assert img["cmd"] and img["cmd"][-1] == "/selftest.sh"
    for k, v in {"CAPINIT_CAP_DROP": "ALL", "CAPINIT_CAP_ADD": "NET_BIND_SERVICE",
                 "CAPINIT_USER": "app"}.items():
        assert img["env"].get(k) == v, img["env"]
    assert any(k.startswith("EXPECT_") for k in img["env"]), img["env"]
    copies = " ".join(c for st in img["stages"] for c in st["copies"])
    assert "tests/container/selftest.sh" in copies and "tests/container/rootfs/" in copies
    build = [st for st in img["stages"] if "AS build" in st["from"]]
    assert build, "no build stage"
    text = oci.DOCKERFILE_TEST.read_text()
    for pkg in ("build-base", "libcap-dev", "libcap-static", "linux-headers"):
        assert pkg in text


NARROW_GRANT = ["NET_BIND_SERVICE", "SETUID", "SETGID", "SETPCAP", "KILL"]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("grant", ["docker-default", "narrow-nnp"])
def test_dockerfile_test_image_under_runc(container, grant):
    """ENV, ENTRYPOINT and CMD read from Dockerfile.test, run as Docker would:
    Docker's default capabilities, no_new_privs off, PATH/HOSTNAME/HOME added;
    and with the narrow grant docs/containers.md suggests checking
    (--cap-drop=ALL --cap-add=NET_BIND_SERVICE,SETUID,SETGID,SETPCAP,KILL
    --security-opt=no-new-privileges). Docker also sets
    net.ipv4.ip_unprivileged_port_start=0 in the container's network
    namespace; it is left at 1024 here, so port 80 proves the capability."""
    img = oci.dockerfile_image_config()
    assert img["user"] is None, "USER in Dockerfile.test: capinit must start as root"
    kw = {} if grant == "docker-default" else {"caps": NARROW_GRANT, "no_new_privileges": True}
    b = container(img["argv"], {}, **kw)
    env = {"PATH": oci.DOCKER_DEFAULT_PATH, "HOSTNAME": b.container_id[:12]}
    env.update(img["env"])
    env.setdefault("HOME", "/root")
    b.env = env
    b.cwd = img["workdir"] or "/"
    res = b.run()
    assert_selftest(res, env)


# ---- (i) docker run --init with the daemon's init-path pointing at capinit ----------------------

@pytest.mark.timeout(60)
def test_docker_init_path(container, tmp_path):
    """dockerd --init-path=capinit: the binary is bind-mounted read-only at
    /sbin/docker-init and the container runs `docker-init -- ENTRYPOINT CMD`,
    here with the spec given as `docker run -e` variables."""
    rf = oci.build_rootfs(tmp_path / "rootfs-noinit")
    os.unlink(rf / "capinit")
    mount = {"destination": "/sbin/docker-init", "type": "bind",
             "source": str(oci.capinit_binary().resolve()), "options": ["bind", "ro"]}
    env = {**SEED, "CAPINIT_USER": "app", "EXPECT_PID1": "docker-init",
           **expect_sets(NBS, NBS, NBS, NBS, NBS), "EXPECT_UID": "1000",
           "EXPECT_BIND_PORT": "80"}
    res = container(["docker-init", "--", "/bin/sh", "/selftest.sh"], env,
                    rootfs_dir=rf, mounts=[mount]).run()
    assert_selftest(res, env)


# ---- (j) docker exec'd processes and docker run -it ----------------------------------------

ZOMBIE_SCAN = ("for f in /proc/[0-9]*/stat; do "
               "{ read -r l; } 2>/dev/null <\"$f\" || continue; "
               "s=${l##*) }; set -- $s; [ \"$1\" = Z ] && echo \"zombie: $l\"; "
               "done; echo scanned")


@pytest.mark.timeout(60)
@pytest.mark.parametrize("user", sorted(USERS))
def test_orphans_of_exec_processes_reaped(container, user):
    """Orphans of `runc exec` (docker exec) processes are re-parented to
    capinit, which did not start them, and must be reaped all the same."""
    b = container(["/capinit", "--", "/bin/sh", "-c", PLAIN_APP], USERS[user])
    with b.start() as c:
        c.wait_for_output("ready")
        for _ in range(5):
            r = c.exec(["/bin/sh", "-c", "sleep 0.2 </dev/null >/dev/null 2>&1 & exit 0"])
            assert r.returncode == 0, r
            r = c.exec(["/bin/sh", "-c", "sleep 0 </dev/null >/dev/null 2>&1 & exec sleep 0.2"])
            assert r.returncode == 0, r
        deadline = time.monotonic() + 5
        while True:
            time.sleep(0.3)
            scan = c.exec(["/bin/sh", "-c", ZOMBIE_SCAN])
            assert "scanned" in scan.stdout, scan
            if "zombie" not in scan.stdout or time.monotonic() > deadline:
                break
        print(scan.stdout)
        assert "zombie" not in scan.stdout, scan.stdout
        c.kill("TERM")
        res = c.wait(timeout=30)
    assert res.status == 143, res.describe()


TTY_APP = ("read -r _ _ _ _ pgrp _ _ tpgid _ </proc/self/stat; "
           "read -r _ _ _ _ pgrp1 _ </proc/1/stat; "
           "echo \"pgrp=$pgrp tpgid=$tpgid pid1pgrp=$pgrp1\"; "
           "trap 'echo got INT; exit 42' INT; echo ready; "
           "while :; do sleep 0.1; done")


@pytest.mark.timeout(60)
@pytest.mark.parametrize("user", sorted(USERS))
def test_terminal_ctrl_c_reaches_app(container, user):
    """docker run -it: the app gets its own process group in the terminal's
    foreground, so Ctrl-C (the tty's SIGINT) reaches it directly."""
    b = container(["/capinit", "--", "/bin/sh", "-c", TTY_APP], USERS[user])

    def interact(tty):
        tty.read_until("ready")
        tty.write(b"\x03")
        tty.read_until("got INT")

    res = b.run_tty(interact)
    print(res.describe())
    m = re.search(r"pgrp=(\d+) tpgid=(-?\d+) pid1pgrp=(\d+)", res.stdout)
    assert m, res.describe()
    pgrp, tpgid, pid1pgrp = m.groups()
    assert pgrp == tpgid, "the app is not in the terminal's foreground group\n" + res.describe()
    assert pgrp != pid1pgrp, "the app shares capinit's process group\n" + res.describe()
    assert "got INT" in res.stdout and res.status == 42, res.describe()


@pytest.mark.timeout(60)
def test_print_plan_in_container(container):
    """docker run -e CAPINIT_PRINT=1 IMAGE: the plan, computed against what the
    runtime granted, and nothing run."""
    res = container(APP, {**SEED, "CAPINIT_USER": "app", "CAPINIT_PRINT": "1"}).run()
    print(res.describe())
    assert res.status == 0 and APP_MARKER not in res.stdout, res.describe()
    plan = res.stdout + res.stderr
    assert DOCKER in plan, "the runtime's set is not in the plan\n" + res.describe()
    assert NBS in plan and "1000" in plan, res.describe()
