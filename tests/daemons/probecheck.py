"""Reading what `capinit --probe` / `--probe-verify` printed, and holding
it to ordinary runs."""
import json
import re


import daemonlib as L

SCHEMA = L.REPO / "docs" / "probe-schema.json"
TRIAL_LINE = re.compile(r"^capinit: probe trial \d+\b")


def trial_lines(stderr):
    """The progress lines, one per trial (repeats included)."""
    return [line for line in stderr.splitlines() if TRIAL_LINE.match(line)]


def parse_json(stdout):
    """The one JSON object --probe-json prints on stdout."""
    text = stdout.strip()
    assert text, "--probe-json printed nothing on stdout"
    return json.loads(text)


def validate(data):
    """Against docs/probe-schema.json once it exists (another change adds
    it; test_probe_json_schema_exists says so until then)."""
    if not SCHEMA.exists():
        return False
    import jsonschema
    jsonschema.validate(data, json.loads(SCHEMA.read_text()))
    return True


def set_pattern(caps):
    """A regex for the set as a list in capability order, with or without
    spaces after the commas."""
    return r",\s*".join(re.escape(n) for n in L.ordered(caps))


def evidence_line(stdout, cap):
    """The line of the result that gives CAP's evidence: it starts with the
    name (or CAP_name) and says what happened "without it"."""
    for line in stdout.splitlines():
        words = line.strip().split()
        if words and words[0].upper().removeprefix("CAP_").rstrip(":") == cap \
                and "without it" in line:
            return line
    return None


def hold_to_ordinary_runs(lab, daemon, state, printed):
    """(a) the printed set works by an ordinary run from that state; (b) it
    fails without any one member (one ordinary run per member)."""
    whole, without = L.necessity(lab, daemon, printed, state)
    assert whole.works, (f"the probe's set {L.spell(printed)} for {daemon} does not work on a "
                         f"{state} start: {whole.why}\n{whole.output[-1500:]}")
    unneeded = [m for m, o in without.items() if o.works]
    assert not unneeded, (f"the probe's set {L.spell(printed)} for {daemon} ({state} start) "
                          f"is not minimal: it works without {unneeded}")
