"""Run capinit in real OCI containers with runc, the way a user's image runs it.

Used by tests/integration/test_containers.py. Everything here is plain
standard-library Python (Debian's python3) plus the `runc` binary; the caller
must be root.

- build_rootfs(): a minimal root filesystem laid out like an image built
  FROM scratch: /capinit (the static build), /bin/busybox and its applet links,
  /selftest.sh, /etc/passwd and /etc/group (from tests/container/rootfs, the
  same files Dockerfile.test copies), /home/app owned by the non-root user.
- Bundle: one OCI bundle (config.json derived from `runc spec`) around a
  shared read-only rootfs, with Docker's default capability set; run() it in
  the foreground (`runc run`) or start() it detached (`runc create` + `runc
  start` under a small subreaper shim, as containerd-shim does for Docker) to
  `runc kill` it. The container is always `runc delete -f`d afterwards.
- dockerfile_image_config(): the final stage's ENV/ENTRYPOINT/CMD/USER/WORKDIR
  of a Dockerfile, so a test can run exactly what `docker run IMAGE` runs.
"""

import copy
import itertools
import json
import os
import re
import select
import shlex
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SELFTEST = HERE / "selftest.sh"
SKELETON = HERE / "rootfs"
SHIM = HERE / "shim.py"
DOCKERFILE_TEST = REPO / "Dockerfile.test"

RUNC = os.environ.get("RUNC", "runc")
BUSYBOX = "/bin/busybox"


def capinit_binary():
    """The capinit under test: build/capinit (TEST_CAPINIT_BINARY overrides)."""
    return Path(os.environ.get("TEST_CAPINIT_BINARY") or REPO / "build" / "capinit")


# ---- capabilities ----------------------------------------------------------------

CAP_BITS = {
    "CHOWN": 0, "DAC_OVERRIDE": 1, "DAC_READ_SEARCH": 2, "FOWNER": 3,
    "FSETID": 4, "KILL": 5, "SETGID": 6, "SETUID": 7, "SETPCAP": 8,
    "LINUX_IMMUTABLE": 9, "NET_BIND_SERVICE": 10, "NET_BROADCAST": 11,
    "NET_ADMIN": 12, "NET_RAW": 13, "IPC_LOCK": 14, "IPC_OWNER": 15,
    "SYS_MODULE": 16, "SYS_RAWIO": 17, "SYS_CHROOT": 18, "SYS_PTRACE": 19,
    "SYS_PACCT": 20, "SYS_ADMIN": 21, "SYS_BOOT": 22, "SYS_NICE": 23,
    "SYS_RESOURCE": 24, "SYS_TIME": 25, "SYS_TTY_CONFIG": 26, "MKNOD": 27,
    "LEASE": 28, "AUDIT_WRITE": 29, "AUDIT_CONTROL": 30, "SETFCAP": 31,
    "MAC_OVERRIDE": 32, "MAC_ADMIN": 33, "SYSLOG": 34, "WAKE_ALARM": 35,
    "BLOCK_SUSPEND": 36, "AUDIT_READ": 37, "PERFMON": 38, "BPF": 39,
    "CHECKPOINT_RESTORE": 40,
}

# What Docker (moby's oci/caps DefaultCapabilities) grants a container unless
# told otherwise; also containerd's CRI default for Kubernetes pods.
DOCKER_DEFAULT_CAPS = [
    "CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID",
    "SETUID", "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL",
    "AUDIT_WRITE",
]

DOCKER_DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def _capname(name):
    name = name.strip().upper()
    return name[4:] if name.startswith("CAP_") else name


def cap_mask(names):
    """Bit mask of capability names (with or without CAP_)."""
    mask = 0
    for name in names:
        mask |= 1 << CAP_BITS[_capname(name)]
    return mask


def hexmask(mask):
    """A mask as /proc/PID/status prints it: 16 lower-case hex digits."""
    return "%016x" % mask


def oci_caps(names):
    return ["CAP_" + _capname(n) for n in names]


# ---- the root filesystem -------------------------------------------------------------

def elf_interpreter(path):
    """PT_INTERP of an ELF executable (None for a static one). ValueError if not ELF."""
    with open(path, "rb") as f:
        ident = f.read(16)
        if ident[:4] != b"\x7fELF":
            raise ValueError("%s is not an ELF file" % path)
        is64 = ident[4] == 2
        end = "<" if ident[5] == 1 else ">"
        if is64:
            hdr = f.read(48)
            phoff, = struct.unpack(end + "Q", hdr[16:24])
            phentsize, phnum = struct.unpack(end + "HH", hdr[38:42])
        else:
            hdr = f.read(36)
            phoff, = struct.unpack(end + "I", hdr[12:16])
            phentsize, phnum = struct.unpack(end + "HH", hdr[26:30])
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            ph = f.read(phentsize)
            p_type, = struct.unpack(end + "I", ph[:4])
            if p_type == 3:  # PT_INTERP
                if is64:
                    off, = struct.unpack(end + "Q", ph[8:16])
                    size, = struct.unpack(end + "Q", ph[32:40])
                else:
                    off, = struct.unpack(end + "I", ph[4:8])
                    size, = struct.unpack(end + "I", ph[16:20])
                f.seek(off)
                return f.read(size).rstrip(b"\0").decode()
    return None


def require_static(path, what):
    """Fail with a clear message unless PATH exists and is a static executable:
    a dynamic one cannot run in a FROM-scratch image."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError("%s not found at %s" % (what, path))
    interp = elf_interpreter(path)
    if interp is not None:
        raise AssertionError("%s (%s) is dynamically linked (interpreter %s): "
                             "it cannot run in a FROM-scratch image" % (what, path, interp))


def busybox_applets(busybox=BUSYBOX):
    out = subprocess.run([busybox, "--list"], check=True, stdout=subprocess.PIPE, text=True).stdout
    return [a for a in out.split() if a and "/" not in a and a != "busybox"]


def build_rootfs(dest, capinit=None, busybox=BUSYBOX):
    """Lay out a FROM-scratch style root filesystem in DEST; returns DEST."""
    dest = Path(dest)
    capinit = Path(capinit or capinit_binary())
    require_static(capinit, "capinit")
    require_static(busybox, "busybox")
    dest.mkdir(parents=True, exist_ok=True)
    os.chmod(dest, 0o755)  # becomes "/": a non-root app must be able to traverse it
    for d in ("bin", "etc", "proc", "dev", "sys", "tmp", "root", "home/app"):
        (dest / d).mkdir(parents=True, exist_ok=True)
    os.chmod(dest / "tmp", 0o1777)
    os.chmod(dest / "root", 0o700)
    os.chown(dest / "home/app", 1000, 1000)

    shutil.copy(capinit, dest / "capinit")
    os.chmod(dest / "capinit", 0o755)
    shutil.copy(busybox, dest / "bin/busybox")
    os.chmod(dest / "bin/busybox", 0o755)
    for applet in busybox_applets(busybox):
        link = dest / "bin" / applet
        if not link.exists():
            link.symlink_to("busybox")

    shutil.copy(SELFTEST, dest / "selftest.sh")
    os.chmod(dest / "selftest.sh", 0o755)
    for src in SKELETON.rglob("*"):
        rel = src.relative_to(SKELETON)
        if src.is_dir():
            (dest / rel).mkdir(parents=True, exist_ok=True)
        else:
            shutil.copy(src, dest / rel)
            os.chmod(dest / rel, 0o644)
    return dest


# ---- the OCI config ------------------------------------------------------------------

_base_spec = None


def runc_spec():
    """`runc spec` output as a dict (generated once per process)."""
    global _base_spec
    if _base_spec is None:
        with tempfile.TemporaryDirectory() as d:
            subprocess.run([RUNC, "spec", "--bundle", d], check=True)
            with open(os.path.join(d, "config.json")) as f:
                _base_spec = json.load(f)
    return copy.deepcopy(_base_spec)


_ids = itertools.count(1)


def new_container_id(prefix="capinit-test"):
    return "%s-%d-%d-%s" % (prefix, os.getpid(), next(_ids), uuid.uuid4().hex[:8])


@dataclass
class Result:
    """How a container ended. status is what `runc run` (or Docker) reports:
    the init's exit status N, or 128+S when it was killed by signal S."""
    status: int
    stdout: str
    stderr: str
    duration: float
    signal: int = None
    container_id: str = ""

    def selftest_lines(self):
        return [l for l in self.stdout.splitlines() if l.startswith(("ok ", "not ok "))]

    def selftest_failures(self):
        return [l for l in self.stdout.splitlines() if l.startswith("not ok")]

    def describe(self):
        return ("container %s: status %s%s, %.2fs\n--- stdout ---\n%s--- stderr ---\n%s"
                % (self.container_id, self.status,
                   " (signal %d)" % self.signal if self.signal else "",
                   self.duration, self.stdout, self.stderr))


class ContainerTimeout(AssertionError):
    pass


@dataclass
class Bundle:
    """One OCI bundle: DIR/config.json pointing at a (shared) rootfs.

    Defaults reproduce `docker run IMAGE` as far as capabilities go: Docker's
    default capability set in bounding/effective/permitted, inheritable and
    ambient empty, noNewPrivileges false, uid 0; plus a read-only root.
    """
    dir: Path
    rootfs: Path
    args: list
    env: dict = field(default_factory=dict)
    uid: int = 0
    gid: int = 0
    additional_gids: list = None
    caps: list = field(default_factory=lambda: list(DOCKER_DEFAULT_CAPS))
    ambient: list = field(default_factory=list)
    inheritable: list = field(default_factory=list)
    no_new_privileges: bool = False
    readonly: bool = True
    cwd: str = "/"
    hostname: str = "capinit-test"
    mounts: list = field(default_factory=list)
    sysctl: dict = field(default_factory=dict)
    container_id: str = field(default_factory=new_container_id)

    def config(self):
        spec = runc_spec()
        proc = spec["process"]
        proc.pop("rlimits", None)  # raising RLIMIT_NOFILE fails on this VM
        proc["terminal"] = False
        proc["args"] = list(self.args)
        env = dict(self.env)
        env.setdefault("PATH", DOCKER_DEFAULT_PATH)
        proc["env"] = ["%s=%s" % kv for kv in env.items()]
        proc["cwd"] = self.cwd
        proc["user"] = {"uid": self.uid, "gid": self.gid}
        if self.additional_gids:
            proc["user"]["additionalGids"] = list(self.additional_gids)
        caps = oci_caps(self.caps)
        proc["capabilities"] = {
            "bounding": caps,
            "effective": caps,
            "permitted": caps,
            "inheritable": oci_caps(self.inheritable),
            "ambient": oci_caps(self.ambient),
        }
        proc["noNewPrivileges"] = bool(self.no_new_privileges)
        spec["root"] = {"path": str(self.rootfs), "readonly": bool(self.readonly)}
        spec["hostname"] = self.hostname
        spec["mounts"] = spec["mounts"] + list(self.mounts)
        if self.sysctl:
            spec["linux"]["sysctl"] = dict(self.sysctl)
        return spec

    def write(self):
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.dir / "config.json", "w") as f:
            json.dump(self.config(), f, indent=2)
        return self

    def run(self, timeout=60, during=None):
        """`runc run` in the foreground; returns a Result; always deleted.

        DURING, if given, is called with a Running handle (wait_for_output,
        kill, exec) while runc runs, e.g. to `runc kill` the container."""
        self.write()
        cid = self.container_id
        out_path, err_path = self.dir / "stdout", self.dir / "stderr"
        t0 = time.monotonic()
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            proc = subprocess.Popen([RUNC, "run", "--bundle", str(self.dir), cid],
                                    stdin=subprocess.DEVNULL, stdout=out, stderr=err)

        def result():
            return Result(proc.returncode, out_path.read_text(errors="replace"),
                          err_path.read_text(errors="replace"), time.monotonic() - t0,
                          container_id=cid)
        try:
            if during is not None:
                during(Running(cid, out_path, err_path, proc.poll))
            try:
                proc.wait(timeout=max(1, timeout - (time.monotonic() - t0)))
            except subprocess.TimeoutExpired:
                kill_container(cid, proc)
                raise ContainerTimeout("runc run did not end within %ss; killed.\n%s"
                                       % (timeout, result().describe()))
        finally:
            if proc.poll() is None:
                kill_container(cid, proc)
            runc_delete(cid)
        return result()

    def run_tty(self, interact, timeout=60):
        """`runc run` with process.terminal true and a pseudo-terminal as runc's
        stdio, as `docker run -it` does. INTERACT(tty) is called with a TTY
        object (read_until(text), write(bytes)) while the container runs."""
        self.write()
        with open(self.dir / "config.json") as f:
            spec = json.load(f)
        spec["process"]["terminal"] = True
        spec["process"]["consoleSize"] = {"height": 25, "width": 80}
        with open(self.dir / "config.json", "w") as f:
            json.dump(spec, f, indent=2)
        cid = self.container_id
        master, slave = os.openpty()
        t0 = time.monotonic()
        proc = subprocess.Popen([RUNC, "run", "--bundle", str(self.dir), cid],
                                stdin=slave, stdout=slave, stderr=slave,
                                start_new_session=True)
        os.close(slave)
        tty = _Tty(master, proc, time.monotonic() + timeout)
        try:
            interact(tty)
            tty.drain()
            try:
                proc.wait(timeout=max(1, tty.deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                runc_kill(cid, "KILL", all_processes=True)
                proc.wait(timeout=15)
                raise ContainerTimeout("runc run (tty) did not end within %ss\n%s"
                                       % (timeout, tty.text()))
        finally:
            if proc.poll() is None:
                kill_container(cid, proc)
            os.close(master)
            runc_delete(cid)
        return Result(proc.returncode, tty.text(), "", time.monotonic() - t0, container_id=cid)

    def start(self):
        """Start detached; use as a context manager (deleted on exit)."""
        self.write()
        return Detached(self)


class _Tty:
    """The host side of a container's terminal."""

    def __init__(self, master, proc, deadline):
        self.master = master
        self.proc = proc
        self.deadline = deadline
        self.buf = b""

    def _read(self, wait):
        r, _, _ = select.select([self.master], [], [], wait)
        if not r:
            return True
        try:
            chunk = os.read(self.master, 4096)
        except OSError:  # EIO: every slave fd is closed
            return False
        if not chunk:
            return False
        self.buf += chunk
        return True

    def text(self):
        return self.buf.decode(errors="replace").replace("\r\n", "\n")

    def read_until(self, text, timeout=20):
        end = min(self.deadline, time.monotonic() + timeout)
        while text not in self.text():
            left = end - time.monotonic()
            if left <= 0 or not self._read(min(left, 0.2)):
                if text in self.text():
                    break
                if left <= 0 or self.proc.poll() is not None:
                    raise AssertionError("%r not seen on the terminal; got:\n%s"
                                         % (text, self.text()))
        return self.text()

    def write(self, data):
        os.write(self.master, data)

    def drain(self):
        while time.monotonic() < self.deadline:
            if not self._read(0.2) or (self.proc.poll() is not None and not self._read(0.05)):
                break


def runc_kill(cid, sig="TERM", all_processes=False):
    cmd = [RUNC, "kill"] + (["--all"] if all_processes else []) + [cid, str(sig)]
    return subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)


def kill_container(cid, proc):
    """SIGKILL every process of container CID, then wait for PROC (the `runc
    run` or shim holding the container) to end, killing PROC itself if it has
    not within 15 s: how every runner here stops a container still going."""
    runc_kill(cid, "KILL", all_processes=True)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def runc_delete(cid):
    subprocess.run([RUNC, "delete", "--force", cid], stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def runc_state(cid):
    r = subprocess.run([RUNC, "state", cid], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        return None
    return json.loads(r.stdout)


def container_ids():
    r = subprocess.run([RUNC, "list", "--format", "json"], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0 or not r.stdout.strip() or r.stdout.strip() == "null":
        return []
    return [c["id"] for c in json.loads(r.stdout)]


class Running:
    """A running container whose stdout/stderr go to files."""

    def __init__(self, cid, out_path, err_path, ended):
        self.cid = cid
        self.out_path = out_path
        self.err_path = err_path
        self._ended = ended  # callable: not None once the container is gone

    def stdout(self):
        return self.out_path.read_text(errors="replace")

    def stderr(self):
        return self.err_path.read_text(errors="replace")

    def wait_for_output(self, text, timeout=20):
        """Wait until TEXT appears on the container's stdout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.stdout():
                return True
            if self._ended() is not None:
                break
            time.sleep(0.05)
        raise AssertionError("%r did not appear on the stdout of %s within %ss\n"
                             "--- stdout ---\n%s--- stderr ---\n%s"
                             % (text, self.cid, timeout, self.stdout(), self.stderr()))

    def kill(self, sig="TERM"):
        r = runc_kill(self.cid, sig)
        assert r.returncode == 0, "runc kill %s %s: %s" % (self.cid, sig, r.stdout)

    def state(self):
        return runc_state(self.cid)

    def exec(self, args, timeout=30):
        """`runc exec` ARGS in the running container (as `docker exec` does);
        returns a CompletedProcess with text output."""
        return subprocess.run([RUNC, "exec", self.cid] + list(args),
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=timeout)


class Detached(Running):
    """A container started by shim.py (runc create + runc start, subreaper)."""

    def __init__(self, bundle):
        super().__init__(bundle.container_id, bundle.dir / "stdout", bundle.dir / "stderr",
                         lambda: None if self.shim is None else self.shim.poll())
        self.bundle = bundle
        self.pid = None
        self.shim = None
        self._buf = b""
        self._t0 = None
        self.result = None

    def __enter__(self):
        self.out_path.write_bytes(b"")
        self.err_path.write_bytes(b"")
        self._t0 = time.monotonic()
        self.shim = subprocess.Popen(
            [sys.executable, str(SHIM), str(self.bundle.dir), self.cid,
             str(self.out_path), str(self.err_path)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
        try:
            ev = self._event(timeout=30)
            if ev is None or ev.get("event") != "started":
                raise AssertionError("container %s did not start: %r\n--- stderr ---\n%s"
                                     % (self.cid, ev, self.stderr()))
            self.pid = ev["pid"]
        except BaseException:
            self.__exit__(*sys.exc_info())
            raise
        return self

    def __exit__(self, *exc):
        try:
            if self.shim is not None and self.shim.poll() is None:
                kill_container(self.cid, self.shim)
            if self.shim is not None and self.shim.stdout:
                self.shim.stdout.close()
        finally:
            runc_delete(self.cid)
        return False

    def _event(self, timeout):
        deadline = time.monotonic() + timeout
        fd = self.shim.stdout.fileno()
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([fd], [], [], left)
            if not r:
                return None
            chunk = os.read(fd, 4096)
            if not chunk:
                return None
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return json.loads(line)

    def wait(self, timeout=30):
        """Wait for the container's init to end; returns a Result."""
        ev = self._event(timeout)
        if ev is None:
            raise ContainerTimeout("container %s did not end within %ss\n--- stdout ---\n%s"
                                   "--- stderr ---\n%s" % (self.cid, timeout, self.stdout(), self.stderr()))
        if ev.get("event") != "exited":
            raise AssertionError("shim: %r" % ev)
        self.shim.wait(timeout=10)
        sig = ev["signal"]
        status = ev["status"] if sig is None else 128 + sig
        self.result = Result(status, self.stdout(), self.stderr(),
                             time.monotonic() - self._t0, signal=sig, container_id=self.cid)
        return self.result


# ---- Dockerfile ------------------------------------------------------------------------

def _dockerfile_instructions(text):
    """(INSTRUCTION, arguments) of a Dockerfile: comments dropped, continuations joined."""
    lines = []
    cur = ""
    for raw in text.splitlines():
        s = raw.strip()
        if not cur and (not s or s.startswith("#")):
            continue
        if cur and s.startswith("#"):
            continue  # comment lines inside a continued instruction are ignored
        if s.endswith("\\"):
            cur += s[:-1] + " "
            continue
        cur += s
        if cur.strip():
            lines.append(cur.strip())
        cur = ""
    if cur.strip():
        lines.append(cur.strip())
    out = []
    for line in lines:
        m = re.match(r"(\S+)\s*(.*)$", line, re.S)
        out.append((m.group(1).upper(), m.group(2)))
    return out


def _exec_or_shell(arg):
    arg = arg.strip()
    if arg.startswith("["):
        try:
            v = json.loads(arg)
            if isinstance(v, list) and all(isinstance(x, str) for x in v):
                return v
        except ValueError:
            pass
    return ["/bin/sh", "-c", arg]  # shell form


def dockerfile_image_config(path=DOCKERFILE_TEST):
    """ENV, ENTRYPOINT, CMD, USER, WORKDIR of a Dockerfile's final stage, as
    docker run would use them (ENTRYPOINT + CMD = the container's argv)."""
    text = Path(path).read_text()
    stages = []
    for ins, arg in _dockerfile_instructions(text):
        if ins == "FROM":
            stages.append({"from": arg, "env": {}, "entrypoint": None, "cmd": None,
                           "user": None, "workdir": None, "copies": []})
            continue
        if not stages:
            continue
        st = stages[-1]
        if ins == "ENV":
            toks = shlex.split(arg)
            if toks and "=" in toks[0]:
                for t in toks:
                    k, _, v = t.partition("=")
                    st["env"][k] = v
            elif toks:
                k, v = arg.split(None, 1)
                st["env"][k] = v.strip()
        elif ins == "ENTRYPOINT":
            st["entrypoint"] = _exec_or_shell(arg)
            st["cmd"] = None  # an ENTRYPOINT resets an inherited CMD
        elif ins == "CMD":
            st["cmd"] = _exec_or_shell(arg)
        elif ins == "USER":
            st["user"] = arg.strip()
        elif ins == "WORKDIR":
            st["workdir"] = arg.strip()
        elif ins in ("COPY", "ADD"):
            st["copies"].append(arg)
    if not stages:
        raise ValueError("%s has no FROM" % path)
    final = stages[-1]
    final["argv"] = (final["entrypoint"] or []) + (final["cmd"] or [])
    final["stages"] = stages
    return final
