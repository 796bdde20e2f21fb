"""What a probe prints holds where the app is deployed, in its least
privileged form (issue 17). Each test fails on 0.2.0 (62f038b).

- Under `net.ipv4.ip_unprivileged_port_start=0` (what Docker and containerd
  set in every container) a non-root server on port 80 needs nothing here
  and NET_BIND_SERVICE on a node that keeps the kernel's 1024: the printed
  set is the portable one, with the reason, and the sysctl form beside it.
- A non-root app that needs nothing runs as its user directly: no root
  start, no capability for capinit either, `restricted`.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from conftest import make_env

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from probe_schema import check as schema_check  # noqa: E402

pytestmark = [pytest.mark.skipif(os.geteuid() != 0, reason="--probe tests need root"),
              pytest.mark.timeout(120)]

BUSYBOX = shutil.which("busybox") or "/bin/busybox"


@pytest.fixture
def www():
    d = Path(tempfile.mkdtemp(prefix="capinit-probe-out-"))
    os.chmod(d, 0o755)
    (d / "index.html").write_text("hello\n")
    os.chmod(d / "index.html", 0o644)
    yield d
    shutil.rmtree(d)


def probe_in_netns(capinit, args, port_start=None):
    """capinit ARGS as PID 1 in new PID and network namespaces, lo up, the
    port sysctl set first when given; (rc, stdout, stderr)."""
    sysctl = (f"echo {port_start} > /proc/sys/net/ipv4/ip_unprivileged_port_start; "
              if port_start is not None else "")
    script = f'ip link set lo up; {sysctl}exec unshare -fp --mount-proc --kill-child "$@"'
    r = subprocess.run(["unshare", "-n", "sh", "-c", script, "sh", capinit] + args,
                       env=make_env(), capture_output=True, text=True, timeout=100)
    return r.returncode, r.stdout, r.stderr


def httpd(www):
    return ["--user=65534:65534", "--", BUSYBOX, "httpd", "-f", "-p", "80", "-h", str(www)]


def test_port_80_under_docker_sysctl_prints_the_portable_set(capinit, www):
    rc, out, err = probe_in_netns(
        capinit, ["--probe", "--probe-json", "--probe-port=80", "--probe-timeout=3"] + httpd(www),
        port_start=0)
    assert rc == 0, err
    data = json.loads(out)
    schema_check(data)
    # Nothing was needed here...
    assert data["needed"] == [], data["needed"]
    # ...but a standard node needs NET_BIND_SERVICE, and says why.
    assert data["portable"] == ["NET_BIND_SERVICE"]
    assert data["portable_added"] == ["NET_BIND_SERVICE"]
    assert data["evidence"]["NET_BIND_SERVICE"]["trial"] is None
    why = json.dumps(data["evidence"]["NET_BIND_SERVICE"])
    assert "ip_unprivileged_port_start" in why, why
    rc, text, err = probe_in_netns(
        capinit, ["--probe", "--probe-port=80", "--probe-timeout=3"] + httpd(www), port_start=0)
    assert rc == 0, err
    assert text.startswith("needed: NET_BIND_SERVICE\n"), text
    assert "ip_unprivileged_port_start=0" in text
    # The sysctl form: no capability, the user directly, restricted.
    assert "--sysctl net.ipv4.ip_unprivileged_port_start=80" in text
    assert "{name: net.ipv4.ip_unprivileged_port_start, value: \"80\"}" in text
    assert "Pod Security Standard restricted" in text


def test_nothing_needed_as_nobody_is_restricted_without_a_root_start(capinit):
    rc, text, err = probe_in_netns(
        capinit, ["--probe", "--probe-timeout=3", "--user=nobody", "--", "true"])
    assert rc == 0, err
    assert text.startswith("needed: none\n"), text
    assert "docker run --cap-drop=ALL --user=65534:65534 --security-opt=no-new-privileges" \
        in text, text
    assert "--cap-add" not in text and "runAsUser: 0" not in text, text
    assert "Pod Security Standard restricted" in text
    assert "runAsNonRoot: true" in text
