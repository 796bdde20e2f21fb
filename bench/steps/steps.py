"""Time capinit's own start-up steps: a throw-away instrumented build.

    /usr/bin/python3 bench/steps/steps.py [--runs N] [--spec] [--pid1] [--tree DIR]

Copies DIR/init (default: this tree's) to build/bench/steps/, inserts a
STEP("label") call (bench/steps/stepclock.h: one vDSO clock read) at the
end of each step listed in MARKS below, builds it as the Makefile builds
build/capinit, and runs it N times (default 2000) under stepdrv, which notes
the time before its fork and after its wait.  Prints, per step, the median
of the step's duration over the runs, and the critical path: what the
driver waited for, from its fork to its wait's return.

Whole-process timing on the shared 2-core VMs swings by more than the
differences looked for (a bare fork-exec-wait alone is 1.5 to 3 ms there);
a step's own duration, measured inside the process, does not include the
time other tenants take, except when the step itself is preempted, which the
median leaves out.  An anchor that is no longer in the source is an error,
named: update MARKS after a change of the start-up path.
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.join(ROOT, "bench", "steps")

# (file, anchor, where, code): code is inserted on its own line before (or
# after) the first line containing anchor.  A STEP's label names the step
# that ends there; "P:"/"C:" steps run in the parent or the child only.
MARKS = [
    ("main.c", "ksigmask original_mask = 0;", "before", 'STEP("exec capinit, libc start");'),
    ("main.c", "struct runtime rt;", "before", 'STEP("block signals, AT_SECURE, dumpable");'),
    ("main.c", "struct config cfg;", "before", 'STEP("reset ignored signals");'),
    ("main.c", "log_set_level(cfg.verbose);", "before", 'STEP("config parse");'),
    ("main.c", "static struct user_ids ids;", "before", 'STEP("log level, text fd");'),
    ("main.c", "static struct plan plan;", "before", 'STEP("user resolve");'),
    ("main.c", "size_t count = 0;", "before", 'STEP("plan, warnings");'),
    ("main.c", "if (cfg.probe)", "before", 'STEP("child environment");'),
    ("supervise.c", "check_reaping(&s);", "before", 'STEP("getpid, pdeathsig");'),
    ("supervise.c", "if (setup_signals(&s) != 0) {", "before", 'STEP("subreaper");'),
    ("supervise.c", "s.stdin_tty = isatty(STDIN_FILENO);", "before", 'STEP("signalfd");'),
    ("supervise.c", "/* The child inherits the bounding set", "before", 'STEP("tty mode");'),
    ("supervise.c", "int go[2];", "before", 'STEP("shrink bounding set");'),
    ("supervise.c", "s.child = raw_fork();", "before", 'STEP("pipe");'),
    ("supervise.c", "s.child = raw_fork();", "after", 'STEP("clone");'),
    ("supervise.c", "if (enter_tty_mode(s->tty, s->stdin_tty) != 0", "before", 'STEP("C: close fds");'),
    ("privilege.c", "bool touch_caps = p->spec_given || p->switch_user;", "before", 'STEP("C: setpgid/tty");'),
    ("privilege.c", "/* The user-namespace guard first of all", "before", 'STEP("C: raise effective");'),
    ("privilege.c", "/* The bounding set first, while CAP_SETPCAP is still held", "before",
     'STEP("C: nnp, user-namespace guard");'),
    ("privilege.c", "return verify(p, rt);", "before", 'STEP("C: bounding, ambient, ids, capset, nnp");'),
    ("privilege.c", "struct runtime now;", "after", 'STEP("C: (verify entry)");'),
    ("supervise.c", "char byte;", "before", 'STEP("C: verify (re-read, compare)");'),
    ("supervise.c", "if (persona_get(cfg->personality)->child_keeps_ignored", "before",
     'STEP("C: wait for go");'),
    ("supervise.c", "execvpe(cfg->command[0]", "before",
     'STEP("C: signal mask"); STEP_DUMP(\'C\');'),
    ("supervise.c", "if (privilege_drop_self(plan, &rt) != 0) {", "before", 'STEP("P: close read end");'),
    ("supervise.c", "if (send(go[1], \"x\", 1, MSG_NOSIGNAL) != 1)", "before", 'STEP("P: drop own caps, nnp");'),
    ("supervise.c", "if (s.tty == TTY_FOREGROUND)", "before", 'STEP("P: write go, close");'),
    ("supervise.c", "if (chdir(\"/\") != 0)", "before", 'STEP("P: setpgid child");'),
    ("supervise.c", "log_event(&(struct event){.kind = EV_CHILD_SPAWNED", "before", 'STEP("P: chdir /");'),
    ("supervise.c", "privilege_finish_drop(plan, &rt);", "before", 'STEP("P: log spawned");'),
    ("supervise.c", "for (size_t i = 0; i < s.nearly; i++)", "before",
     'STEP("P: empty own bounding set");'),
    ("supervise.c", "int code = exit_status_of(&s);", "before",
     'STEP("P: wait for the child, reap, drain"); STEP_DUMP(\'P\');'),
    # inside privilege_read_runtime (parent at start, child in verify)
    ("privilege.c", "struct procstatus st;", "before", 'STEP("  runtime: capability count");'),
    ("procstatus.c", "return procstatus_parse(buf", "before", 'STEP("  runtime: status open, read, close");'),
    ("privilege.c", "int sb = prctl(PR_GET_SECUREBITS", "before", 'STEP("  runtime: status parse");'),
    ("privilege.c", "rt->securebits = (unsigned)sb;", "after", 'STEP("  runtime: securebits");'),
]


def instrument(src, dst):
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst)
    missing = []
    texts = {}
    for f, anchor, where, code in MARKS:
        path = os.path.join(dst, f)
        lines = texts.setdefault(f, open(path, encoding="utf-8").read().split("\n"))
        for i, line in enumerate(lines):
            if anchor in line and not line.lstrip().startswith("STEP("):
                lines.insert(i if where == "before" else i + 1, code)
                break
        else:
            missing.append(f"{f}: {anchor!r}")
    if missing:
        sys.exit("steps: anchors not found (update MARKS):\n  " + "\n  ".join(missing))
    for f, lines in texts.items():
        with open(os.path.join(dst, f), "w", encoding="utf-8") as out:
            out.write("\n".join(lines))


def build(tree, out_dir):
    init = os.path.join(out_dir, "init")
    instrument(os.path.join(tree, "init"), init)
    srcs = sorted(os.path.join(init, f) for f in os.listdir(init) if f.endswith(".c"))
    lib = os.path.join(ROOT, "build", "libcap-musl")
    binary = os.path.join(out_dir, "capinit")
    flags = ["-std=gnu11", "-Os", "-Wall", "-Wextra", "-DPROGRAM_VERSION=\"steps\"",
             "-ffunction-sections", "-fdata-sections", "-fno-asynchronous-unwind-tables",
             "-fno-unwind-tables", "-fstack-protector-strong", "-D_FORTIFY_SOURCE=2",
             "-include", os.path.join(HERE, "stepclock.h"), f"-I{lib}/include"]
    # One object per source file and the tree's linker scripts, as its
    # Makefile links build/capinit (mk/layout.ld places code by object).
    objs = []
    for src in srcs:
        obj = os.path.join(out_dir, "obj", os.path.basename(src)[:-2] + ".o")
        os.makedirs(os.path.dirname(obj), exist_ok=True)
        subprocess.run(["musl-gcc"] + flags + ["-c", src, "-o", obj], check=True)
        objs.append(obj)
    scripts = []
    for ld in ("hot-bss.ld", "layout.ld"):
        if os.path.exists(os.path.join(tree, "mk", ld)):
            scripts.append("-Wl,-T," + os.path.join(tree, "mk", ld))
    subprocess.run(["musl-gcc"] + objs + [f"-L{lib}/lib", "-lcap", "-static", "-Wl,--gc-sections",
                                          "-Wl,-O1"] + scripts + ["-s", "-o", binary], check=True)
    drv = os.path.join(out_dir, "stepdrv")
    subprocess.run(["gcc", "-O2", "-Wall", "-Wextra", "-Werror", "-o", drv,
                    os.path.join(HERE, "stepdrv.c")], check=True)
    return binary, drv


def parse(path):
    """One dict per run: label -> ns, P/C marks, driver start/end."""
    runs, cur = [], None
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if parts[0] == "R":
                cur = {"P": [], "C": []}
            elif parts[0] == "E" and cur is not None:
                cur["start"], cur["end"], cur["status"] = int(parts[1]), int(parts[2]), int(parts[3])
                runs.append(cur)
                cur = None
            elif parts[0] in ("P", "C") and cur is not None:
                kvs = [(kv.rsplit("=", 1)[0], int(kv.rsplit("=", 1)[1])) for kv in parts[1:]]
                cur[parts[0] + "flt"] = dict(kvs).get("minflt", -1)
                cur[parts[0]] = [kv for kv in kvs if kv[0] != "minflt"]
    return [r for r in runs if r["status"] == 0 and r["P"] and r["C"]]


def durations(run):
    """(label, ns) for each step, in order, with the child's steps after the
    clone taken from the child's own notes."""
    out = []
    prev = run["start"]
    marks = run["P"]
    clone_at = next(i for i, (l, _) in enumerate(marks) if l == "clone")
    child = run["C"]
    c_clone = next(i for i, (l, _) in enumerate(child) if l == "clone")
    for label, t in marks[:clone_at]:
        out.append((label, t - prev))
        prev = t
    t_fork = prev  # just before the clone
    out.append(("P: clone (until it returns in the parent)", marks[clone_at][1] - t_fork))
    out.append(("C: clone (until the child first runs)", child[c_clone][1] - t_fork))
    cprev = child[c_clone][1]
    for label, t in child[c_clone + 1:]:
        out.append((label if label.startswith("C:") else "C:" + label, t - cprev))
        cprev = t
    c_exec = cprev
    pprev = marks[clone_at][1]
    for label, t in marks[clone_at + 1:]:
        out.append((label if label.startswith("P:") else "P:" + label, t - pprev))
        pprev = t
    out.append(("before the clone: driver's fork → clone", t_fork - run["start"]))
    out.append(("clone → child's exec", c_exec - t_fork))
    out.append(("child's exec → driver's wait returns", run["end"] - c_exec))
    out.append(("total: driver's fork → wait returns", run["end"] - run["start"]))
    # not times: page faults (×1000, divided back when printed)
    out.append(("#page faults: parent, to its exit", run["Pflt"] * 1000))
    out.append(("#page faults: child, to its exec", run["Cflt"] * 1000))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=2000)
    ap.add_argument("--tree", default=ROOT)
    ap.add_argument("--name", default="tree")
    ap.add_argument("--spec", action="store_true",
                    help="CAPINIT_CAP_DROP=ALL CAPINIT_CAP_ADD=NET_BIND_SERVICE CAPINIT_USER=nobody")
    ap.add_argument("--pid1", action="store_true", help="run under bench's pidns launcher")
    ap.add_argument("--env", action="append", default=[], metavar="CAPINIT_VAR=VALUE",
                    help="another variable for capinit (e.g. CAPINIT_USERNS=1), repeatable")
    a = ap.parse_args()
    out_dir = os.path.join(ROOT, "build", "bench", "steps", a.name)
    os.makedirs(out_dir, exist_ok=True)
    binary, drv = build(os.path.abspath(a.tree), out_dir)
    tools = {}
    for tool in ("true", "pidns"):
        tools[tool] = os.path.join(ROOT, "build", "bench", tool)
        if not os.path.exists(tools[tool]):
            subprocess.run(["musl-gcc", "-static", "-O2", "-s", "-o", tools[tool],
                            os.path.join(ROOT, "bench", tool + ".c")], check=True)
    true = tools["true"]
    log = os.path.join(out_dir, "steps.log")
    if os.path.exists(log):
        os.unlink(log)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAPINIT_")}
    env["STEPS_OUT"] = log
    if a.spec:
        env.update(CAPINIT_CAP_DROP="ALL", CAPINIT_CAP_ADD="NET_BIND_SERVICE", CAPINIT_USER="nobody")
    for kv in a.env:
        k, _, v = kv.partition("=")
        env[k] = v
    cmd = [drv, str(a.runs), log, "--"]
    if a.pid1:
        cmd.append(tools["pidns"])
    subprocess.run(cmd + [binary, "--", true], check=True, env=env)
    runs = parse(log)
    if not runs:
        sys.exit("steps: no complete run")
    per = {}
    order = []
    for r in runs:
        for label, ns in durations(r):
            if label not in per:
                per[label] = []
                order.append(label)
            per[label].append(ns / 1000.0)
    print(f"| step ({a.name}{', spec' if a.spec else ''}{', PID 1' if a.pid1 else ''}"
          f"{''.join(', ' + kv for kv in a.env)}; "
          f"{len(runs)} runs) | median µs | p10 | p90 |")
    print("| --- | ---: | ---: | ---: |")
    for label in order:
        v = sorted(per[label])
        q = statistics.quantiles(v, n=10) if len(v) > 1 else [v[0]] * 9
        if label.startswith("#"):
            print(f"| {label[1:]} (count) | {statistics.median(v):.0f} | {q[0]:.0f} | {q[-1]:.0f} |")
        else:
            print(f"| {label} | {statistics.median(v):.1f} | {q[0]:.1f} | {q[-1]:.1f} |")


if __name__ == "__main__":
    main()
