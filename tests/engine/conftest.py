"""Fixtures of tests/engine: the engines (failing with the reason when one
cannot answer, never skipping) and the images, built from local files only."""

import os
import re
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import engine as E  # noqa: E402


def pytest_report_header(config):
    return ["engines: " + "; ".join("%s: %s" % (e.name, e.version()) for e in E.ENGINES)]


def pytest_collection_modifyitems(config, items):
    # Tests that need dockerd reconfigured (tini as its init) run last, so the
    # daemon is restarted once, not back and forth.
    # Dockerfile.test's builds and the probe's Debian images go just before
    # them: their base is made in the background while the rest runs
    # (scripts/engine-test.sh).
    def order(it):
        if it.get_closest_marker("default_daemon"):
            return 2
        late = "dockerfile_test" in it.nodeid or "debian" in it.nodeid
        return 1 if late else 0
    items.sort(key=order)


def pytest_configure(config):
    config.addinivalue_line("markers", "default_daemon: needs dockerd with its default init")


@pytest.fixture(scope="session", params=E.ENGINES, ids=str)
def engine(request):
    return _checked(request.param)


def _checked(eng):
    if os.geteuid() != 0:
        pytest.fail("tests/engine needs root (rootful engines)")
    for f in (E.CAPINIT, E.PROBE):
        if not f.exists():
            pytest.fail("%s is missing: make build/capinit build/engine/probe" % f)
    r = eng("info", timeout=60)
    if r.rc != 0:
        pytest.fail("%s cannot run here (`%s info` failed: %s); scripts/engine-setup.sh start "
                    "starts dockerd" % (eng, eng.bin, (r.err or r.out).strip()[-500:]))
    return eng


@pytest.fixture(scope="session")
def docker():
    return _checked(E.ENGINES[0])


@pytest.fixture(scope="session")
def podman():
    return _checked(E.ENGINES[1])


DOCKERFILES = {
    # capinit as ENTRYPOINT, spec from -e: the base of most tests.
    "busybox": 'FROM scratch\nCOPY root/ /\nENTRYPOINT ["/capinit", "--"]\nCMD ["/app"]\n',
    # No capinit in the image: for `run --init`, where the engine brings it.
    "plain": 'FROM scratch\nCOPY root/ /\nENTRYPOINT ["/app"]\n',
    # USER app in the image and CAPINIT_USER=app (SPEC "Already the target user").
    "userapp": 'FROM scratch\nCOPY root/ /\nUSER app\nENV CAPINIT_USER=app\n'
               'ENTRYPOINT ["/capinit", "--"]\nCMD ["/app"]\n',
}

DEBIAN_NGINX = """ARG BASE=capinit-build-base:bookworm
FROM ${BASE}
RUN printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod 0755 /usr/sbin/policy-rc.d \\
 && apt-get update -q \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nginx \\
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/lib/nginx/* /run/nginx.pid
EXPOSE 80
CMD ["nginx", "-g", "daemon off;"]
"""

DISTROLESS_PASSWD = ("root:x:0:0:root:/root:/sbin/nologin\n"
                     "nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n"
                     "nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")
DISTROLESS_GROUP = "root:x:0:\nnobody:x:65534:\ntty:x:5:\nstaff:x:50:\nnonroot:x:65532:\n"


class Images:
    """Image names per engine, built once per session."""

    def __init__(self, eng, tmp):
        self.eng, self.tmp, self.built = eng, Path(tmp), {}

    def _ctx(self, name):
        d = self.tmp / name
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
        return d

    def get(self, name):
        if name not in self.built:
            tag = "capinit-engine-" + name
            ctx, extra = getattr(self, "_make_" + name.replace("-", "_"), self._make_simple)(name)
            self.eng.build(tag, ctx, extra=extra)
            self.built[name] = tag
        return self.built[name]

    def _make_simple(self, name):
        d = self._ctx(name)
        E.busybox_tree(d / "root")
        (d / "Dockerfile").write_text(DOCKERFILES[name])
        return d, ()

    def _make_userns(self, name):
        """The busybox image plus tests/integration/helpers/userns_try.c,
        static (glibc: its pthread_create tries clone3 first), at
        /userns_try."""
        d = self._ctx(name)
        E.busybox_tree(d / "root")
        src = E.REPO / "tests" / "integration" / "helpers" / "userns_try.c"
        E.sh(["cc", "-static", "-O2", "-pthread", "-o", str(d / "root" / "userns_try"), str(src)],
             check=True)
        (d / "Dockerfile").write_text(DOCKERFILES["busybox"])
        return d, ()

    def _make_readme(self, name):
        """README's first recipe, verbatim: FROM scratch, capinit, app, the
        ENV spec with CAPINIT_USER=1000:1000, CMD /app --listen=:80."""
        d = self._ctx(name)
        shutil.copy2(E.CAPINIT, d / "capinit")
        shutil.copy2(E.PROBE, d / "app")
        (d / "Dockerfile").write_text(E.snippets(E.REPO / "README.md")["dockerfile"])
        return d, ()

    def _make_any_image(self, name):
        """README's "Any image" lines on top of the busybox image (it has
        /etc/passwd with app)."""
        base = self.get("busybox")
        d = self._ctx(name)
        shutil.copy2(E.CAPINIT, d / "capinit")
        text = "FROM %s\n%sCMD [\"/app\"]\n" % (base, E.snippets(E.REPO / "README.md")["any-image"])
        (d / "Dockerfile").write_text(text)
        return d, ()

    def _make_debian_nginx(self, name):
        """nginx from Debian on the local debootstrap base, in its package's
        first-start state: /var/lib/nginx empty (nginx creates and chowns
        its temp directories at start), no service started at install."""
        base, error = E.wait_base(self.eng)
        if error:
            pytest.fail(error)
        d = self._ctx(name)
        (d / "Dockerfile").write_text(DEBIAN_NGINX)
        return d, ("--build-arg", "BASE=" + base)

    def _make_probe_verified(self, name):
        """The busybox image with the spec its httpd on port 80 needs as
        the user app, in its Dockerfile (issue 22's CI gate)."""
        return self._spec_image(name, "NET_BIND_SERVICE")

    def _make_probe_stale(self, name):
        """The same with a capability it no longer needs."""
        return self._spec_image(name, "NET_BIND_SERVICE,CHOWN")

    def _spec_image(self, name, add):
        base = self.get("busybox")
        d = self._ctx(name)
        (d / "Dockerfile").write_text(
            "FROM %s\nENV CAPINIT_CAP_DROP=ALL CAPINIT_CAP_ADD=%s CAPINIT_USER=app\n"
            'CMD ["/bin/busybox", "httpd", "-f", "-p", "80"]\n' % (base, add))
        return d, ()

    def _make_distroless_base(self, name):
        """A distroless-like base: no shell, no libc, only /etc/passwd with
        nonroot (65532), /etc/group, /tmp."""
        d = self._ctx(name)
        (d / "root/etc").mkdir(parents=True)
        (d / "root/tmp").mkdir()
        os.chmod(d / "root/tmp", 0o1777)
        (d / "root/home/nonroot").mkdir(parents=True)
        os.chown(d / "root/home/nonroot", 65532, 65532)
        (d / "root/etc/passwd").write_text(DISTROLESS_PASSWD)
        (d / "root/etc/group").write_text(DISTROLESS_GROUP)
        (d / "Dockerfile").write_text("FROM scratch\nCOPY root/ /\n")
        return d, ()

    def _make_distroless(self, name):
        """docs/containers.md's distroless recipe with its FROM pointed at the
        local distroless-like base and its `capinit` stage given the binary."""
        base = self.get("distroless-base")
        d = self._ctx(name)
        shutil.copy2(E.CAPINIT, d / "capinit")
        shutil.copy2(E.PROBE, d / "myserver")
        recipe = E.snippets(E.REPO / "docs" / "containers.md")["distroless"]
        recipe, n = re.subn(r"^FROM gcr\.io/distroless/static\S*", "FROM " + base, recipe, flags=re.M)
        assert n == 1, recipe
        text = "FROM scratch AS capinit\nCOPY capinit /src/build/capinit\n\n" + recipe
        (d / "Dockerfile").write_text(text)
        return d, ()


@pytest.fixture(scope="session")
def image_store(tmp_path_factory):
    return {}


@pytest.fixture(scope="session")
def images(engine, image_store, tmp_path_factory):
    if engine.name not in image_store:
        image_store[engine.name] = Images(engine, tmp_path_factory.mktemp("img-" + engine.name))
    return image_store[engine.name]
