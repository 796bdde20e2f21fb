"""Turn build/bench/raw.tsv (written by bench/run.sh) into the markdown report.

raw.tsv has one "NAME<TAB>METRIC<TAB>VALUE" line per measurement; NAME is an
init, or "meta" for run parameters and the machine description.  Start-up
is bench/startup.sh's, reported by bench/startup_report.py.  Standard library only (runs on Debian's
/usr/bin/python3).  Targets are reported, never asserted.
"""
import sys

INITS = ["capinit", "tini", "tini-static", "dumb-init", "catatonit"]
PEERS = INITS[1:]
NOISE = 0.10  # a timing this close to the target is "within noise"


def load(path):
    data = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t", 2)
            if len(parts) == 3:
                data.setdefault(parts[0], {})[parts[1]] = parts[2]
    return data


def num(data, name, key, scale=1.0):
    try:
        v = float(data[name][key]) * scale
    except (KeyError, ValueError):
        return None
    return None if v != v else v  # NaN -> None


def fmt(v, digits):
    if v is None:
        return "n/a"
    if digits == 0:
        return f"{v:,.0f}"
    return f"{v:,.{digits}f}"


def ratio(v, base):
    if v is None or base is None or base == 0:
        return ""
    return f" ({v / base:.2f}×)"


# (key prefix, place) of the signal-forwarding measurements, as run.sh names them
SIGNAL_PLACES = [("cgroup_", "cgroup"), ("", "host")]


def place_label(place, meta):
    if place == "cgroup":
        return "in a cpu cgroup, as in a container"
    own = meta.get("own_cpu_cgroup", "?")
    ag = {"1": "on", "0": "off"}.get(meta.get("autogroup"), meta.get("autogroup", "?"))
    where = "host root cgroup" if own == "/" else f"host cgroup {own}"
    return f"{where}, autogroup {ag}"


def main():
    data = load(sys.argv[1])
    meta = data.get("meta", {})
    idle = meta.get("idle_s", "?")
    reap_n = int(meta.get("reap_n", "0") or 0)
    # (label, getter(name) -> value, digits, show ratio to capinit)
    rows = [
        ("binary size (bytes)", lambda n: num(data, n, "size_bytes"), 0, True),
        ("statically linked", lambda n: data.get(n, {}).get("static", "n/a"), None, False),
        ("PID 1 VmRSS (kB)", lambda n: num(data, n, "rss_kb"), 0, True),
        ("PID 1 VmHWM (kB)", lambda n: num(data, n, "hwm_kb"), 0, True),
        (f"idle wake-ups in {idle} s", lambda n: num(data, n, "idle_wakeups"), 0, True),
        (f"reap {reap_n:,} zombies at once, wall (ms)", lambda n: num(data, n, "reap_wall_us", 1e-3), 1, True),
        (f"reap {reap_n:,} zombies at once, PID 1 CPU (ms)", lambda n: num(data, n, "reap_cpu_us", 1e-3), 1, True),
        (f"stream of {reap_n:,} orphans, PID 1 CPU (ms)", lambda n: num(data, n, "stream_cpu_us", 1e-3), 1, True),
        ("stream: peak zombies (unreaped orphans)", lambda n: num(data, n, "stream_peak"), 0, False),
    ]
    # Signal forwarding, in the benchmark's own cpu cgroup ("cgroup", as in a
    # container) and in the host's ("host"); see run.sh for why both.
    for pre, place in SIGNAL_PLACES:
        for key, what in (("sig1_median_us", "one CPU, median"), ("sig1_p99_us", "one CPU, p99"),
                          ("sig_median_us", "free, median"), ("sig_p99_us", "free, p99")):
            rows.append((f"signal forwarding, {place_label(place, meta)}, {what} (µs)",
                         lambda n, k=pre + key: num(data, n, k), 1, True))
    rows.append(("signals lost", lambda n: num(data, n, "sig_lost"), 0, False))

    out = []
    w = out.append
    w("# capinit benchmark")
    w("")
    w(f"- date: {meta.get('date', '?')}")
    w(f"- machine: {meta.get('nproc', '?')} × {meta.get('cpu', '?')}, "
      f"{meta.get('mem_mb', '?')} MB RAM, {meta.get('kernel', '?')}, {meta.get('os', '?')}")
    w(f"- capinit: `{meta.get('capinit', '?')}`")
    w(f"- parameters: idle window {idle} s; reaping {meta.get('reap_reps', '?')} × {reap_n:,} "
      f"orphans (median; peak = max); {meta.get('signals', '?')} signals per init; "
      f"took {meta.get('elapsed_s', '?')} s (start-up: bench/results-startup.md)"
      + (" — **quick smoke run (BENCH_QUICK=1), small samples**" if meta.get("quick") == "1" else ""))
    w("")
    w("**This machine is noisy (a shared VM): absolute times move from run to run. "
      "Read the ratios — (×) is the peer's value ÷ capinit's, measured under the "
      "same conditions.**")
    w("")
    w("| metric | " + " | ".join(INITS) + " |")
    w("| --- | " + " | ".join("---:" for _ in INITS) + " |")
    for label, get, digits, show_ratio in rows:
        if digits is not None and all(get(n) is None for n in INITS):
            continue  # not measured in this run
        base = get("capinit")
        cells = []
        for n in INITS:
            v = get(n)
            if digits is None:
                cells.append(str(v))
                continue
            cell = fmt(v, digits)
            if show_ratio and n != "capinit":
                cell += ratio(v, base)
            cells.append(cell)
        w(f"| {label} | " + " | ".join(cells) + " |")
    for pre, place in SIGNAL_PLACES:
        for key, what in (("sig1_median_us", "one CPU"), ("sig_median_us", "free")):
            v, base = num(data, "capinit-setsid", pre + key), num(data, "capinit", pre + key)
            if v is None:
                continue
            w(f"| capinit with its child in a new session (its dumb-init name): forwarding, "
              f"{place_label(place, meta)}, {what}, median (µs) | " + fmt(v, 1)
              + (f" ({v / base:.2f}× default capinit)" if base else "") + " | — | — | — | — |")
    w("")
    w("How each row is measured (`NS` = `unshare -fp --mount-proc --kill-child`; start-up, "
      "system calls and the start-up targets: bench/results-startup.md):")
    w("")
    w("- size: of the file; static: what `file` says.")
    w("- VmRSS/VmHWM: /proc/PID/status of the init as PID 1 of `NS INIT -- sleep`, after "
      f"{idle} s idle.")
    w("- idle wake-ups: voluntary + involuntary context switches of the init while its child "
      "sleeps.")
    w("- reap at once: N orphans exit while the init is SIGSTOPped (from the host), then it "
      "is SIGCONTed and timed until it has reaped the last; PID 1 CPU from /proc/1/schedstat. "
      "Median of the runs.")
    w("- stream: two workers make N orphans one by one, as fast as they can, while the init "
      "runs; peak of PID 1's unreaped children, sampled every 0.2 ms (max of the runs).")
    w("- signal forwarding: from the host's `kill(init, SIGUSR1)` to the child's handler "
      "(CLOCK_MONOTONIC on both sides), one signal in flight; \"one CPU\": driver, init and "
      f"child pinned to CPU {meta.get('sig_cpu', '?')}, the init's own path; \"free\": left to "
      "the scheduler, which adds cross-CPU wake-ups that vary more than the inits do. "
      "Rounds interleaved across inits, pooled. \"in a cpu cgroup\": the driver, the init "
      "and its child run in a cpu cgroup made for the benchmark, as Kubernetes (always) and "
      "Docker (under cgroup v1, or with CPU limits) put each container in one. \"host\": in "
      "this script's own cgroup; when that is the root one and autogroup is on, each session "
      "is its own scheduling group, and an init that puts its child in a new session "
      "(dumb-init does, with setsid) changes how the scheduler places and preempts the two. "
      "Inside a cpu cgroup autogroup does not apply. The rows \"capinit with its child in a "
      "new session\" run capinit under its dumb-init name, which does the same, to show "
      "whether the difference is the session or the init.")
    w("")

    # ----- targets
    w("## Targets (reported, not asserted)")
    w("")

    def yn(ok):
        return "**yes**" if ok else "**no**"

    def timing(label, key, scale=1.0, unit="µs", digits=0, getter=None):
        get = getter or (lambda n: num(data, n, key, scale))
        c = get("capinit")
        peers = [(get(n), n) for n in PEERS if get(n) is not None]
        if c is None or not peers:
            return f"- {label}: n/a"
        best, who = min(peers)
        if c <= best:
            verdict = yn(True)
        elif best > 0 and (c - best) / best <= NOISE:
            verdict = f"**no**, within noise (+{(c - best) / best * 100:.1f}%)"
        else:
            verdict = yn(False) + (f" (+{(c - best) / best * 100:.0f}%)" if best > 0 else "")
        return (f"- {label}: {verdict} — capinit {fmt(c, digits)} {unit}, "
                f"best peer {who} {fmt(best, digits)} {unit}")

    size = num(data, "capinit", "size_bytes")
    static = data.get("capinit", {}).get("static") == "yes"
    w(f"- static and ≤ 64 KiB (65,536 bytes): {yn(static and size is not None and size <= 65536)}"
      f" — {fmt(size, 0)} bytes, {'static' if static else 'not static'}")
    rss = num(data, "capinit", "rss_kb")
    w(f"- PID 1 VmRSS ≤ 100 kB: {yn(rss is not None and rss <= 100)} — {fmt(rss, 0)} kB")
    wk = num(data, "capinit", "idle_wakeups")
    w(f"- zero idle wake-ups: {yn(wk == 0)} — {fmt(wk, 0)} in {idle} s")
    w(timing(f"reaping {reap_n:,} zombies no slower than any peer (wall)", "reap_wall_us", 1e-3, "ms", 1))
    w(timing("reaping a stream no costlier than any peer (PID 1 CPU)", "stream_cpu_us", 1e-3, "ms", 1))
    for pre, place in SIGNAL_PLACES:
        if num(data, "capinit", pre + "sig1_median_us") is None:
            continue
        where = place_label(place, meta)
        w(timing(f"signal forwarding no slower than any peer ({where}, one CPU, median)",
                 pre + "sig1_median_us", digits=1))
        w(timing(f"signal forwarding no slower than any peer ({where}, one CPU, p99)",
                 pre + "sig1_p99_us", digits=1))
        w(timing(f"signal forwarding no slower than any peer ({where}, free, median)",
                 pre + "sig_median_us", digits=1))
    w("")
    w(f"\"within noise\": within {NOISE * 100:.0f}% of the best peer, which is less than "
      "this machine's run-to-run spread.")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
