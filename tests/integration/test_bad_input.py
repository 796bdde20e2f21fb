"""Fail closed on bad input (issue 3, SPEC "Fail closed").

Every invalid spec must exit 2 with exactly one stderr line that starts with
`capinit: `, names the variable or flag and the offending token, and the
command (which would create a marker file) must never start.
"""
import grp
import pwd
import re

import pytest

from conftest import run_pid1

# Bad capability lists: (id, value, tokens: the line must contain one of them).
BAD_LISTS = [
    ("unknown-name", "NET_BIND_SERVCE", ["NET_BIND_SERVCE"]),
    ("cap-prefix-alone", "CAP_", ["CAP_"]),
    ("cap-prefix-alone-lower", "cap_", ["cap_"]),
    ("number", "12", ["12"]),
    ("number-among-names", "CHOWN,12", ["12"]),
    ("semicolon", "CHOWN;KILL", ["CHOWN;KILL", "';'", '";"']),
    ("pipe", "CHOWN|KILL", ["CHOWN|KILL", "'|'", '"|"']),
    ("plus", "CHOWN+KILL", ["CHOWN+KILL", "'+'", '"+"']),
    ("colon", "CHOWN:KILL", ["CHOWN:KILL", "':'", '":"']),
    ("non-ascii", "CHÖWN", [re.compile(r"CH.{1,12}WN")]),
    ("non-ascii-space", "CHOWN\u00a0KILL", [re.compile(r"CHOWN.{1,12}KILL")]),
    ("empty-between-commas", "CHOWN,,KILL", ["CHOWN,,KILL"]),
    ("trailing-comma", "CHOWN,", ["CHOWN,"]),
    ("leading-comma", ",CHOWN", [",CHOWN"]),
    ("lone-comma", ",", [","]),
    ("double-prefix", "CAP_CAP_CHOWN", ["CAP_CAP_CHOWN"]),
    ("trailing-junk", "CHOWNX", ["CHOWNX"]),
]
BAD_DROP_ONLY = [
    ("all-with-name", "ALL,CHOWN", ["ALL,CHOWN", "ALL"]),
    ("name-with-all", "CHOWN ALL", ["CHOWN ALL", "ALL"]),
]
BAD_ADD_ONLY = [
    ("all-in-add", "ALL", ["ALL"]),
    ("all-in-add-lower", "all", ["all", "ALL"]),
    ("all-in-add-with-name", "NET_RAW,ALL", ["ALL"]),
]

# Bad users (against the system's own /etc/passwd and /etc/group).
BAD_USERS = [
    ("unknown-user", "nosuchuser", ["nosuchuser"]),
    ("unknown-group", "nobody:nosuchgroup", ["nosuchgroup"]),
    ("unknown-group-numeric-user", "0:nosuchgroup", ["nosuchgroup"]),
    ("uid-without-entry-or-group", "4242", ["4242"]),
    ("negative-uid", "-1", ["-1"]),
    ("negative-gid", "1000:-5", ["-5"]),
    ("negative-uid-with-gid", "-1:0", ["-1"]),
    ("overflow-uid", "4294967296", ["4294967296"]),
    ("overflow-uid-huge", "99999999999999999999", ["99999999999999999999"]),
    ("overflow-gid", "1000:4294967296", ["4294967296"]),
    # (uid_t)-1 means "leave unchanged" to setresuid: it must never be accepted.
    ("uid-minus-one-as-unsigned", "4294967295:0", ["4294967295"]),
    ("gid-minus-one-as-unsigned", "0:4294967295", ["4294967295"]),
    ("empty-group", "1000:", ["1000:"]),
    ("empty-group-after-name", "nobody:", ["nobody:"]),
    ("empty-user", ":1000", [":1000"]),
    ("empty", "", None),
    ("two-colons", "0:0:0", ["0:0:0", ":0"]),
]

BAD_BOOLS = [
    ("maybe", "maybe", ["maybe"]),
    ("two", "2", ["2"]),
    ("on", "on", ["on"]),
    ("empty", "", None),
]

# (flag, variable) pairs.
DROP = ("--cap-drop", "CAPINIT_CAP_DROP")
ADD = ("--cap-add", "CAPINIT_CAP_ADD")
USER = ("--user", "CAPINIT_USER")
NNP = ("--no-new-privs", "CAPINIT_NO_NEW_PRIVS")


def _params():
    rows = []
    for which, table in ((DROP, BAD_LISTS + BAD_DROP_ONLY), (ADD, BAD_LISTS + BAD_ADD_ONLY),
                         (USER, BAD_USERS), (NNP, BAD_BOOLS)):
        flag, var = which
        for cid, value, tokens in table:
            rows.append(pytest.param({var: value}, [], var, tokens, id=f"{var}-{cid}"))
            rows.append(pytest.param({}, [f"{flag}={value}"], flag, tokens, id=f"{flag}-{cid}"))
    return rows


def check_rejected(r, marker, names, tokens):
    assert r.returncode == 2, f"exit {r.returncode}\nstdout:\n{r.stdout}\nstderr:\n{r.stderr}"
    assert not marker.exists(), "the command was started"
    lines = r.stderr.splitlines()
    assert len(lines) == 1, f"want exactly one stderr line, got:\n{r.stderr}"
    line = lines[0]
    assert line.startswith("capinit: "), line
    assert any(n in line for n in names), f"{line!r} does not name {names}"
    if tokens:
        def found(t):
            return t.search(line) if isinstance(t, re.Pattern) else t in line
        assert any(found(t) for t in tokens), f"{line!r} does not name the token {tokens}"
    return line


def touch(marker):
    return ["sh", "-c", 'touch "$1"', "sh", str(marker)]


@pytest.fixture(autouse=True)
def _premises():
    """The bad users above must really be unknown on this system."""
    for name in ("nosuchuser",):
        with pytest.raises(KeyError):
            pwd.getpwnam(name)
    with pytest.raises(KeyError):
        grp.getgrnam("nosuchgroup")
    with pytest.raises(KeyError):
        pwd.getpwuid(4242)


@pytest.mark.timeout(20)
@pytest.mark.parametrize("env,opts,name,tokens", _params())
def test_bad_value_exits_2_and_starts_nothing(capinit, tmp_path, env, opts, name, tokens):
    marker = tmp_path / "started"
    r = run_pid1([capinit, *opts, "--", *touch(marker)], env=env)
    check_rejected(r, marker, [name], tokens)


@pytest.mark.timeout(20)
def test_unknown_name_suggests_the_near_miss(capinit, tmp_path):
    marker = tmp_path / "started"
    for env, opts, name in [({"CAPINIT_CAP_DROP": "NET_BIND_SERVCE"}, [], "CAPINIT_CAP_DROP"),
                            ({}, ["--cap-add=net_bind_servce"], "--cap-add")]:
        r = run_pid1([capinit, *opts, "--", *touch(marker)], env=env)
        line = check_rejected(r, marker, [name], ["NET_BIND_SERVCE", "net_bind_servce"])
        assert "NET_BIND_SERVICE" in line.upper().replace("NET_BIND_SERVCE", ""), \
            f"no suggestion in {line!r}"


@pytest.mark.timeout(30)
@pytest.mark.parametrize("env,opts", [
    ({"CAPINIT_CAP_ADD": "CHOWN", "CAPINIT_CAP_DROP": "CHOWN"}, []),
    ({"CAPINIT_CAP_ADD": "chown", "CAPINIT_CAP_DROP": "cap_chown"}, []),
    ({"CAPINIT_CAP_ADD": "NET_RAW,CHOWN", "CAPINIT_CAP_DROP": "KILL Chown"}, []),
    ({}, ["--cap-add=CHOWN", "--cap-drop=CAP_CHOWN"]),
    ({"CAPINIT_CAP_ADD": "CHOWN"}, ["--cap-drop=CHOWN"]),
], ids=["env", "env-spellings", "env-among-others", "flags", "mixed"])
def test_capability_in_both_lists(capinit, tmp_path, env, opts):
    marker = tmp_path / "started"
    r = run_pid1([capinit, *opts, "--", *touch(marker)], env=env)
    line = check_rejected(r, marker, ["CAPINIT_CAP_ADD", "CAPINIT_CAP_DROP", "--cap-add", "--cap-drop"],
                          None)
    assert "CHOWN" in line.upper()


@pytest.mark.timeout(30)
@pytest.mark.parametrize("var,value", [
    ("CAPINIT_CAP_DRP", "ALL"),
    ("CAPINIT_CAPDROP", "ALL"),
    ("CAPINIT_DROP", "ALL"),
    ("CAPINIT_USR", "nobody"),
    ("CAPINIT_NO_NEW_PRIV", "0"),
    ("CAPINIT_cap_drop", "ALL"),
    ("CAPINIT_", "x"),
])
def test_unknown_capinit_variable(capinit, tmp_path, var, value):
    marker = tmp_path / "started"
    r = run_pid1([capinit, "--", *touch(marker)], env={var: value})
    check_rejected(r, marker, [var], [var])


@pytest.mark.timeout(30)
@pytest.mark.parametrize("flag", ["--cap-drp=ALL", "--capdrop=ALL", "--usr=nobody", "--no-new-priv=0"])
def test_unknown_flag(capinit, tmp_path, flag):
    marker = tmp_path / "started"
    r = run_pid1([capinit, flag, "--", *touch(marker)])
    check_rejected(r, marker, [flag.split("=")[0]], [flag.split("=")[0]])


@pytest.mark.timeout(20)
def test_missing_command(capinit):
    r = run_pid1([capinit, "--cap-drop=ALL"])
    assert r.returncode == 2
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("capinit: ")


@pytest.mark.timeout(30)
@pytest.mark.parametrize("env,opts", [
    ({"CAPINIT_CAP_DROP": "cap_chown, NET_RAW  Kill"}, []),
    ({"CAPINIT_CAP_DROP": "CHOWN\tKILL\nNET_RAW"}, []),
    ({"CAPINIT_CAP_DROP": "ALL", "CAPINIT_CAP_ADD": "net_bind_service"}, []),
    ({}, ["--cap-drop=ALL", "--cap-add=CAP_NET_BIND_SERVICE"]),
    ({"CAPINIT_USER": "0:0"}, []),
    ({}, ["--user=root"]),
    ({"CAPINIT_NO_NEW_PRIVS": "yes"}, []),
    ({}, ["--no-new-privs=false"]),
    ({"CAPINIT_VERBOSE": "0", "CAPINIT_GRACE": "1"}, []),
], ids=["drop-mixed", "drop-whitespace", "drop-all-add", "flags", "user-ids", "user-name",
        "nnp-yes", "nnp-false", "other-known-vars"])
def test_control_valid_input_starts_the_command(capinit, tmp_path, env, opts):
    """The harness control: the same command with valid input does start."""
    marker = tmp_path / "started"
    r = run_pid1([capinit, *opts, "--", *touch(marker)], env=env)
    assert r.returncode == 0, f"exit {r.returncode}\n{r.stderr}"
    assert marker.exists()
    assert r.stderr == ""
