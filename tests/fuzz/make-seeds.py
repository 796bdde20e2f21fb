#!/usr/bin/env python3
"""Write the seed corpora in tests/fuzz/corpus/NAME/ (committed; rerun after
changing an input format). Each seed is a small, valid-looking input in the
fuzzer's own format, so mutation starts from the real grammar."""
import hashlib
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def words(argv, env=()):
    """NUL-separated argv, an empty word, then the environment."""
    out = b"\0".join(a.encode() for a in argv)
    if env:
        out += b"\0\0" + b"\0".join(e.encode() for e in env)
    return out


CONFIGS = [
    (0, ["--", "/bin/true"], []),
    (0, ["/bin/sh", "-c", "exit 3"], ["CAPINIT_CAP_DROP=ALL", "CAPINIT_CAP_ADD=NET_BIND_SERVICE"]),
    (0, ["--cap-drop=ALL", "--cap-add", "chown,kill", "--user", "app:app", "app"], []),
    (0, ["--print"], ["CAPINIT_USER=1000:1000", "CAPINIT_NO_NEW_PRIVS=0", "CAPINIT_GRACE=10"]),
    (0, ["-vvg", "--grace=3", "--no-new-privs=yes", "x"], ["CAPINIT_VERBOSE=2", "CAPINIT_KILL_GROUP=1"]),
    (0, ["--cap-drop", "SYS_ADMIN NET_RAW", "x"], ["CAPINIT_PRINT=true"]),
    (0, ["--help"], []),
    (0, ["--version"], []),
    (0, ["--bogus", "x"], []),
    (0, ["x"], ["CAPINIT_CAP_DROP=net_bind_servce"]),
    (0, ["x"], ["CAPINIT_USER=nobody", "CAPINIT_TYPO=1"]),
    (0, ["x"], ["CAPINIT_CAP_DROP=ALL", "CAPINIT_CAP_DROP=KILL"]),
    (0, ["--probe", "--probe-port=8080", "--probe-timeout", "5", "--probe-json", "app"], []),
    (0, ["--probe-check", "/bin/check", "app"], ["CAPINIT_PROBE=1", "CAPINIT_PROBE_REPEAT=3"]),
    (0, ["x"], ["CAPINIT_CAP_DROP", "PATH=/bin"]),
    (0, ["x"], ["CAPINIT_USER=a\nb\x1b[31m"]),
    (1, ["-s", "-g", "-e", "143", "-p", "SIGKILL", "-w", "--", "cmd"], ["TINI_SUBREAPER=1", "TINI_VERBOSITY=3"]),
    (1, ["-l"], ["TINI_KILL_PROCESS_GROUP="]),
    (1, ["-e", "256", "cmd"], []),
    (2, ["-r", "15:2", "-r", "2:0", "-c", "cmd"], ["DUMB_INIT_SETSID=0", "DUMB_INIT_DEBUG=1"]),
    (2, ["--rewrite=1:x", "cmd"], []),
    (2, ["-V"], []),
    (3, ["-sv", "cmd"], ["CAPINIT_CAP_ADD=CAP_KILL"]),
]

CAPLISTS = [
    (0, "NET_BIND_SERVICE"), (1, "ALL"), (0, "ALL"), (1, "cap_chown, CAP_KILL,setuid"),
    (2, "chown kill setgid setuid net_raw sys_admin"), (8, "CHOWN,DAC_OVERRIDE,FOWNER,FSETID,KILL,SETGID,SETUID,SETPCAP,NET_BIND_SERVICE,NET_RAW,SYS_CHROOT,MKNOD,AUDIT_WRITE,SETFCAP"),
    (0, "123"), (0, "cap_"), (0, "net_bind_servce"), (0, "kill,"), (0, ",kill"), (1, "ALL,KILL"),
    (0, "NET-ADMIN"), (0, "\tkill\n"), (255, "checkpoint_restore bpf perfmon audit_read"),
]

USERS = [
    ("app", "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n",
     "root:x:0:\napp:x:1000:\nwheel:x:10:app,root\n"),
    ("1000", "app:x:1000:1000::/home/app:/bin/sh\n", "app:x:1000:\n"),
    ("1234", "", ""),
    ("1234:5", "", ""),
    ("app:wheel", "app:x:1000:1000:/home/app\napp:x:1000:1000:App:/home/app:/bin/sh", "# comment\n\nwheel:x:10:app\n"),
    ("nobody", "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n", "nogroup:x:65534:\n"),
    ("app", "app:x:4294967295:1::/:\napp:x:-1:1::/:\napp:x:1:1::/:", "g:x:1:app,app,app\nh:x:2:x,app\n"),
    ("ghost", "root:x:0:0::/root:/bin/sh\n", ""),
    ("www-data:nogroup", "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n", "nogroup:x:65534:\n"),
]


def plan_header(p, e, i, b, a, bits, flags, uid=1000, gid=1000, ngroups=1, sel=0,
                securebits=0, more=0):
    return (struct.pack("<QQQQQ", p, e, i, b, a) + bytes([bits - 1, flags])
            + struct.pack("<II", uid, gid) + bytes([ngroups - 1, sel, securebits, more]))


FULL = (1 << 41) - 1
DOCKER = 0xa80425fb  # Docker's default set
PLANS = [
    (plan_header(FULL, FULL, 0, FULL, 0, 41, 0), ["x"], []),
    (plan_header(DOCKER, DOCKER, 0, DOCKER, 0, 41, 0), ["x"], ["CAPINIT_CAP_DROP=ALL", "CAPINIT_CAP_ADD=NET_BIND_SERVICE"]),
    (plan_header(DOCKER, DOCKER, 0, DOCKER, 0, 41, 0), ["x"], ["CAPINIT_USER=1000:1000", "CAPINIT_CAP_ADD=NET_BIND_SERVICE"]),
    (plan_header(DOCKER, DOCKER, 0, DOCKER, 0, 41, 1), ["--user", "app", "x"], ["CAPINIT_NO_NEW_PRIVS=0"]),
    (plan_header(0, 0, 0, FULL, 0, 41, 6), ["x"], ["CAPINIT_CAP_ADD=KILL"]),
    (plan_header(DOCKER & ~(1 << 8), DOCKER & ~(1 << 8), 0, DOCKER, 0, 41, 0), ["x"], ["CAPINIT_CAP_DROP=NET_RAW"]),
    (plan_header(DOCKER & ~(1 << 8), DOCKER & ~(1 << 8), 0, DOCKER, 0, 41, 0), ["--user=1:1", "x"], ["CAPINIT_CAP_DROP=NET_RAW"]),
    (plan_header(FULL, FULL, FULL, FULL, 1 << 10, 40, 16, ngroups=3), ["--user", "0:0", "x"], ["CAPINIT_CAP_DROP=ALL"]),
    (plan_header(FULL, 0, 0, 1 << 10, 0, 64, 0), ["x"], ["CAPINIT_CAP_ADD=SYS_ADMIN"]),
    (plan_header(FULL, FULL, 0, FULL, 0, 38, 0), ["x"], ["CAPINIT_CAP_ADD=CHECKPOINT_RESTORE", "CAPINIT_CAP_DROP=BPF"]),
    (plan_header(DOCKER, DOCKER, 0, DOCKER, 0, 41, 0, securebits=1), ["x"], ["CAPINIT_CAP_ADD=NET_BIND_SERVICE", "CAPINIT_CAP_DROP=ALL"]),
    (plan_header(DOCKER, DOCKER, 0, DOCKER, 0, 41, 0, securebits=0x40), ["--user=1000:1000", "x"], ["CAPINIT_CAP_ADD=NET_BIND_SERVICE"]),
    (plan_header(DOCKER, DOCKER, 0, DOCKER, 0, 41, 0, securebits=0x20), ["--user=1000:1000", "x"], ["CAPINIT_CAP_ADD=KILL"]),
    (plan_header(0, 0, 0, DOCKER, 0, 41, 2 | 4 | 8, more=1 | 4), ["--user=1000:1000", "x"], []),
    (plan_header(DOCKER, DOCKER, 0, DOCKER, 0, 41, 4), ["x"], []),
    (plan_header(FULL, FULL, 0, FULL, 0, 41, 0), ["x"], ["CAPINIT_CAP_ADD=SYS_PTRACE"]),
]


def fmt_record(conv, length, flags, width, prec, size, arg, text=b""):
    return bytes([conv + 6 * length, flags, width, prec, size]) + struct.pack("<Q", arg) + text


FMTS = [
    fmt_record(2, 0, 2 | 4, 5, 0, 100, (-42) & 0xffffffff),                 # %05d of -42
    fmt_record(2, 0, 1 | 2 | 4, 6, 0, 100, (-7) & 0xffffffff),              # %-06d
    fmt_record(2, 0, 8, 0, 3, 100, 7) + fmt_record(2, 0, 8, 0, 0, 100, 0),  # %.3d %.0d
    fmt_record(3, 2, 2 | 4, 20, 0, 8, 2**64 - 1),                           # %020llu, truncated
    fmt_record(4, 1, 4 | 8 | 16, 10, 5, 100, 0xbeef),                       # %10.*lx
    fmt_record(0, 0, 1 | 4 | 8, 12, 3, 100, int.from_bytes(b"\x05abcdefg", "little"), b"hello"),
    fmt_record(1, 0, 4, 3, 0, 2, ord("a")) + fmt_record(5, 0, 0, 0, 0, 100, 0),
    fmt_record(2, 3, 0, 0, 0, 0, 2**63) + fmt_record(2, 2, 2 | 4, 25, 0, 255, 2**63),
    fmt_record(3, 0, 64, 0, 0, 100, 123, b"text "),
    # hh h j t: each length read with its own type (%hhd of 0x1ff, %hu, %jd, %tx)
    fmt_record(2, 4, 0, 0, 0, 100, 0x1ff) + fmt_record(3, 5, 4, 8, 0, 100, 0x12345),
    fmt_record(2, 6, 2 | 4, 22, 0, 100, 2**63) + fmt_record(4, 7, 0, 0, 0, 100, 2**64 - 2),
]


ENGINE_IMAGE = ('E"/capinit"\nE"--"\nC"/app"\nV"PATH=/bin"\nV"CAPINIT_USER=app"\n'
                'V"CAPINIT_CAP_ADD=NET_BIND_SERVICE"\nU""\nL""\n')
ENGINES = [
    (0, ["-i", "--rm", "-p", "80:80", "img", "nginx", "-g", "daemon off;"], ""),
    (1, ["--cap-drop=ALL", "--cap-add", "chown,setuid", "-e", "CAPINIT_CAP_ADD=KILL", "img"], ENGINE_IMAGE),
    (6, ["-itd", "img"], ""),
    (8, ["--name", "x", "img"], ""),
    (3, ["-eCAPINIT_USER=app", "--network=host", "--sysctl", "net.ipv4.ip_unprivileged_port_start=0", "img", "sh"], ENGINE_IMAGE),
    (5, ["--entrypoint=", "--security-opt", "no-new-privileges", "--", "img", "/capinit"], 'C"x"\nV"CAPINIT_NO_NEW_PRIVS=1"\n'),
    (0, ["-u", "1000:1000", "--unknown", "v", "img"], 'E"\\u003ccapinit\\u0000"\nLnull\nWARN junk\n'),
    (1, ["--cap-add=ALL", "--cap-drop", "SYS_ADMIN", "img"], 'L"CHOWN,SETUID"\n'),
]


def write(name, seeds):
    d = os.path.join(HERE, "corpus", name)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if f.startswith("seed-"):
            os.unlink(os.path.join(d, f))
    for s in seeds:
        with open(os.path.join(d, "seed-" + hashlib.sha1(s).hexdigest()[:12]), "wb") as f:
            f.write(s)


write("config", [bytes([sel]) + words(a, e) for sel, a, e in CONFIGS])
write("caplist", [bytes([b]) + s.encode() for b, s in CAPLISTS])
write("user", [u.encode() + b"\0" + p.encode() + b"\0" + g.encode() for u, p, g in USERS])
write("plan", [h + words(a, e) for h, a, e in PLANS])
write("fmt", FMTS)
write("engine_args", [bytes([b]) + words(a) + b"\0\0" + t.encode() for b, a, t in ENGINES])
print("seeds written", file=sys.stderr)
