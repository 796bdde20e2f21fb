"""Every page fault of one capinit start, with the function that took it.

    /usr/bin/python3 bench/steps/faults.py [--spec] [--tree DIR]

Builds DIR's capinit (default: this tree) with the Makefile's own command
but not stripped (stripping changes no address), copies it to
/tmp/capinit-faults (so that its name is unique to this run), and runs
`capinit-faults -- build/bench/true` once with the kernel's
exceptions:page_fault_user tracepoint on, in a tracefs instance of its own
(mounting tracefs at /sys/kernel/tracing if needed; root only).  Prints one
line per fault: process (P: capinit, C: its child before its exec), the
address, read/write/exec and whether the page was present (a write to a
present page is copy-on-write), the region, and the function at the fault's
ip.  A page fault costs ~10-15 us on the shared VMs (nested paging), as much
as ten system calls, and the start-up path takes a few dozen.
"""
import argparse
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRACING = "/sys/kernel/tracing"
INSTANCE = os.path.join(TRACING, "instances", "capinit-faults")


def build(tree, out):
    """The tree's own build commands (make -n -B), run here: every compile
    (one per object since the layout of mk/layout.ld, one for all before)
    and the link, not stripped and written to `out`."""
    lib = os.path.join(ROOT, "build", "libcap-musl")
    cmd = subprocess.run(["make", "-s", "-n", "-B", "-C", tree, "build/capinit", f"LIBCAP_PREFIX={lib}"],
                         check=True, capture_output=True, text=True).stdout
    for line in cmd.splitlines():
        if " -o build/capinit" in line:
            line = line.replace(" -s ", " ").replace(" -o build/capinit", f" -o {out}")
            subprocess.run(line, shell=True, check=True, cwd=tree)
            return
        if " -c " in line or line.startswith(("mkdir", "echo")) or "build/obj/commit" in line:
            subprocess.run(line, shell=True, check=True, cwd=tree)
    sys.exit("faults: no link command for build/capinit in make -n")


def symbols(binary):
    out = subprocess.run(["nm", "-n", binary], check=True, capture_output=True, text=True).stdout
    syms = []
    for l in out.splitlines():
        p = l.split()
        if len(p) == 3:
            syms.append((int(p[0], 16), p[2], p[1]))
    return syms


def where(syms, addr):
    best = None
    for a, name, kind in syms:
        if a > addr:
            break
        best = (name, kind)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tree", default=ROOT)
    ap.add_argument("--spec", action="store_true",
                    help="CAPINIT_CAP_DROP=ALL CAPINIT_CAP_ADD=NET_BIND_SERVICE CAPINIT_USER=nobody")
    ap.add_argument("--caps", action="store_true",
                    help="CAPINIT_CAP_DROP=ALL CAPINIT_CAP_ADD=NET_BIND_SERVICE, no user")
    a = ap.parse_args()
    binary = "/tmp/capinit-faults"
    build(os.path.abspath(a.tree), binary)
    true = os.path.join(ROOT, "build", "bench", "true")
    if not os.path.exists(true):
        os.makedirs(os.path.dirname(true), exist_ok=True)
        subprocess.run(["musl-gcc", "-static", "-O2", "-s", "-o", true,
                        os.path.join(ROOT, "bench", "true.c")], check=True)
    if not os.path.isdir(os.path.join(TRACING, "events")):
        subprocess.run(["mount", "-t", "tracefs", "nodev", TRACING], check=True)
    os.makedirs(INSTANCE, exist_ok=True)
    ev = os.path.join(INSTANCE, "events", "exceptions", "page_fault_user")
    # the kernel's own faults on user memory (read(2) into a fresh buffer)
    kev = os.path.join(INSTANCE, "events", "exceptions", "page_fault_kernel")

    def put(path, text):
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)

    for e in (ev, kev):
        put(os.path.join(e, "filter"), 'comm == "capinit-faults" || comm == "true"')
        put(os.path.join(e, "enable"), "1")
    # where the child's exec happens: its faults after it are `true`'s
    ex = os.path.join(INSTANCE, "events", "sched", "sched_process_exec")
    put(os.path.join(ex, "enable"), "1")
    put(os.path.join(INSTANCE, "trace"), "")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAPINIT_")}
    if a.spec or a.caps:
        env.update(CAPINIT_CAP_DROP="ALL", CAPINIT_CAP_ADD="NET_BIND_SERVICE")
    if a.spec:
        env.update(CAPINIT_USER="nobody")
    put(os.path.join(INSTANCE, "tracing_on"), "1")
    proc = subprocess.Popen([binary, "--", true], env=env)
    proc.wait()
    put(os.path.join(INSTANCE, "tracing_on"), "0")
    with open(os.path.join(INSTANCE, "trace"), encoding="utf-8") as f:
        lines = [l for l in f if not l.startswith("#")]
    for e in (ev, kev, ex):
        put(os.path.join(e, "enable"), "0")
    os.rmdir(INSTANCE)
    syms = symbols(binary)
    parent = proc.pid
    counts = {}
    execed = set()  # pids past their exec of `true`
    print("| process | address | access | region | in |")
    print("| --- | --- | --- | --- | --- |")
    for l in lines:
        task = l.split()[0]
        pid = int(task.rsplit("-", 1)[1])
        if "sched_process_exec:" in l:
            if "filename=" + true in l:
                execed.add(pid)
            continue
        kind = "page_fault_user:" if "page_fault_user:" in l else "page_fault_kernel:"
        if kind not in l or pid in execed:
            continue
        f = dict(kv.split("=") for kv in l.split(kind)[1].split())
        addr, err = int(f["address"], 16), int(f["error_code"], 16)
        if kind == "page_fault_kernel:":
            if addr >= 0x800000000000:
                continue  # the kernel's own memory, not the process's
            sym_ip = (f"kernel: {f['ip'].split('+')[0]}", "")
        else:
            sym_ip = where(syms, int(f["ip"], 16))
        who = "P" if pid == parent else "C"
        access = "exec" if err & 0x10 else "write" if err & 2 else "read"
        access += ", present (copy-on-write)" if err & 1 and err & 2 else ""
        if addr >= 0x7f0000000000:
            region = "stack"
        else:
            s = where(syms, addr)
            region = f"{s[0]} ({s[1]})" if s else hex(addr)
        print(f"| {who} | {addr:#x} | {access} | {region} | {sym_ip[0] if sym_ip else hex(ip)} |")
        counts[who] = counts.get(who, 0) + 1
    print(f"\npage faults: capinit {counts.get('P', 0)}, its child before its exec {counts.get('C', 0)}"
          " (the child's after its exec, in `true`, are left out)")
    return 0 if proc.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
