"""The user-namespace guard under Docker Engine and Podman: the app in a
capinit image cannot create a user namespace, under the engine's own
seccomp profile and under `--security-opt seccomp=unconfined` (what a
Kubernetes pod without RuntimeDefault gets), and in a `podman kube play`
Pod without a seccomp profile. The app is tests/integration/helpers/
userns_try.c (raw unshare/clone with CLONE_NEWUSER, clone3, and the
ordinary fork and pthread_create); each run also has its control with
CAPINIT_USERNS=1, which shows what the runtime alone allows, and reads the
kernel's view (Seccomp, Seccomp_filters, NoNewPrivs).

Found here: Podman's default profile (containers-common) allows unshare,
clone and clone3 without CAP_SYS_ADMIN, so under Podman the guard is what
refuses user namespaces; Docker's default profile refuses them itself."""

import re

import pytest

import engine as E

pytestmark = pytest.mark.timeout(300)

PROFILES = {"engine-default": [], "unconfined": ["--security-opt", "seccomp=unconfined"]}
APPS = {"root": {}, "nonroot": {"CAPINIT_CAP_DROP": "ALL", "CAPINIT_USER": "app"}}
WAYS = ["unshare-newuser", "clone-newuser", "clone3-newuser"]
ORDINARY = ["fork", "thread", "clone-plain", "unshare-none"]
TRY = ["/userns_try", "status", *WAYS, *ORDINARY]


def parse(out):
    """(status fields, {mode: result}) from userns_try's output."""
    status, results = {}, {}
    for line in out.splitlines():
        m = re.fullmatch(r"(Seccomp|Seccomp_filters|NoNewPrivs):\s*(\d+)", line)
        if m:
            status[m.group(1)] = int(m.group(2))
            continue
        mode, sep, rest = line.partition(" ")
        if sep:
            results[mode] = rest
    return status, results


def run(engine, image, args, env):
    r = engine.run(image, *TRY, args=args, env=env)
    assert r.rc == 0, r
    return parse(r.out)


def assert_refused(status, got, control_status, control_got):
    """The guard on top of what the runtime gave (the control's run)."""
    assert status["Seccomp"] == 2 and status["NoNewPrivs"] == 1, status
    if "Seccomp_filters" in status:
        assert status["Seccomp_filters"] == control_status["Seccomp_filters"] + 1, status
    assert got["unshare-newuser"] == got["clone-newuser"] == "errno EPERM", got
    assert got["clone3-newuser"] == "errno ENOSYS", got
    # Nothing else taken away (Docker's profile itself refuses every
    # unshare without SYS_ADMIN, unshare(0) included).
    assert got["fork"] == got["thread"] == got["clone-plain"] == "ok", got
    assert got["unshare-none"] == control_got["unshare-none"], (got, control_got)


@pytest.mark.parametrize("app", sorted(APPS))
@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_app_cannot_create_a_user_namespace(engine, images, profile, app):
    image = images.get("userns")
    args = PROFILES[profile]
    # The control: what the runtime alone lets this app do.
    c_status, c_got = run(engine, image, args, {**APPS[app], "CAPINIT_USERNS": "1"})
    if profile == "unconfined":
        assert c_status["Seccomp"] == 0, c_status
        assert c_got["unshare-newuser"] == c_got["clone-newuser"] == "ok", c_got
    elif engine.name == "docker":
        # Docker's profile refuses user namespaces without SYS_ADMIN itself.
        assert c_got["unshare-newuser"] == "errno EPERM", c_got
    else:
        # Podman's does not: only capinit's guard stands in the way.
        assert c_got["unshare-newuser"] == c_got["clone-newuser"] == "ok", c_got
    status, got = run(engine, image, args, APPS[app])
    assert_refused(status, got, c_status, c_got)


POD = """apiVersion: v1
kind: Pod
metadata:
  name: capinit-userns-{n}
{annotations}spec:
  restartPolicy: Never
  containers:
    - name: app
      image: {image}
      args: {args}
      env:
        - {{name: CAPINIT_CAP_DROP, value: "ALL"}}
        - {{name: CAPINIT_USER, value: "app"}}
        - {{name: CAPINIT_USERNS, value: "{userns}"}}
"""


def play(podman, tmp_path, image, n, userns, annotations=""):
    pod = tmp_path / ("pod-%s.yaml" % n)
    pod.write_text(POD.format(n=n, image=image, args="[%s]" % ", ".join(TRY), userns=userns,
                              annotations=annotations))
    podman("kube", "down", pod)
    try:
        r = podman("kube", "play", pod, timeout=120)
        assert r.rc == 0, r
        name = "capinit-userns-%s-app" % n
        st = podman("wait", name, timeout=60)
        logs = podman("logs", name)
        assert st.rc == 0 and st.out.strip() == "0", (st, logs)
        return parse(logs.out)
    finally:
        podman("kube", "down", pod)


# Kubernetes' Unconfined, the default of a pod without RuntimeDefault, as
# podman kube play takes it.
UNCONFINED = "  annotations:\n    seccomp.security.alpha.kubernetes.io/pod: unconfined\n"


@pytest.mark.parametrize("variant", ["no-profile", "unconfined"])
def test_kube_pod_without_a_seccomp_profile(podman, image_store, tmp_path_factory, tmp_path,
                                            variant):
    from conftest import Images
    imgs = image_store.setdefault("podman", Images(podman, tmp_path_factory.mktemp("img-p")))
    image = "localhost/" + imgs.get("userns")
    ann = UNCONFINED if variant == "unconfined" else ""
    c_status, c_got = play(podman, tmp_path, image, "control", "1", ann)
    assert c_got["unshare-newuser"] == c_got["clone-newuser"] == "ok", c_got
    if variant == "unconfined":
        assert c_status["Seccomp"] == 0, c_status
    status, got = play(podman, tmp_path, image, "guard", "0", ann)
    assert_refused(status, got, c_status, c_got)
