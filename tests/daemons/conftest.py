"""The daemons stage: real Debian daemons from a container's first start.

Needs root (namespaces, mounts), build/capinit, and the packages of
scripts/install-daemon-deps.sh. Marks:
  search  the ground-truth search by ordinary runs (minutes; not in the stage)
  slow    probes beyond the stage's quick set (second starts, sshd, ...)
"""
import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import daemonlib  # noqa: E402

NEEDED_PROGRAMS = ("nginx", "apache2ctl", "chronyd", "chronyc", "/usr/sbin/sshd", "ssh",
                   "dnsmasq", "ping", "curl", "pgrep", "nsenter", "setpriv", "ip")


def pytest_configure(config):
    config.addinivalue_line("markers", "timeout(seconds): per-test time limit")
    config.addinivalue_line("markers", "search: the ground-truth search by ordinary runs "
                                       "(minutes; run with -m search)")
    config.addinivalue_line("markers", "slow: probes beyond the stage's quick set")


@pytest.fixture(scope="session")
def lab():
    if os.geteuid() != 0:
        pytest.skip("the daemons stage needs root (namespaces, mounts)")
    assert daemonlib.CAPINIT.exists(), "build/capinit is missing: run `make` first"
    missing = [p for p in NEEDED_PROGRAMS if not shutil.which(p)]
    assert not missing, f"missing {missing}: run scripts/install-daemon-deps.sh"
    lab = daemonlib.Lab.create()
    yield lab
    if os.environ.get("DAEMONS_KEEP"):
        print(f"\ndaemons: staging kept in {lab.staging}")
    else:
        lab.close()


@pytest.fixture(scope="session")
def truth(lab):
    """Factory: truth(daemon, state) -> the expected set, once ordinary
    runs in this session showed that it works from that state and fails
    without any one member (else the test using it fails, saying which)."""
    def get(daemon, state):
        caps = daemonlib.capset(daemonlib.EXPECTED[(daemon, state)])
        whole, without = daemonlib.necessity(lab, daemon, caps, state)
        assert whole.works, (f"{daemon} ({state} start) with {daemonlib.spell(caps)}: "
                             f"{whole.why}\n{whole.output[-2000:]}")
        unneeded = [m for m, o in without.items() if o.works]
        assert not unneeded, (f"{daemon} ({state} start) works without {unneeded}: "
                              f"the expectation {daemonlib.spell(caps)} is not minimal here")
        return caps
    return get


def pytest_terminal_summary(terminalreporter):
    if daemonlib.PROBE_NOTES:
        terminalreporter.section("capinit probe runs (trials, seconds)")
        for n in daemonlib.PROBE_NOTES:
            terminalreporter.write_line(
                f"{n['daemon']:10} {n['state']:6} {n['what']:60} exit {n['exit']}  "
                f"{n['trials']:3} trials  {n['seconds']:6.1f} s")
