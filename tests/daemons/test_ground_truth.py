"""What each daemon needs, found by ordinary runs alone (no --probe):
capinit with CAPINIT_CAP_DROP=ALL CAPINIT_CAP_ADD=S, judged by a real
client. These are the answers the probe tests hold --probe to.
"""
import os

import pytest

import daemonlib as L

CASES = sorted(L.EXPECTED)
# Checked in the stage's quick run: what its probe tests compare with, and
# the first/second pairs of the daemons that chown at a first start. sshd
# (a login is slow to judge) and dnsmasq's second start (the same as its
# first) only in the full run.
SLOW = {("sshd", "first"), ("sshd", "second"), ("dnsmasq", "second")}
EXPECTED_CASES = [pytest.param(d, s, id=f"{d}-{s}",
                               marks=[pytest.mark.slow] if (d, s) in SLOW else [])
                  for d, s in CASES]


@pytest.mark.parametrize("daemon,state", EXPECTED_CASES)
def test_expected_set(truth, daemon, state):
    """The documented set works from that state and fails without any one
    member: one ordinary run each."""
    truth(daemon, state)


def test_first_start_needs_chown_and_second_does_not(lab, truth):
    """A first start creates and chowns directories that a second start
    finds done: nginx, apache2 and chronyd need CHOWN only the first time."""
    for daemon in ("nginx", "apache2", "chronyd"):
        first, second = truth(daemon, "first"), truth(daemon, "second")
        assert "CHOWN" in first and "CHOWN" not in second, daemon
        assert first - {"CHOWN"} == second, daemon
    # The failure without CHOWN is the package's own first-start step.
    _, without = L.necessity(lab, "nginx", truth("nginx", "first"), "first")
    assert 'chown("/var/lib/nginx/body", 33) failed (1: Operation not permitted)' in \
        without["CHOWN"].output


def test_second_start_state_is_what_the_first_left(lab):
    """The second-start seeds hold what a run with every capability
    created: the directories the first-start state lacks, chowned."""
    www = L.pwd.getpwnam("www-data").pw_uid
    chrony = L.pwd.getpwnam("_chrony").pw_uid
    expect = {"nginx": [("var/lib/nginx/body", www)],
              "apache2": [("run/apache2", 0), ("run/lock/apache2", www)],
              "chronyd": [("run/chrony", chrony)]}
    for daemon, paths in expect.items():
        d = lab.daemons[daemon]
        first, second = lab.seed(d, "first"), lab.seed(d, "second")
        for rel, uid in paths:
            assert not (first / rel).exists(), (daemon, rel)
            assert (second / rel).is_dir(), (daemon, rel)
            assert os.stat(second / rel).st_uid == uid, (daemon, rel)


def test_sshd_needs_its_directory(lab):
    """Debian's sshd never creates /run/sshd (its init script and systemd
    unit do): without the image's `mkdir /run/sshd` it does not start even
    with every capability. That is why sshd's first-start state has it."""
    d = lab.daemons["sshd"]
    out = lab.run(d, None, lab.bare_seed(d))
    assert not out.works
    assert "Missing privilege separation directory: /run/sshd" in out.output, out.output


def test_ping_file_capability(lab, truth):
    """Debian's ping carries cap_net_raw=ep. As nobody without NET_RAW its
    execve fails (the kernel refuses a capability-dumb file whose
    capabilities lie outside the bounding set); the copy without the xattr
    starts and fails at socket()."""
    assert truth("ping", "first") == truth("ping-copy", "first") == {"NET_RAW"}
    _, with_xattr = L.necessity(lab, "ping", {"NET_RAW"}, "first")
    _, copy = L.necessity(lab, "ping-copy", {"NET_RAW"}, "first")
    assert with_xattr["NET_RAW"].rc == 126
    assert "cannot execute" in with_xattr["NET_RAW"].output
    assert copy["NET_RAW"].rc == 2
    assert "socket: Operation not permitted" in copy["NET_RAW"].output


def _listing(paths):
    out = {}
    for p in paths:
        for root, dirs, files in os.walk(p):
            for n in dirs + files:
                q = os.path.join(root, n)
                st = os.lstat(q)
                out[q] = (st.st_mode, st.st_uid, st.st_size, st.st_mtime_ns)
    return out


def test_host_copies_untouched(lab):
    """Runs with every capability, first start: the host's own state
    directories and logs are what they were."""
    watched = ["/var/lib/nginx", "/var/log/nginx", "/var/log/apache2", "/var/lib/chrony"]
    runtime = ["/run/chrony", "/run/apache2", "/run/nginx.pid", "/run/sshd.pid"]
    before = _listing(watched), {p: os.path.lexists(p) for p in runtime}
    for daemon in ("nginx", "apache2", "chronyd"):
        assert lab.works(daemon, None, "first").works, daemon
    after = _listing(watched), {p: os.path.lexists(p) for p in runtime}
    assert before == after


@pytest.mark.search
@pytest.mark.parametrize("daemon,state", CASES, ids=[f"{d}-{s}" for d, s in CASES])
def test_search(lab, daemon, state):
    """The ground truth from scratch: a set found by ordinary runs from
    every candidate, each member then shown needed. It must equal the
    documented expectation (else update EXPECTED and docs/daemons.md)."""
    found, runs = L.search_minimal(lab, daemon, state)
    whole, without = L.necessity(lab, daemon, found, state)
    print(f"{daemon} {state}: {L.spell(found)} in {runs} runs")
    assert whole.works and not any(o.works for o in without.values())
    assert found == L.capset(L.EXPECTED[(daemon, state)])
