"""Helpers for tests/engine: the two engines' command lines, images made from
local files only, the probe's report, and snippets read out of README.md and
docs/ so that documentation and tests cannot drift."""

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / "build"
STATE = BUILD / "engine"
CAPINIT = BUILD / "capinit"
PROBE = STATE / "probe"
BUSYBOX = Path("/bin/busybox")
ROOTFS_ETC = REPO / "tests" / "container" / "rootfs" / "etc"

NBS = "0000000000000400"
NONE = "0000000000000000"
DOCKER_DEFAULT = "00000000a80425fb"
PODMAN_DEFAULT = "00000000800405fb"
# The spec the README's recipes use, and the grant the Kubernetes recipe gives.
SEED = {"CAPINIT_CAP_DROP": "ALL", "CAPINIT_CAP_ADD": "NET_BIND_SERVICE"}
NARROW = ["NET_BIND_SERVICE", "SETUID", "SETGID", "SETPCAP", "KILL"]
# Docker sets ip_unprivileged_port_start=0 in a container's network namespace;
# put it back to the kernel's 1024 so that port 80 proves the capability.
PORT_SYSCTL = ["--sysctl", "net.ipv4.ip_unprivileged_port_start=1024"]


class Result:
    def __init__(self, rc, out, err):
        self.rc, self.out, self.err = rc, out, err

    @property
    def report(self):
        return parse_report(self.out)

    def __repr__(self):
        return "rc=%s\n--- stdout\n%s--- stderr\n%s" % (self.rc, self.out, self.err)


def parse_report(text):
    rep = {}
    for line in text.splitlines():
        k, sep, v = line.partition("=")
        if sep and re.fullmatch(r"[A-Za-z0-9]+", k):
            rep[k] = v.strip()
    return rep


def sh(argv, timeout=120, check=False, **kw):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=timeout, **kw)
    if check and p.returncode != 0:
        raise AssertionError("%s failed: %s" % (" ".join(map(str, argv)), Result(p.returncode, p.stdout, p.stderr)))
    return Result(p.returncode, p.stdout, p.stderr)


class Engine:
    """One engine's CLI. Docker by absolute path: another `docker` client may
    come first on PATH; podman is Debian's."""

    def __init__(self, name):
        self.name = name
        self.bin = "/usr/bin/docker" if name == "docker" else "/usr/bin/podman"
        self.default_set = DOCKER_DEFAULT if name == "docker" else PODMAN_DEFAULT

    def __repr__(self):
        return self.name

    def __call__(self, *args, timeout=120, check=False, **kw):
        return sh([self.bin, *map(str, args)], timeout=timeout, check=check, **kw)

    def version(self):
        if getattr(self, "_version", None):
            return self._version
        self._version = self._ask_version()
        return self._version

    def _ask_version(self):
        if self.name == "docker":
            return self("version", "-f", "client {{.Client.Version}}, server {{.Server.Version}}").out.strip()
        return self("--version").out.strip()

    def build(self, tag, context, dockerfile="Dockerfile", extra=()):
        return self("build", "-q", "-t", tag, "-f", Path(context) / dockerfile, *extra, context,
                    timeout=600, check=True)

    def run(self, image, *cmd, args=(), env=None, timeout=60):
        envargs = []
        for k, v in (env or {}).items():
            envargs += ["-e", "%s=%s" % (k, v)]
        return self("run", "--rm", *args, *envargs, image, *cmd, timeout=timeout)

    def start(self, image, *cmd, args=(), env=None):
        envargs = []
        for k, v in (env or {}).items():
            envargs += ["-e", "%s=%s" % (k, v)]
        r = self("run", "-d", *args, *envargs, image, *cmd, check=True)
        return r.out.strip()

    def live(self, image, *cmd, args=(), env=None):
        """`run --rm` attached, its stdout read as it comes: no polling of
        `logs`, and the CLI's own exit status is the container's."""
        return Live(self, image, cmd, args, env)

    def logs(self, cid):
        r = self("logs", cid)
        return r.out, r.err

    def wait_log(self, cid, text, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out, _ = self.logs(cid)
            if text in out:
                return out
            time.sleep(0.1)
        raise AssertionError("%s: %r not in the logs after %d s: %r" % (cid, text, timeout, self.logs(cid)))

    def wait(self, cid, timeout=60):
        r = self("wait", cid, timeout=timeout, check=True)
        return int(r.out.strip().splitlines()[-1])

    def rm(self, cid):
        self("rm", "-f", cid)


class Live:
    _n = 0

    def __init__(self, eng, image, cmd, args, env):
        import itertools
        import threading
        Live._n += 1
        self.eng = eng
        self.name = "capinit-engine-%d-%d" % (os.getpid(), Live._n)
        envargs = list(itertools.chain.from_iterable(["-e", "%s=%s" % kv] for kv in (env or {}).items()))
        self.proc = subprocess.Popen([eng.bin, "run", "--rm", "--name", self.name, *args, *envargs,
                                      image, *cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        self.lines, self.cond = [], threading.Condition()
        self.err = []
        threading.Thread(target=self._read, args=(self.proc.stdout, self.lines), daemon=True).start()
        threading.Thread(target=self._read, args=(self.proc.stderr, self.err), daemon=True).start()

    def _read(self, stream, into):
        for line in stream:
            with self.cond:
                into.append(line.rstrip("\n"))
                self.cond.notify_all()

    @property
    def out(self):
        with self.cond:
            return "\n".join(self.lines) + "\n"

    def expect(self, line, timeout=30):
        with self.cond:
            ok = self.cond.wait_for(lambda: line in self.lines or self.proc.poll() is not None,
                                    timeout)
            if not (line in self.lines):
                raise AssertionError("%s: no line %r after %d s (status %s): out %r err %r"
                                     % (self.eng, line, timeout, self.proc.poll(), self.lines, self.err))
        return self.out

    def status(self, timeout=60):
        return self.proc.wait(timeout=timeout)

    def close(self):
        if self.proc.poll() is None:
            self.eng("rm", "-f", self.name)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


ENGINES = [Engine("docker"), Engine("podman")]


def wait_base(eng):
    """The local Debian base (scripts/engine-setup.sh base; scripts/engine-test.sh
    makes it in the background while the suite runs): its name in `eng`, or
    an error text."""
    done = STATE / "base.done"
    if not done.exists() and (STATE / "base.log").exists():
        deadline = time.monotonic() + 300
        while not done.exists() and time.monotonic() < deadline:
            time.sleep(1)
    name = "capinit-build-base:bookworm" if eng.name == "docker" else "localhost/capinit-build-base:bookworm"
    if eng("image", "inspect", name).rc != 0:
        log = STATE / "base.log"
        return None, ("%s is missing in %s (scripts/engine-setup.sh base makes it): %s"
                      % (name, eng, log.read_text()[-2000:] if log.exists() else "no base.log"))
    return name, None


def busybox_tree(root, app=True):
    """A FROM scratch root: capinit, a static busybox with a few links, the
    test passwd/group (root, app 1000:1000 also in staff, nobody), probe at
    /app."""
    root = Path(root)
    (root / "bin").mkdir(parents=True, exist_ok=True)
    shutil.copy2(BUSYBOX, root / "bin" / "busybox")
    for a in ("sh", "sleep", "cat", "ps", "grep", "echo", "kill", "true", "id", "ls"):
        link = root / "bin" / a
        if not link.exists():
            link.symlink_to("busybox")
    (root / "etc").mkdir(exist_ok=True)
    for f in ("passwd", "group"):
        shutil.copy2(ROOTFS_ETC / f, root / "etc" / f)
    for d in ("proc", "dev", "sys", "tmp", "home/app"):
        (root / d).mkdir(parents=True, exist_ok=True)
    os.chmod(root / "tmp", 0o1777)
    os.chown(root / "home/app", 1000, 1000)
    shutil.copy2(CAPINIT, root / "capinit")
    if app:
        shutil.copy2(PROBE, root / "app")


# ---- snippets out of the docs --------------------------------------------------------------

MARK = re.compile(r"^<!-- engine-test: ([\w.-]+) -->\s*$")


def snippets(path):
    """{name: block text} for each fenced block right after a
    `<!-- engine-test: NAME -->` line."""
    lines = Path(path).read_text().splitlines()
    out = {}
    i = 0
    while i < len(lines):
        m = MARK.match(lines[i])
        if m and i + 1 < len(lines) and lines[i + 1].startswith("```"):
            j = i + 2
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            out[m.group(1)] = "\n".join(lines[i + 2:j]) + "\n"
            i = j
        i += 1
    return out


def command_lines(block, prog="docker"):
    """The `prog ...` command lines of a sh/console block, continuation lines
    joined, `$ ` prompts removed; for a console block also the output lines
    that follow each command."""
    cmds = []
    cur = None
    for raw in block.splitlines():
        line = raw[2:] if raw.startswith("$ ") else raw
        if cur is not None and cur["cmd"].endswith("\\"):
            cur["cmd"] = cur["cmd"][:-1].rstrip() + " " + line.strip()
            continue
        if line.startswith(prog + " ") or (raw.startswith("$ ") and prog in line):
            cur = {"cmd": line.split("  #")[0].rstrip(), "output": []}
            cmds.append(cur)
        elif cur is not None and not raw.startswith("$ "):
            cur["output"].append(raw)
    return cmds


# ---- the daemon: README's daemon.json, or Docker's defaults -------------------------------------

DAEMON_BIN = STATE / "bin"


def daemon_config(kind):
    """Write and return the dockerd config file for `kind`: "capinit" is the
    README's daemon.json recipe with its /usr/local/bin/ directory pointed at
    build/engine/bin/ (links to build/capinit, as `make install-links` makes
    them); "default" is an empty config (Debian's docker-init, tini)."""
    STATE.mkdir(parents=True, exist_ok=True)
    path = STATE / ("daemon-%s.json" % kind)
    if kind == "default":
        text = "{}\n"
    else:
        import json
        text = snippets(REPO / "README.md")["daemon.json"]
        cfg = json.loads(text)
        init = Path(cfg["init-path"])
        assert init.parent == Path("/usr/local/bin"), cfg
        DAEMON_BIN.mkdir(parents=True, exist_ok=True)
        link = DAEMON_BIN / init.name
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(CAPINIT)
        cfg["init-path"] = str(link)
        text = json.dumps(cfg) + "\n"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path


def running_daemon_config():
    f = STATE / "dockerd.config"
    pid = STATE / "dockerd.pid"
    if not (f.exists() and pid.exists()):
        return None
    try:
        os.kill(int(pid.read_text()), 0)
    except (OSError, ValueError):
        return None
    return f.read_text().strip()


def ensure_daemon(kind):
    """Have the dockerd this suite started run with `kind`'s config; restart
    it if it runs with another. Returns an error text, or None."""
    want = str(daemon_config(kind))
    have = running_daemon_config()
    if have == want:
        return None
    if have is None:
        return ("dockerd was not started by scripts/engine-setup.sh, so its init cannot be "
                "chosen here (wanted %s)" % want)
    r = sh([str(REPO / "scripts" / "engine-setup.sh"), "restart", want], timeout=300)
    if r.rc != 0:
        return "restarting dockerd with %s failed: %s" % (want, r)
    return None


if __name__ == "__main__":
    import sys
    if sys.argv[1:2] == ["daemon-config"]:
        print(daemon_config(sys.argv[2]))
    else:
        sys.exit("usage: engine.py daemon-config capinit|default")
