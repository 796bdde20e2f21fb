"""Checks a --probe-json object: against docs/probe-schema.json (Debian's
python3-jsonschema), and for what a schema cannot say: every evidence
names a trial that failed without that capability, the counts add up to
the trials, and every printed securityContext parses as YAML and passes
exactly the Pod Security Standard level printed beside it (judged here
again, independently of init/probe_pss.c, from the YAML text itself).

Usable from any test: `from probe_schema import check; check(data)`."""
import json
import pathlib
import re

import jsonschema
import yaml

SCHEMA_PATH = pathlib.Path(__file__).resolve().parents[2] / "docs" / "probe-schema.json"
_schema = json.loads(SCHEMA_PATH.read_text())
jsonschema.Draft202012Validator.check_schema(_schema)
_validator = jsonschema.Draft202012Validator(_schema)

# k8s.io/pod-security-admission policy/check_capabilities_baseline.go and
# check_sysctls.go (latest): what baseline allows.
BASELINE_ADDS = {"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
                 "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"}
SAFE_SYSCTLS = {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
                "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
                "net.ipv4.ip_unprivileged_port_start", "net.ipv4.ip_local_reserved_ports",
                "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
                "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes",
                "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem",
                "net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"}


def pss_level(yaml_text):
    """The level a printed securityContext (or Pod spec fragment) passes."""
    doc = yaml.safe_load(yaml_text)
    pod = {}
    if "spec" in doc:
        pod = doc["spec"].get("securityContext", {})
        (container,) = doc["spec"]["containers"]
        sc = container["securityContext"]
    else:
        sc = doc["securityContext"]
    caps = sc.get("capabilities", {})
    add, drop = caps.get("add", []), caps.get("drop", [])
    seccomp = sc.get("seccompProfile", pod.get("seccompProfile", {})).get("type")
    sysctls = [s["name"] for s in pod.get("sysctls", [])]
    if (sc.get("privileged") or any(c not in BASELINE_ADDS for c in add)
            or any(s not in SAFE_SYSCTLS for s in sysctls) or seccomp == "Unconfined"):
        return "privileged"
    non_root = sc.get("runAsNonRoot", pod.get("runAsNonRoot"))
    user = sc.get("runAsUser", pod.get("runAsUser"))
    if ("ALL" not in drop or any(c != "NET_BIND_SERVICE" for c in add) or non_root is not True
            or user == 0 or sc.get("allowPrivilegeEscalation") is not False
            or seccomp not in ("RuntimeDefault", "Localhost")):
        return "baseline"
    return "restricted"


def _check_form(form):
    k = form["kubernetes"]
    assert pss_level(k["yaml"]) == k["pss"], k
    assert (k["rule"] is None) == (k["pss"] == "restricted"), k
    # Names as the standards and engines compare them: bare, upper-case.
    for text in [form["docker_run"], form["dockerfile"] or "", form["podman_label"] or "",
                 k["yaml"]]:
        assert not re.search(r"(^|[=, \[\"])(CAP_|cap_)", text), text


def check(data):
    """Raise if `data` is not a valid --probe-json object."""
    _validator.validate(data)
    trials = data["trials"]
    assert [t["index"] for t in trials] == list(range(1, len(trials) + 1))
    assert sum(data["counts"].values()) == len(trials), data["counts"]
    for kind, n in data["counts"].items():
        assert n == sum(1 for t in trials if t["kind"] == kind), kind
    verify = data["outcome"] in ("verified", "not-minimal", "insufficient")
    assert data["mode"] == ("verify" if verify else "probe")
    has_set = data["outcome"] in ("found", "verified")
    assert (data["needed"] is not None) == has_set
    if has_set:
        assert set(data["portable"]) == set(data["needed"]) | set(data["portable_added"])
        assert set(data["evidence"]) == set(data["portable"])
    for name, ev in data["evidence"].items():
        if ev["portable"] is not None:
            assert name in data["portable_added"] and ev["trial"] is None
            continue
        t = trials[ev["trial"] - 1]
        assert not t["works"] and name not in t["set"], (name, t)
    for name, ev in data["not_needed_evidence"].items():
        t = trials[ev["trial"] - 1]
        assert t["works"] and name not in t["set"], (name, t)
    if data["failed_trial"] is not None:
        assert not trials[data["failed_trial"] - 1]["works"]
    dep = data["deployment"]
    assert (dep is not None) == (has_set or (data["outcome"] == "not-minimal"
                                             and data["smaller_works"]))
    if dep is not None:
        assert set(dep["set"]) <= set(dep["grant"])
        _check_form(dep["main"])
        if dep["sysctl"] is not None:
            _check_form(dep["sysctl"]["form"])
            assert dep["sysctl"]["form"]["kubernetes"]["pss"] == "restricted"
