"""The --probe-json samples test_probe_report.c writes for every outcome
(build/unit/probe-json/*.json) validate against docs/probe-schema.json and
the checks of probe_schema.py. Run by `make test-unit` after the C tests."""
import json
import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from probe_schema import check, pss_level  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "build" / "unit" / "probe-json"
OUTCOMES = {"found", "none", "unstable", "verified", "not-minimal", "insufficient"}


def samples():
    return sorted(SAMPLES.glob("*.json"))


def test_every_outcome_has_a_sample():
    seen = {json.loads(p.read_text())["outcome"] for p in samples()}
    assert seen == OUTCOMES, "run build/unit/test_probe_report first (make test-unit)"


@pytest.mark.parametrize("path", samples(), ids=lambda p: p.stem)
def test_sample_validates(path):
    check(json.loads(path.read_text()))


def test_schema_rejects_what_it_must():
    data = json.loads((SAMPLES / "found.json").read_text())
    bad = json.loads(json.dumps(data))
    bad["needed"] = ["CAP_CHOWN"]        # names as the standards compare them
    with pytest.raises(Exception):
        check(bad)
    bad = json.loads(json.dumps(data))
    bad["trials"][0]["reason"] = "fine"  # only the documented reasons
    with pytest.raises(Exception):
        check(bad)
    bad = json.loads(json.dumps(data))
    bad["surprise"] = 1                  # no undocumented field
    with pytest.raises(Exception):
        check(bad)
    bad = json.loads(json.dumps(data))
    bad["deployment"]["main"]["kubernetes"]["pss"] = "restricted"  # a level the YAML does not pass
    with pytest.raises(AssertionError):
        check(bad)


def test_independent_pss_judge():
    # The README's Kubernetes recipe: baseline.
    assert pss_level("""securityContext:
  runAsUser: 0
  allowPrivilegeEscalation: false
  capabilities:
    drop: ["ALL"]
    add: ["NET_BIND_SERVICE", "SETUID", "SETGID", "SETPCAP", "KILL"]
""") == "baseline"
    assert pss_level("""securityContext:
  runAsNonRoot: true
  runAsUser: 65534
  allowPrivilegeEscalation: false
  capabilities: {drop: [ALL]}
  seccompProfile: {type: RuntimeDefault}
""") == "restricted"
    assert pss_level("securityContext:\n  capabilities: {add: [NET_RAW]}\n") == "privileged"
