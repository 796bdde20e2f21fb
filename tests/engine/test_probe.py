"""`--probe` through the engines, as the README says to use it: an image with
capinit as its ENTRYPOINT probed without changing it (`docker run -e
CAPINIT_PROBE=1 ...`), under each engine's own default capability set."""

import json

import pytest

import engine as E

pytestmark = pytest.mark.timeout(240)


def test_probe_an_image_as_it_is(engine, images):
    """busybox httpd on port 80 as the image's user app: needs exactly
    NET_BIND_SERVICE, found within the SPEC's 7 search trials for one
    capability out of Docker's 14 (Podman hands over fewer), plus the 2
    re-runs of the result."""
    env = {"CAPINIT_PROBE": "1", "CAPINIT_PROBE_PORT": "80", "CAPINIT_PROBE_JSON": "1",
           "CAPINIT_PROBE_TIMEOUT": "5", "CAPINIT_USER": "app"}
    r = engine.run(images.get("busybox"), "/bin/busybox", "httpd", "-f", "-p", "80",
                   args=E.PORT_SYSCTL, env=env, timeout=180)
    assert r.rc == 0, r
    result = json.loads(r.out)
    assert result["needed"] == ["NET_BIND_SERVICE"], r
    assert len(result["trials"]) <= 7 + 2, r
    assert result["trials"][-1]["works"] and result["trials"][-1]["set"] == ["NET_BIND_SERVICE"]
    # One progress line per trial on stderr.
    progress = [line for line in r.err.splitlines() if "probe trial" in line]
    assert len(progress) == len(result["trials"]), r
