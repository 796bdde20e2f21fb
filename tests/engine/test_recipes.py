"""The README's engine recipes, read out of README.md and docs/ (so the docs
cannot drift from what is tested): the daemon.json init-path with `docker run
--init`, `podman run --init --init-path`, the Kubernetes Pod played by
`podman kube play`, and Dockerfile.test built and run by a real builder."""

import re
import shlex
import subprocess
import time

import pytest

import engine as E

pytestmark = pytest.mark.timeout(300)

README = E.REPO / "README.md"
DOCS = E.REPO / "docs" / "containers.md"


@pytest.fixture(scope="module")
def capinit_daemon(docker):
    err = E.ensure_daemon("capinit")
    if err:
        pytest.fail(err)
    return docker


def test_daemon_json_init_is_capinit_without_version_warning(capinit_daemon):
    """dockerd runs `INIT --version` for `docker info` and parses tini's
    format; README's init-path names a docker-init link to capinit, so it
    gets capinit's answer in that format, and logs no parse failure."""
    log = E.STATE / "dockerd.log"
    before = log.stat().st_size
    r = capinit_daemon("info", "-f", "{{.InitBinary}} {{json .InitCommit}}", check=True)
    time.sleep(0.5)
    new = log.read_bytes()[before:].decode(errors="replace")
    warned = [l for l in new.splitlines() if "init" in l.lower() and "parse" in l.lower()]
    version = E.sh([str(E.DAEMON_BIN / "docker-init"), "--version"]).out.strip()
    assert not warned, "dockerd: %s (docker-init --version says %r)" % (warned, version)
    assert '"ID":""' not in r.out.replace(" ", ""), (r.out, version)


def run_block(name, path=README):
    return E.snippets(path)[name]


def test_docker_run_init_recipe(capinit_daemon, image_store, tmp_path_factory):
    """README's `docker run --init -e ...` line on an image without capinit:
    the daemon's init (capinit, from daemon.json) is PID 1 at
    /sbin/docker-init and narrows to NET_BIND_SERVICE."""
    from conftest import Images
    imgs = image_store.setdefault("docker", Images(capinit_daemon, tmp_path_factory.mktemp("img-d")))
    lines = [c["cmd"] for c in E.command_lines(run_block("run-init"), "docker")]
    assert len(lines) == 1, lines
    argv = shlex.split(lines[0])
    assert argv[:3] == ["docker", "run", "--init"] and argv[-1] == "myimage", argv
    r = capinit_daemon.run(imgs.get("plain"), args=argv[2:-1] + E.PORT_SYSCTL)
    assert r.rc == 0, r
    rep = r.report
    assert rep["pid1"] == "/sbin/docker-init", r
    assert (rep["CapEff"], rep["CapBnd"], rep["CapAmb"]) == (E.NBS, E.NBS, E.NONE), r
    assert rep["bind80"] == "ok" and rep["NoNewPrivs"] == "1", r


def test_docs_docker_run_init_as_app(capinit_daemon, image_store, tmp_path_factory):
    from conftest import Images
    imgs = image_store.setdefault("docker", Images(capinit_daemon, tmp_path_factory.mktemp("img-d")))
    lines = [c["cmd"] for c in E.command_lines(run_block("run-init", DOCS), "docker")]
    assert len(lines) == 1, lines
    argv = shlex.split(lines[0])
    assert argv[-1] == "myimage", argv
    r = capinit_daemon.run(imgs.get("plain"), args=[a for a in argv[2:-1] if a != "--rm"] + E.PORT_SYSCTL)
    assert r.rc == 0, r
    rep = r.report
    assert rep["Uid"] == "1000 1000 1000 1000" and rep["CapAmb"] == E.NBS, r
    assert rep["bind80"] == "ok", r


def test_podman_run_init_path_recipe(podman, image_store, tmp_path_factory):
    from conftest import Images
    imgs = image_store.setdefault("podman", Images(podman, tmp_path_factory.mktemp("img-p")))
    lines = [c["cmd"] for c in E.command_lines(run_block("run-init"), "podman")]
    assert len(lines) == 1, lines
    argv = shlex.split(lines[0])
    assert argv[-1] == "myimage", argv
    args = [re.sub(r"^--init-path=/usr/local/bin/capinit$", "--init-path=%s" % E.CAPINIT, a)
            for a in argv[2:-1]]
    assert "--init-path=%s" % E.CAPINIT in args, argv
    r = podman.run(imgs.get("plain"), args=args + E.PORT_SYSCTL)
    assert r.rc == 0, r
    rep = r.report
    assert rep["pid1"] == "/run/podman-init", r
    assert (rep["CapEff"], rep["CapBnd"]) == (E.NBS, E.NBS) and rep["bind80"] == "ok", r


@pytest.mark.parametrize("doc", ["README.md", "docs/containers.md"])
def test_kubernetes_pod_via_podman_kube_play(podman, image_store, tmp_path_factory, tmp_path, doc):
    """The Pod manifest, image pointed at the local busybox image (ENTRYPOINT
    capinit, CMD the probe): podman honours securityContext, so this is the
    manifest's own grant, user and no_new_privs."""
    from conftest import Images
    imgs = image_store.setdefault("podman", Images(podman, tmp_path_factory.mktemp("img-p")))
    image = "localhost/" + imgs.get("busybox")
    yaml_text = run_block("pod", E.REPO / doc)
    yaml_text, n = re.subn(r"image: registry\.example\.com/web:1\.0", "image: " + image, yaml_text)
    assert n == 1, yaml_text
    # The probe binds :80 and exits; a Pod restarts by default.
    yaml_text = yaml_text.replace("spec:\n  containers:", "spec:\n  restartPolicy: Never\n  containers:", 1)
    pod = tmp_path / "pod.yaml"
    pod.write_text(yaml_text)
    podman("kube", "down", pod)
    try:
        r = podman("kube", "play", pod, timeout=120)
        assert r.rc == 0, r
        name = "web-web"
        st = podman("wait", name, timeout=60)
        assert st.rc == 0, st
        assert st.out.strip() == "0", (st, podman("logs", name))
        rep = E.parse_report(podman("logs", name).out)
        for k in ("CapEff", "CapPrm", "CapBnd", "CapInh", "CapAmb"):
            assert rep[k] == E.NBS, rep
        assert rep["Uid"] == "1000 1000 1000 1000" and rep["NoNewPrivs"] == "1", rep
        assert rep["bind80"] == "ok" and rep["pid1"] == "/capinit", rep
    finally:
        podman("kube", "down", pod)


def test_dockerfile_test_built_and_run(capinit_daemon):
    """README's self-test line, as written, with Debian's docker client:
    `docker build -f Dockerfile.test -t capinit-test . && docker run --rm
    capinit-test`. The build stage starts from the local debootstrap base."""
    done = E.STATE / "base.done"
    if not done.exists() and (E.STATE / "base.log").exists():
        # scripts/engine-test.sh makes the base in the background meanwhile.
        deadline = time.monotonic() + 240
        while not done.exists() and time.monotonic() < deadline:
            time.sleep(1)
    base = capinit_daemon("image", "inspect", "capinit-build-base:bookworm")
    if base.rc != 0:
        log = E.STATE / "base.log"
        pytest.fail("capinit-build-base:bookworm is missing (scripts/engine-setup.sh base makes it): %s"
                    % (log.read_text()[-2000:] if log.exists() else "no base.log"))
    line = [c["cmd"] for c in E.command_lines(run_block("selftest"), "docker")]
    assert line == ["docker build -f Dockerfile.test -t capinit-test . && docker run --rm capinit-test"], line
    cmd = line[0].replace("docker ", capinit_daemon.bin + " ")
    p = subprocess.run(["bash", "-c", cmd], cwd=E.REPO, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=280)
    assert p.returncode == 0, p.stdout[-4000:]
    assert re.search(r"^# selftest: (\d+) checks, 0 failed$", p.stdout, re.M), p.stdout[-3000:]
    assert "not ok" not in p.stdout, p.stdout[-3000:]


def test_dockerfile_test_narrow_grant(capinit_daemon):
    """docs' narrow-grant line for the self-test image."""
    blocks = [c["cmd"] for c in E.command_lines(run_block("selftest-narrow", DOCS), "docker")]
    assert len(blocks) == 1, blocks
    argv = shlex.split(blocks[0])
    assert argv[-1] == "capinit-test", argv
    if capinit_daemon("image", "inspect", "capinit-test").rc != 0:
        pytest.fail("capinit-test is not built (test_dockerfile_test_built_and_run builds it)")
    r = capinit_daemon(*argv[1:], timeout=120)
    assert r.rc == 0, r
    assert "# selftest: " in r.out and "not ok" not in r.out, r
