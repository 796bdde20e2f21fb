"""The start-up report: build/bench/startup.tsv and the run-by-run samples
(both written by bench/startup.sh) into markdown, with the targets as
PASS/MISS lines.  Standard library only.

    startup_report.py STARTUP.TSV SAMPLES.TXT

Ratios are given two ways.  "÷" is the ratio of the two medians, what the
targets are stated in.  "paired" is the median, over the rounds, of the
ratio of the two commands' runs in the same round (timeit runs every command
once per round, one right after the other), with a 95% interval for that
median from the order statistics: on a machine whose speed drifts, two runs
a few milliseconds apart share the drift, so this is the steadier number.
Targets are reported, never asserted.
"""
import math
import sys

ORDER = ["forkexec", "capinit-0.1.0", "capinit-0.2.0", "capinit", "capinit+spec",
         "tini-static", "catatonit"]
BASE = "capinit-0.1.0"
SIZE_LIMIT = 100_000  # bytes
RSS_LIMIT = 100  # kB
TARGET_BASE = 1.05  # × 0.1.0, at the median
TARGET_BARE = 1.15  # × forkexec, not PID 1
TARGET_SPEC = 1.05  # × no spec


def load(path):
    data = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t", 2)
            if len(parts) == 3:
                data.setdefault(parts[0], {})[parts[1]] = parts[2]
    return data


def load_samples(path):
    runs = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            label, r, us, _flt = line.split()
            runs.setdefault(label, {})[int(r)] = float(us)
    return runs


def num(data, name, key):
    try:
        v = float(data[name][key])
    except (KeyError, ValueError):
        return None
    return None if v != v else v


def fmt(v, digits=0):
    if v is None:
        return "n/a"
    return f"{v:,.{digits}f}"


def paired(samples, a, b):
    """Median of a/b over the rounds both ran in, and its 95% interval."""
    ra, rb = samples.get(a, {}), samples.get(b, {})
    q = sorted(ra[r] / rb[r] for r in ra if r in rb and rb[r] > 0)
    n = len(q)
    if n == 0:
        return None
    med = q[n // 2] if n % 2 else (q[n // 2 - 1] + q[n // 2]) / 2
    half = 1.96 * math.sqrt(n) / 2
    lo, hi = q[max(0, int(n / 2 - half))], q[min(n - 1, int(math.ceil(n / 2 + half)))]
    return med, lo, hi


def main():
    data = load(sys.argv[1])
    samples = load_samples(sys.argv[2])
    meta = data.get("meta", {})
    med = {k: num(data, k, "median_us") for k in data}

    def ratio(a, b):
        return med[a] / med[b] if med.get(a) and med.get(b) else None

    def pr(a, b):
        p = paired(samples, a, b)
        return "" if p is None else f"{p[0]:.3f} [{p[1]:.3f}, {p[2]:.3f}]"

    out = []
    w = out.append
    w("# capinit start-up and memory")
    w("")
    w(f"- date: {meta.get('date', '?')}, tree {meta.get('commit', '?')}, capinit `{meta.get('capinit', '?')}`")
    w(f"- machine: {meta.get('nproc', '?')} × {meta.get('cpu', '?')}, {meta.get('kernel', '?')}; "
      f"load average at the end {meta.get('load', '?')}")
    n_cmds = 2 * (len(ORDER) + sum(n in data for n in ("capinit-before", "capinit-before+spec",
                                                     "capinit+spec+userns")))
    w(f"- {meta.get('runs', '?')} runs of each command, all {n_cmds} interleaved round-robin; "
      f"took {meta.get('elapsed_s', '?')} s"
      + (" — **quick smoke run (BENCH_QUICK=1): too few runs to quote**" if meta.get("quick") == "1" else ""))
    w("")
    fe, fe1 = med.get("forkexec"), med.get("forkexec@pid1")
    w("| | not PID 1, median (µs) | ÷ forkexec | ÷ 0.1.0 | as PID 1, median (µs) | over forkexec as PID 1 (µs) | ÷ 0.1.0 as PID 1 | page faults (init + true) | idle VmRSS as PID 1 (kB: anon + file) | size (bytes) | BSS (bytes) | system calls to the exec | instructions (the init process) |")
    w("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    order = ORDER + [n for n in ("capinit-before", "capinit-before+spec", "capinit+spec+userns")
                     if n in data]
    for n in order:
        m, m1 = med.get(n), med.get(n + "@pid1")
        rss = num(data, n, "VmRSS")
        anon, file_ = num(data, n, "RssAnon"), num(data, n, "RssFile")
        cells = [
            fmt(m),
            f"{m / fe:.3f}" if m and fe else "n/a",
            f"{ratio(n, BASE):.3f}" if ratio(n, BASE) else "n/a",
            fmt(m1),
            fmt(m1 - fe1) if m1 and fe1 else "n/a",
            f"{ratio(n + '@pid1', BASE + '@pid1'):.3f}" if ratio(n + "@pid1", BASE + "@pid1") else "n/a",
            fmt(num(data, n, "minflt")),
            "—" if rss is None else f"{fmt(rss)} ({fmt(anon)} + {fmt(file_)})",
            fmt(num(data, n, "size_bytes")),
            fmt(num(data, n, "bss")),
            "—" if n == "forkexec" else
            f"{fmt(num(data, n, 'syscalls_total'))} ({fmt(num(data, n, 'syscalls_init'))} + "
            f"{fmt(num(data, n, 'syscalls_child'))})",
            fmt(num(data, n, "instructions")) if num(data, n, "instructions") else "—",
        ]
        w(f"| {n} | " + " | ".join(cells) + " |")
    w("")
    w("Paired ratios (median of the per-round ratios, [95% interval]):")
    w("")
    for a, b in (("capinit", "capinit-0.1.0"), ("capinit@pid1", "capinit-0.1.0@pid1"),
                 ("capinit", "forkexec"), ("capinit-0.1.0", "forkexec"),
                 ("capinit+spec", "capinit"), ("capinit+spec@pid1", "capinit@pid1"),
                 ("capinit-0.2.0", "capinit-0.1.0"),
                 ("capinit", "capinit-before"), ("capinit@pid1", "capinit-before@pid1"),
                 ("capinit+spec", "capinit-before+spec"),
                 ("capinit+spec@pid1", "capinit-before+spec@pid1"),
                 ("capinit+spec", "capinit+spec+userns"),
                 ("capinit+spec@pid1", "capinit+spec+userns@pid1")):
        if a.split("@")[0] in data and b.split("@")[0] in data:
            w(f"- {a} ÷ {b}: {pr(a, b)}")
    w("")
    w("How: bench/timeit.c times each run from its fork to its wait's return (CLOCK_MONOTONIC) and "
      "counts its minor page faults (wait4: the init, its child and `true`); the command is "
      "bench/true.c, static. \"as PID 1\": under bench/pidns.c, a static clone(CLONE_NEWPID) and "
      "wait. VmRSS: /proc/PID/status of the init as PID 1 of `pidns INIT -- sleep 60`, 0.5 s after "
      "its child started. System calls: `strace -ff` of `pidns INIT -- true`, the init's and its "
      "child's up to the child's exec (bench/syscalls.py; median of 3). Instructions: callgrind's "
      "total for the init process (the child's part ends at its exec, where callgrind writes "
      "nothing). capinit+spec: `CAPINIT_CAP_DROP=ALL CAPINIT_CAP_ADD=NET_BIND_SERVICE "
      "CAPINIT_USER=nobody`."
      + (f" capinit-before: `{meta.get('before')}`, another build (BENCH_BEFORE)."
         if meta.get("before") else "")
      + (" capinit+spec+userns: the spec with `CAPINIT_USERNS=1`, the user-namespace guard off "
         "(BENCH_GUARD=1)." if "capinit+spec+userns" in data else ""))
    w("")
    w("## Targets (reported, never asserted)")
    w("")

    def line(ok, text):
        w(f"- {'PASS' if ok else 'MISS'}: {text}")

    r = ratio("capinit", BASE)
    if r:
        line(r <= TARGET_BASE, f"start-up within 5% of 0.1.0, not PID 1: {r:.3f}× "
             f"({fmt(med['capinit'])} vs {fmt(med[BASE])} µs; paired {pr('capinit', BASE)})")
    r = ratio("capinit@pid1", BASE + "@pid1")
    if r:
        line(r <= TARGET_BASE, f"start-up within 5% of 0.1.0, as PID 1: {r:.3f}× "
             f"({fmt(med['capinit@pid1'])} vs {fmt(med[BASE + '@pid1'])} µs; paired "
             f"{pr('capinit@pid1', BASE + '@pid1')})")
    r = ratio("capinit", "forkexec")
    if r:
        line(r <= TARGET_BARE, f"start-up ≤ {TARGET_BARE:.2f}× the bare fork-exec-wait, not PID 1: "
             f"{r:.3f}× ({fmt(med['capinit'])} vs {fmt(fe)} µs; paired {pr('capinit', 'forkexec')}; "
             f"0.1.0: {ratio(BASE, 'forkexec'):.3f}×)")
    r = ratio("capinit+spec", "capinit")
    if r:
        line(r <= TARGET_SPEC, f"a spec within 5% of no spec, not PID 1: {r:.3f}× "
             f"(paired {pr('capinit+spec', 'capinit')}; as PID 1 "
             f"{ratio('capinit+spec@pid1', 'capinit@pid1'):.3f}×)")
    rss = num(data, "capinit", "VmRSS")
    if rss is not None:
        line(rss <= RSS_LIMIT, f"PID 1 VmRSS ≤ {RSS_LIMIT} kB idle: {fmt(rss)} kB "
             f"(with the spec {fmt(num(data, 'capinit+spec', 'VmRSS'))} kB; 0.1.0 "
             f"{fmt(num(data, BASE, 'VmRSS'))} kB)")
    size = num(data, "capinit", "size_bytes")
    if size is not None:
        line(size <= SIZE_LIMIT, f"binary ≤ 100 kB: {fmt(size)} bytes (BSS {fmt(num(data, 'capinit', 'bss'))} bytes)")
    w("")
    w("On a shared, noisy machine a timing target can be missed or met by the noise: "
      "read the paired interval, and the page faults, system calls and instructions, "
      "which do not depend on the load.")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
