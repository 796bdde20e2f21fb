"""Real Debian daemons started the way a fresh container starts them.

A run is capinit as PID 1 of fresh PID, network and mount namespaces
(`unshare -fp --mount-proc --kill-child`, inside `unshare -mn` where `lo`
is brought up), with tmpfs on /run, /tmp, /var/log and the daemon's state
directories. Each tmpfs is filled from a *seed*, a directory tree that says
what the container's image holds there:

- first start: what the package installed (the host's copies of the
  package's own directories and files, files emptied), and nothing the
  daemon creates when it starts: /var/lib/nginx/body, /run/chrony,
  /run/apache2, ... are ABSENT, and the script that mounts them checks it;
- second start: what a previous run left behind (the first-start state after
  one run with every capability, stopped with SIGTERM as `docker stop`
  does), captured from inside the namespaces.

Nothing of the host's /run, /var/log, /tmp or /var/lib is written: the
daemon sees tmpfs copies, and the namespaces die with the run (every
process of it under `--kill-child`, the outer unshare with a parent-death
signal, so a killed pytest leaks no daemon).

`works(daemon, caps, state)` is the *ordinary run*: capinit with
CAPINIT_CAP_DROP=ALL CAPINIT_CAP_ADD=caps (and CAPINIT_USER where the daemon
is started as a user), judged by the daemon's oracle: a real client, run in
the run's namespaces as `nobody` with no capability, the same command the
probe tests give `--probe-check`.
"""
import ctypes
import itertools
import threading
from concurrent.futures import ThreadPoolExecutor
import os
import pwd
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CAPINIT = REPO / "build" / "capinit"
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# Capability names by number (linux/capability.h), as capinit prints them.
CAP_NAMES = [
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID",
    "SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST",
    "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO",
    "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
    "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE",
    "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM",
    "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
]
CAP_NUMBER = {n: i for i, n in enumerate(CAP_NAMES)}

# The order in which the ground-truth search tries removals: the probe's
# own (init/probe_search.c, docs/probe.md), most powerful first, so that
# where either of two capabilities suffices both keep the narrower one and
# their answers can be compared.
REMOVAL_ORDER = [
    "SYS_ADMIN", "DAC_OVERRIDE", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE", "SYS_RAWIO",
    "SETUID", "SETGID", "SETFCAP", "SETPCAP", "MAC_ADMIN", "MAC_OVERRIDE", "BPF",
    "PERFMON", "SYS_BOOT", "FOWNER", "DAC_READ_SEARCH", "CHOWN", "FSETID",
    "LINUX_IMMUTABLE", "MKNOD", "SYS_TIME", "SYS_RESOURCE", "AUDIT_CONTROL",
    "SYS_PACCT", "SYS_TTY_CONFIG", "SYSLOG", "CHECKPOINT_RESTORE", "SYS_CHROOT",
    "IPC_OWNER", "SYS_NICE", "WAKE_ALARM", "BLOCK_SUSPEND", "IPC_LOCK", "LEASE",
    "AUDIT_READ", "KILL", "NET_RAW", "NET_BROADCAST", "AUDIT_WRITE", "NET_BIND_SERVICE",
]

NOBODY = pwd.getpwnam("nobody")


def capset(names):
    """A frozenset of capability names, in any case, CAP_ optional."""
    if isinstance(names, str):
        names = names.replace(",", " ").split()
    out = set()
    for n in names:
        n = n.strip().upper()
        if n.startswith("CAP_"):
            n = n[4:]
        if n:
            assert n in CAP_NUMBER, f"unknown capability {n!r}"
            out.add(n)
    return frozenset(out)


def ordered(caps):
    """Names in capability-number order (how capinit lists a set)."""
    return sorted(caps, key=lambda n: CAP_NUMBER[n])


def spell(caps):
    """A set as capinit's LIST: "CHOWN,SETUID", or "" for none."""
    return ",".join(ordered(caps))


def host_candidates():
    """What capinit as root here is handed, by name: permitted ∩ bounding
    (this VM's bounding set lacks SYS_RESOURCE: read it, never assume)."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines()
                  if ":" in line)
    mask = int(fields["CapPrm"], 16) & int(fields["CapBnd"], 16)
    return frozenset(n for i, n in enumerate(CAP_NAMES) if mask >> i & 1)


# ---- the daemons -------------------------------------------------------------------


@dataclass
class Daemon:
    """One daemon as a container's image runs it.

    argv: the command, in the foreground. check: the oracle, a shell command
    run as nobody with no capability inside the run's namespaces (exit 0 =
    it works). server: it keeps running (judged by `check` while it runs);
    else a one-shot judged by its exit status 0. mounts: the tmpfs mount
    points beyond /run, /tmp, /var/log, each filled from the host's copy of
    the directory (its own mode and owner, files emptied). seed: host paths
    copied into the tmpfs trees (a directory with what is in it). runtime:
    what the daemon creates at its first start, absent from the first-start
    state (checked). image: paths an image for this daemon adds beyond the
    package (a Dockerfile's `RUN mkdir /run/sshd`), as (path, mode, owner).
    user: CAPINIT_USER for daemons started as a user. probe: the oracle's
    probe flags."""
    name: str
    argv: list
    check: str = ""
    server: bool = True
    mounts: tuple = ()
    seed: tuple = ()
    runtime: tuple = ()
    image: tuple = ()
    user: str = ""
    probe: tuple = ()
    why: str = ""
    states: tuple = ("first", "second")
    # Seconds an ordinary run waits for the oracle, and --probe-timeout.
    # The daemons start in well under a second on an idle machine; these
    # leave room for a VM shared by many (load average 17 was seen here).
    timeout: float = 8.0
    probe_timeout: float = 5.0


COMMON_MOUNTS = ("/run", "/tmp", "/var/log")
# /run/lock is there in every Debian image (base-files makes it, empty, mode
# 1777; /var/lock points to it): made so here, not copied from the host,
# whose /run is not an image's (a machine without systemd may lack it, and
# one with it holds other programs' locks there). Nothing else of the
# host's /run belongs to an image.
COMMON_DIRS = (("/run/lock", 0o1777),)


def as_nobody_check(check):
    """The oracle run by hand as the probe runs --probe-check for a root
    trial: nobody, no capability, no_new_privs."""
    return ["setpriv", f"--reuid={NOBODY.pw_uid}", f"--regid={NOBODY.pw_gid}", "--clear-groups",
            "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--",
            "/bin/sh", "-c", check]


def make_daemons(lab):
    """The daemons, with paths in the lab's staging directory."""
    s = lab.staging
    http_check = ("curl -sf -o /dev/null --max-time 2 http://127.0.0.1/ && "
                  "pgrep -u www-data -x {exe} >/dev/null")
    ssh = (f"ssh -F /dev/null -i {s}/client_key -o BatchMode=yes -o StrictHostKeyChecking=no "
           f"-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=2 -p 22 "
           f"root@127.0.0.1 true")
    return {d.name: d for d in [
        Daemon(
            "nginx", ["nginx", "-g", "daemon off;"],
            check=http_check.format(exe="nginx"),
            mounts=("/var/lib/nginx",), seed=("/var/log/nginx",),
            runtime=("/var/lib/nginx/body", "/var/lib/nginx/proxy", "/var/lib/nginx/fastcgi",
                     "/var/lib/nginx/uwsgi", "/var/lib/nginx/scgi", "/run/nginx.pid"),
            probe=("--probe-port=80",),
            why="a page served over HTTP, and workers that run as www-data: a master that "
                "could not drop to www-data still serves, as root (issue 17)"),
        Daemon(
            "apache2", ["apache2ctl", "-D", "FOREGROUND"],
            check=http_check.format(exe="apache2"),
            seed=("/var/log/apache2",),
            runtime=("/run/apache2", "/run/lock/apache2"),
            probe=("--probe-port=80",),
            why="as nginx: apache2 with NET_BIND_SERVICE alone serves pages from workers that "
                "stayed uid 0 (AH02156 setgid: Operation not permitted)"),
        Daemon(
            "chronyd", ["chronyd", "-d", "-x"],
            check=("chronyc -n -h 127.0.0.1 tracking >/dev/null && "
                   "pgrep -u _chrony -x chronyd >/dev/null"),
            mounts=("/var/lib/chrony",),
            runtime=("/run/chrony",),
            why="chronyc's `tracking` answered over chronyd's command port (127.0.0.1:323/udp), "
                "the interface any local user has (the Unix socket in /run/chrony is for root "
                "and _chrony only), from a daemon that dropped root for _chrony. With -x it "
                "never sets the clock, and the namespace has no route to an NTP server, so "
                "serving time cannot be the test"),
        Daemon(
            "sshd", ["/usr/sbin/sshd", "-D", "-e", "-p", "22", "-h", f"{s}/host_key",
                     "-o", f"AuthorizedKeysFile={s}/authorized_keys",
                     "-o", "PidFile=/run/sshd.pid"],
            check=ssh,
            seed=("/var/log/wtmp", "/var/log/btmp", "/var/log/lastlog"),
            runtime=("/run/sshd.pid",),
            # sshd never creates its privilege separation directory (the
            # init script and systemd unit do): every sshd image has
            # `RUN mkdir /run/sshd`. test_sshd_needs_its_directory checks
            # that without it sshd starts with no set at all.
            image=(("/run/sshd", 0o755, 0, 0),),
            probe=("--probe-port=22",),
            # A login runs PAM's session stack (pam_motd runs
            # update-motd.d): seconds on a loaded machine.
            timeout=15.0, probe_timeout=12.0,
            why="a key login as root that runs `true` (the ssh client as nobody), through "
                "Debian's sshd_config with UsePAM: privilege separation, PAM, the session"),
        Daemon(
            "dnsmasq", ["dnsmasq", "-k", "--no-resolv", "--address=/example.local/10.1.2.3"],
            check=(f"/usr/bin/python3 {s}/dnsq.py 127.0.0.1 example.local 10.1.2.3 && "
                   "pgrep -u nobody -x dnsmasq >/dev/null"),
            runtime=("/run/dnsmasq", "/run/dnsmasq.pid"),
            probe=("--probe-port=53/udp",),
            why="an A query for example.local over UDP answered with 10.1.2.3, from a daemon "
                "that dropped root for nobody (its compiled-in user)"),
        Daemon(
            "ping", ["ping", "-c1", "-W2", "127.0.0.1"], server=False, user="nobody",
            states=("first",),
            why="exit status 0: one echo reply; /usr/bin/ping carries cap_net_raw=ep"),
        Daemon(
            "ping-copy", [f"{s}/bin/ping", "-c1", "-W2", "127.0.0.1"], server=False,
            user="nobody", states=("first",),
            why="exit status 0: one echo reply; a copy of ping without the "
                "security.capability xattr"),
    ]}


# ---- running one ---------------------------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)


def _die_with_parent():
    _libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _children(pid):
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _copy_shape(src, dst):
    """Copy src to dst as an image holds it: directories, links and files
    with their mode and owner, files empty (a log written on the host by
    something else is not the package's)."""
    st = os.lstat(src)
    if os.path.islink(src):
        os.symlink(os.readlink(src), dst)
    elif os.path.isdir(src):
        os.mkdir(dst)
        for entry in sorted(os.listdir(src)):
            _copy_shape(os.path.join(src, entry), os.path.join(dst, entry))
    elif os.path.isfile(src):
        Path(dst).touch()
    else:
        return
    os.lchown(dst, st.st_uid, st.st_gid)
    if not os.path.islink(dst):
        os.chmod(dst, st.st_mode & 0o7777)


@dataclass
class Outcome:
    works: bool
    why: str
    output: str = ""
    seconds: float = 0.0
    rc: int = None

    def __bool__(self):
        return self.works


@dataclass
class Lab:
    """The session's staging directory (seeds, keys, helper copies, logs)."""
    staging: Path
    capinit: str = str(CAPINIT)
    daemons: dict = field(default_factory=dict)
    seeds: dict = field(default_factory=dict)
    log: list = field(default_factory=list)
    # Ordinary runs are independent (namespaces and tmpfs of their own), so
    # the runs behind one claim run side by side: most of a failing run is
    # waiting for an oracle that never passes.
    _numbers: object = field(default_factory=lambda: itertools.count(1))
    _verified: dict = field(default_factory=dict)
    _lock: object = field(default_factory=threading.Lock)

    # -- setup --------------------------------------------------------------------

    @classmethod
    def create(cls):
        # Not under /tmp, /run or /var/log (tmpfs over them inside), and not
        # under a world-writable directory: sshd's StrictModes refuses an
        # authorized_keys file below one (/var/tmp is 1777).
        staging = Path(tempfile.mkdtemp(prefix="capinit-daemons-", dir="/var/lib"))
        os.chmod(staging, 0o755)
        lab = cls(staging)
        lab._prepare()
        lab.daemons = make_daemons(lab)
        return lab

    def _prepare(self):
        s = self.staging
        (s / "seeds").mkdir()
        (s / "logs").mkdir()
        (s / "bin").mkdir(mode=0o755)
        # ping without its file capability: a plain copy drops the xattr.
        shutil.copyfile("/usr/bin/ping", s / "bin" / "ping")
        os.chmod(s / "bin" / "ping", 0o755)
        shutil.copyfile(HERE / "dnsq.py", s / "dnsq.py")
        os.chmod(s / "dnsq.py", 0o644)
        # sshd: a host key, a client key nobody can read (the oracle runs as
        # nobody), and that key authorized for root.
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(s / "host_key")],
                       check=True)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                        str(s / "client_key")], check=True)
        os.chown(s / "client_key", NOBODY.pw_uid, NOBODY.pw_gid)
        shutil.copyfile(s / "client_key.pub", s / "authorized_keys")
        os.chmod(s / "authorized_keys", 0o644)

    def close(self):
        shutil.rmtree(self.staging, ignore_errors=True)

    # -- states -----------------------------------------------------------------

    def mounts(self, d):
        return COMMON_MOUNTS + tuple(d.mounts)

    def seed(self, d, state):
        """The seed directory of daemon d's state ("first" or "second")."""
        key = (d.name, state)
        if key not in self.seeds:
            if state == "first":
                self.seeds[key] = self._first_seed(d)
            elif state == "second":
                self.seeds[key] = self._second_seed(d)
            else:
                raise ValueError(state)
        return self.seeds[key]

    def _first_seed(self, d, with_image=True):
        root = self.staging / "seeds" / f"{d.name}-first{'' if with_image else '-bare'}"
        root.mkdir()
        for m in self.mounts(d):
            dst = root / m.lstrip("/")
            dst.parent.mkdir(parents=True, exist_ok=True)
            if m in d.mounts:
                _copy_shape(m, dst)  # the state directory as the package made it
            else:
                dst.mkdir()
                os.chown(dst, 0, 0)
                os.chmod(dst, 0o1777 if m == "/tmp" else 0o755)
        for p, mode in COMMON_DIRS:
            dst = root / p.lstrip("/")
            dst.mkdir(parents=True, exist_ok=True)
            os.chown(dst, 0, 0)
            os.chmod(dst, mode)
        for p in d.seed:
            if os.path.lexists(p):
                dst = root / p.lstrip("/")
                dst.parent.mkdir(parents=True, exist_ok=True)
                if not dst.exists():
                    _copy_shape(p, dst)
        # What the daemon makes at its first start is not in the image,
        # whatever the host has (someone may have run it here).
        for p in d.runtime:
            q = root / p.lstrip("/")
            if q.is_dir() and not q.is_symlink():
                shutil.rmtree(q)
            elif q.exists() or q.is_symlink():
                q.unlink()
        if with_image:
            for path, mode, uid, gid in d.image:
                q = root / path.lstrip("/")
                q.mkdir(parents=True, exist_ok=True)
                os.chown(q, uid, gid)
                os.chmod(q, mode)
        return root

    def bare_seed(self, d):
        """The package alone, without what an image adds (sshd's /run/sshd)."""
        key = (d.name, "bare")
        if key not in self.seeds:
            self.seeds[key] = self._first_seed(d, with_image=False)
        return self.seeds[key]

    def _second_seed(self, d):
        """Start once from the first-start state with every capability (as
        root, no capability variable), wait until it works, stop it with
        SIGTERM as `docker stop` does, and keep what it left."""
        first = self.seed(d, "first")
        root = self.staging / "seeds" / f"{d.name}-second"
        out = self.run(d, None, first, capture=root)
        assert out.works, f"{d.name}: the first start with every capability failed: {out.why}\n" \
                          f"{out.output}"
        return root

    # -- a run --------------------------------------------------------------------

    def script(self, d, seed, inner, env, capture=None, absent=()):
        """The shell script that makes the namespaces' filesystems and then
        starts `inner` (capinit ...) as PID 1 of a new PID namespace."""
        q = shlex.quote
        lines = ["set -eu", "ip link set lo up"]
        for m in self.mounts(d):
            src = seed / m.lstrip("/")
            st = os.stat(src)
            lines.append(f"mount -t tmpfs -o mode={st.st_mode & 0o7777:o},uid={st.st_uid},"
                         f"gid={st.st_gid} capinit-daemons {q(m)}")
            lines.append(f"cp -a {q(str(src))}/. {q(m)}/")
        for p in absent:
            lines.append(f"if [ -e {q(p)} ]; then echo 'daemons: {p} is there at a first "
                         f"start' >&2; exit 97; fi")
        envs = " ".join(q(f"{k}={v}") for k, v in env.items())
        # setpriv's parent-death signal: if this shell is killed, so is the
        # inner unshare, whose --kill-child ends the PID namespace.
        lines.append(f"setpriv --pdeathsig KILL -- unshare -fp --mount-proc --kill-child -- "
                     f"env -i {envs} {' '.join(q(a) for a in inner)} &")
        lines.append("rc=0; wait $! || rc=$?")
        if capture:
            for m in self.mounts(d):
                dst = q(str(capture / m.lstrip("/")))
                lines.append(f"mkdir -p {dst} && cp -a {q(m)}/. {dst}/ && "
                             f"chmod --reference={q(m)} {dst} && chown --reference={q(m)} {dst}")
        lines.append("exit $rc")
        return "\n".join(lines) + "\n"

    def start(self, d, seed, inner, env, capture=None, absent=()):
        logpath = self.staging / "logs" / f"{next(self._numbers):04d}-{d.name}.log"
        logf = open(logpath, "wb")
        script = self.script(d, seed, inner, env, capture, absent)
        proc = subprocess.Popen(
            ["unshare", "-mn", "--propagation", "private", "-f", "--kill-child", "--",
             "/bin/bash", "-c", script],
            stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent)
        logf.close()
        return Running(self, d, proc, logpath)

    def env(self, d, caps, extra=None):
        env = {"PATH": PATH, "HOME": "/root", "LANG": "C", "CAPINIT_GRACE": "2"}
        if caps is not None:
            env["CAPINIT_CAP_DROP"] = "ALL"
            env["CAPINIT_CAP_ADD"] = spell(caps)
        if d.user:
            env["CAPINIT_USER"] = d.user
        env.update(extra or {})
        return env

    def run(self, d, caps, seed, capture=None, timeout=None, absent=()):
        """One ordinary run of d with caps (None: capinit keeps what it was
        given) from seed; stopped once judged."""
        t0 = time.monotonic()
        timeout = timeout or d.timeout
        r = self.start(d, seed, [self.capinit, "--"] + d.argv, self.env(d, caps), capture, absent)
        try:
            if d.server:
                ok, why = r.judge(d.check, timeout)
                r.stop()
            else:
                rc = r.wait(timeout)
                ok, why = (rc == 0), (f"exited {rc}" if rc is not None else "timed out")
        finally:
            r.stop()
        out = Outcome(ok, why, r.output(), time.monotonic() - t0, r.proc.returncode)
        self.log.append((d.name, None if caps is None else spell(caps), str(seed.name),
                         out.works, out.why, round(out.seconds, 2)))
        return out

    def works(self, daemon, caps, state="first", **kw):
        """The ordinary run: does `daemon` work with exactly `caps` from
        `state` ("first" or "second")?"""
        d = self.daemons[daemon]
        seed = self.seed(d, state)
        absent = d.runtime if state == "first" else ()
        return self.run(d, capset(caps) if caps is not None else None, seed, absent=absent, **kw)

    def probe(self, daemon, state, args, timeout=240):
        """capinit ARGS -- daemon's argv, as PID 1 (root, every capability,
        so the sandbox runner applies) from `state`; (rc, stdout, stderr)."""
        d = self.daemons[daemon]
        seed = self.seed(d, state)
        absent = d.runtime if state == "first" else ()
        env = {"PATH": PATH, "HOME": "/root", "LANG": "C"}
        if d.user:
            env["CAPINIT_USER"] = d.user
        # stdout (the result) apart from stderr (progress, the app's output).
        base = self.staging / "logs" / f"{next(self._numbers):04d}-{d.name}-probe"
        inner = [self.capinit] + list(args) + ["--"] + d.argv
        script = self.script(d, seed, inner, env, absent=absent)
        with open(f"{base}.out", "wb") as out, open(f"{base}.err", "wb") as err:
            proc = subprocess.Popen(
                ["unshare", "-mn", "--propagation", "private", "-f", "--kill-child", "--",
                 "/bin/bash", "-c", script],
                stdin=subprocess.DEVNULL, stdout=out, stderr=err, preexec_fn=_die_with_parent)
        t0 = time.monotonic()
        try:
            rc = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            rc = None
        self.last_probe_seconds = time.monotonic() - t0
        return rc, Path(f"{base}.out").read_text(errors="replace"), \
            Path(f"{base}.err").read_text(errors="replace")


    def note_probe(self, daemon, state, what, rc, trials, stderr):
        """Remember a probe's numbers for the session's summary (and
        docs/daemons.md)."""
        PROBE_NOTES.append({"daemon": daemon, "state": state, "what": what, "exit": rc,
                            "trials": trials, "seconds": round(self.last_probe_seconds, 1)})


# Every probe run of the session: printed at its end by conftest.py.
PROBE_NOTES = []


class Running:
    """One run in progress: the outer unshare (A) → bash (B) → unshare -fp
    (C) → capinit (D), PID 1 of the run's PID namespace."""

    def __init__(self, lab, d, proc, logpath):
        self.lab, self.d, self.proc, self.logpath = lab, d, proc, logpath
        self._init = None

    def init_pid(self):
        """capinit's host pid, once it runs (None if the run ended first)."""
        if self._init is None:
            chain = [self.proc.pid]
            for _ in range(3):
                kids = _children(chain[-1])
                if not kids:
                    return None
                chain.append(kids[0])
            self._init = chain[-1]
            self._unshare = chain[-2]
        return self._init

    def in_ns(self, argv, timeout=5):
        pid = self.init_pid()
        if pid is None:
            return None
        try:
            # Its net, mount and PID namespaces: the client sees what a
            # process of the container sees (/proc included).
            return subprocess.run(["nsenter", "-t", str(pid), "-n", "-m", "-p", "--"] + argv,
                                  stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def judge(self, check, timeout):
        """Poll the oracle (as nobody, no capability, in the namespaces)
        until it passes, the run ends, or the timeout."""
        deadline = time.monotonic() + timeout
        last = ""
        # A check can be costly (an ssh login is a key exchange): back off
        # from 0.1 s to 1 s between tries, as the probe's check loop does,
        # so that runs side by side leave each other the CPU.
        interval = 0.1
        while True:
            if self.proc.poll() is not None:
                return False, f"ended (status {self.proc.returncode}) before the check passed"
            if self.init_pid() is not None:
                r = self.in_ns(as_nobody_check(check), timeout=timeout)
                if r is not None and r.returncode == 0:
                    return True, "check passed"
                if r is not None:
                    last = (r.stdout + r.stderr).strip().splitlines()[-1:] or [""]
                    last = last[0]
            if time.monotonic() > deadline:
                return False, f"check did not pass in {timeout} s ({last})"
            time.sleep(interval)
            interval = min(interval * 2, 1.0)

    def wait(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        """SIGTERM to capinit (it forwards it, as `docker stop` does), then
        SIGKILL of the PID namespace's holder if that is not enough."""
        if self.proc.poll() is not None:
            return
        pid = self.init_pid()
        if pid is not None:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            if self.wait(5) is not None:
                return
            try:
                os.kill(self._unshare, signal.SIGKILL)
            except ProcessLookupError:
                pass
            if self.wait(5) is not None:
                return
        self.proc.kill()
        self.proc.wait()

    def output(self):
        try:
            return self.logpath.read_text(errors="replace")
        except OSError:
            return ""


# ---- ground truth ----------------------------------------------------------------------


def search_minimal(lab, daemon, state, candidates=None):
    """A set found by ordinary runs alone: from every candidate, remove
    groups in REMOVAL_ORDER and keep a removal when the daemon still works
    (a group that fails is split in halves). Each member of the result is
    then shown needed by a run without it. Returns (set, runs)."""
    cands = set(candidates if candidates is not None else host_candidates())
    runs = 0

    def ok(caps):
        nonlocal runs
        runs += 1
        return lab.works(daemon, caps, state).works

    assert ok(cands), f"{daemon} ({state} start) does not work even with every candidate"
    order = [c for c in REMOVAL_ORDER if c in cands] + sorted(cands - set(REMOVAL_ORDER))
    kept = set(cands)

    def drop(group):
        nonlocal kept
        if not group:
            return
        if ok(kept - set(group)):
            kept -= set(group)
            return
        if len(group) == 1:
            return
        half = len(group) // 2
        drop(group[:half])
        drop(group[half:])

    drop(order)
    return frozenset(kept), runs


def necessity(lab, daemon, caps, state):
    """The ordinary runs behind a claimed set, side by side and remembered
    for the session: (Outcome with caps, {member: Outcome without it})."""
    caps = capset(caps)
    key = (daemon, state, caps)
    with lab._lock:
        if key in lab._verified:
            return lab._verified[key]
    lab.seed(lab.daemons[daemon], state)  # made once, before the threads
    sets = [caps] + [caps - {m} for m in ordered(caps)]
    with ThreadPoolExecutor(max_workers=min(len(sets), 6)) as pool:
        outs = list(pool.map(lambda c: lab.works(daemon, c, state), sets))
    result = (outs[0], dict(zip(ordered(caps), outs[1:])))
    with lab._lock:
        lab._verified[key] = result
    return result


# ---- what ordinary runs found on the test machine ------------------------------------
#
# Found by search_minimal() (tests/daemons/test_ground_truth.py::test_search,
# mark `search`) on the project's Debian 12 VM, kernel 6.18, with the host's 40
# candidates, and written down in docs/daemons.md. They are expectations, not
# answers: every session checks each by ordinary runs (it works, and it fails
# without any one member), and the probe tests compare the probe's result
# with an expectation only after that check passed in the same session.
EXPECTED = {
    ("nginx", "first"): "CHOWN,DAC_OVERRIDE,SETGID,SETUID,NET_BIND_SERVICE",
    ("nginx", "second"): "DAC_OVERRIDE,SETGID,SETUID,NET_BIND_SERVICE",
    ("apache2", "first"): "CHOWN,SETGID,SETUID,NET_BIND_SERVICE",
    ("apache2", "second"): "SETGID,SETUID,NET_BIND_SERVICE",
    ("chronyd", "first"): "CHOWN,DAC_OVERRIDE,SETGID,SETUID,NET_BIND_SERVICE",
    ("chronyd", "second"): "DAC_OVERRIDE,SETGID,SETUID,NET_BIND_SERVICE",
    ("sshd", "first"): "SETGID,SETUID,NET_BIND_SERVICE,SYS_CHROOT",
    ("sshd", "second"): "SETGID,SETUID,NET_BIND_SERVICE,SYS_CHROOT",
    ("dnsmasq", "first"): "SETGID,SETUID,NET_BIND_SERVICE",
    ("dnsmasq", "second"): "SETGID,SETUID,NET_BIND_SERVICE",
    ("ping", "first"): "NET_RAW",
    ("ping-copy", "first"): "NET_RAW",
}
