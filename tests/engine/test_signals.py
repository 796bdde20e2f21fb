"""`docker stop` / `podman stop` and `kill -s` through capinit, side by side
with the inits the engines bring: Debian's docker-init (tini) under `docker
run --init`, Podman's catatonit under `podman run --init`, and capinit in
both places (the daemon's init-path from README's daemon.json, `podman run
--init --init-path`). Orphans, leftovers and the grace period.

Statuses and behaviour are asserted, never times; each stop's wall time is
recorded in build/engine/stops.jsonl for tests/engine/stop_table.py, which
writes the table of docs/engines.md."""

import json
import time

import pytest

import engine as E

pytestmark = pytest.mark.timeout(240)

STOP_T = 2        # docker stop -t: the engine's grace before SIGKILL
STOPS = E.STATE / "stops.jsonl"

# init under test -> (image, extra run args, daemon config it needs)
INITS = {
    "docker": {
        "capinit (ENTRYPOINT)": ("busybox", [], "capinit"),
        "capinit (--init, daemon init-path)": ("plain", ["--init"], "capinit"),
        "tini (--init, Debian's docker-init)": ("plain", ["--init"], "default"),
    },
    "podman": {
        "capinit (ENTRYPOINT)": ("busybox", [], None),
        "capinit (--init --init-path)": ("plain", ["--init", "--init-path=%s" % E.CAPINIT], None),
        "catatonit (--init, Podman's default)": ("plain", ["--init"], None),
    },
}
CASES = [(eng, init) for eng in INITS for init in INITS[eng]]
IDS = ["%s-%s" % (eng, init.split()[0] + ("-init" if "--init" in init else "")) for eng, init in CASES]

APP = {"trap": 42, "default": 143, "ignore": 137}   # --wait=MODE -> status after stop


def marks(eng, init):
    m = []
    if INITS[eng][init][2] == "default":
        m.append(pytest.mark.default_daemon)
    return m


PARAMS = [pytest.param(eng, init, marks=marks(eng, init), id=i) for (eng, init), i in zip(CASES, IDS)]


def prepare(eng_name, init, image_store, tmp_path_factory):
    from conftest import Images, _checked
    eng = _checked(next(e for e in E.ENGINES if e.name == eng_name))
    image, args, daemon = INITS[eng_name][init]
    if daemon:
        err = E.ensure_daemon(daemon)
        if err:
            pytest.fail(err)
    imgs = image_store.get(eng_name)
    if imgs is None:
        imgs = image_store[eng_name] = Images(eng, tmp_path_factory.mktemp("img-" + eng_name))
    # The busybox image's ENTRYPOINT is capinit (the app is CMD), the plain
    # image's is the app itself.
    app = ["/app"] if image == "busybox" else []
    return eng, imgs.get(image), list(args), app


def record(eng, init, app, status, seconds):
    with STOPS.open("a") as f:
        f.write(json.dumps({"engine": eng.name, "version": eng.version(), "init": init,
                            "app": app, "status": status, "seconds": round(seconds, 2)}) + "\n")


@pytest.mark.parametrize("eng_name,init", PARAMS)
@pytest.mark.parametrize("mode", ["trap", "default", "ignore"])
def test_stop(eng_name, init, mode, image_store, tmp_path_factory):
    eng, image, args, app = prepare(eng_name, init, image_store, tmp_path_factory)
    c = eng.live(image, *app, "--wait=" + mode, args=args)
    try:
        out = c.expect("ready")
        pid1 = E.parse_report(out)["pid1"]
        if "capinit (ENTRYPOINT)" == init:
            assert pid1 == "/capinit", out
        else:
            assert pid1 in ("/sbin/docker-init", "/run/podman-init"), out
        t0 = time.monotonic()
        r = eng("stop", "-t", STOP_T, c.name, timeout=60)
        took = time.monotonic() - t0
        assert r.rc == 0, r
        status = c.status()
        record(eng, init, mode, status, took)
        assert status == APP[mode], (status, c.out, c.err)
        assert ("term" in c.out.splitlines()) == (mode == "trap"), c.out
    finally:
        c.close()


SIGNALS = ["HUP", "INT", "QUIT", "USR1", "USR2", "WINCH"]
SIGNUM = {"HUP": 1, "INT": 2, "QUIT": 3, "USR1": 10, "USR2": 12, "WINCH": 28}


@pytest.mark.parametrize("eng_name,init", PARAMS)
def test_kill_signals_forwarded(eng_name, init, image_store, tmp_path_factory):
    eng, image, args, app = prepare(eng_name, init, image_store, tmp_path_factory)
    c = eng.live(image, *app, "--wait=trap", args=args)
    try:
        c.expect("ready")
        for s in SIGNALS:
            assert eng("kill", "-s", s, c.name).rc == 0
            c.expect("signal %d" % SIGNUM[s])
        assert eng("kill", "-s", "TERM", c.name).rc == 0
        assert c.status() == 42, (c.out, c.err)
    finally:
        c.close()


def test_stop_reaches_app_of_another_uid(engine, images):
    """The app runs as app (1000) under capinit: forwarding needs capinit's
    kept CAP_KILL."""
    c = engine.live(images.get("busybox"), "/app", "--wait=trap", env=dict(E.SEED, CAPINIT_USER="app"))
    try:
        out = c.expect("ready")
        assert E.parse_report(out)["Uid"].startswith("1000 "), out
        assert engine("stop", "-t", 20, c.name, timeout=60).rc == 0
        assert c.status() == 42, (c.out, c.err)
    finally:
        c.close()


@pytest.mark.parametrize("user", [None, "app"])
def test_orphans_reaped(engine, images, user):
    env = {"CAPINIT_USER": user} if user else {}
    r = engine.run(images.get("busybox"), "/app", "--orphans=8", env=env)
    assert r.rc == 0, r
    assert r.report["orphans"] == "8" and r.report["zombies"] == "0", r


def test_leftover_gets_term_when_app_exits(engine, images, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    r = engine.run(images.get("busybox"), "/app", "--leftover=trap:/out/got-term",
                   args=["-v", "%s:/out" % out])
    assert r.rc == 7, r
    assert (out / "got-term").read_text() == "term\n"


def test_grace_bounds_wait_for_leftover_ignoring_term(engine, images):
    """The leftover ignores SIGTERM and would live 60 s: capinit leaves after
    CAPINIT_GRACE=1 with the app's status, and the kernel kills the rest."""
    r = engine.run(images.get("busybox"), "/app", "--leftover=ignore:/dev/null",
                   env={"CAPINIT_GRACE": "1"}, timeout=45)
    assert r.rc == 7, r
