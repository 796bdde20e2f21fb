#!/usr/bin/env python3
"""Write the stop-time table of docs/engines.md from what tests/engine's
test_stop measured (build/engine/stops.jsonl: one line per `stop`, its exit
status and wall time). The tests assert the statuses; the times are only
shown here, from one run on a shared machine.

    stop_table.py OUTPUT.md     (scripts/engine-test.sh; make engine-table
                                 runs the stop tests and writes docs/engines.md)
"""

import json
import os
import platform
import sys
import time
from pathlib import Path

STATE = Path(__file__).resolve().parents[2] / "build" / "engine"
APPS = [("trap", "app traps TERM (exits 42)"), ("default", "app dies of TERM"),
        ("ignore", "app ignores TERM")]


def main(out):
    src = STATE / "stops.jsonl"
    if not src.exists():
        sys.exit("stop_table: %s is missing: run the stop tests first" % src)
    rows, versions = {}, {}
    for line in src.read_text().splitlines():
        r = json.loads(line)
        rows.setdefault((r["engine"], r["init"]), {})[r["app"]] = r
        versions[r["engine"]] = r["version"]
    load = os.getloadavg()
    lines = [
        "# capinit under Docker Engine and Podman: stop times",
        "",
        "Measured by `tests/engine` (`scripts/engine-test.sh`, the `engine` stage of",
        "`scripts/test.sh`; `make engine-table` rewrites this file). Each cell is the",
        "container's exit status and the wall time of `docker stop -t 2` / `podman",
        "stop -t 2` (SIGTERM to PID 1, SIGKILL after 2 s), including the CLI's own",
        "overhead. The tests assert the statuses, never the times: this machine is",
        "shared and was loaded during the run (load average %.1f / %.1f / %.1f on %d"
        % (load[0], load[1], load[2], os.cpu_count() or 0),
        "CPUs), so compare the rows with each other, not with other machines.",
        "",
        "Run: %s, %s, %s." % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(src.stat().st_mtime)),
                             platform.release(),
                             "; ".join("%s: %s" % kv for kv in sorted(versions.items()))),
        "",
        "| engine | PID 1 | " + " | ".join(label for _, label in APPS) + " |",
        "| --- | --- | " + " | ".join("---:" for _ in APPS) + " |",
    ]
    # Engines together, each in the order measured.
    for (eng, init), cells in sorted(rows.items(), key=lambda kv: kv[0][0]):
        vals = []
        for app, _ in APPS:
            c = cells.get(app)
            vals.append("%d, %.2f s" % (c["status"], c["seconds"]) if c else "—")
        lines.append("| %s | %s | %s |" % (eng, init, " | ".join(vals)))
    lines += [
        "",
        "What the statuses say: an app that traps TERM exits with its own status",
        "(42) under every init; one that does not dies of the forwarded TERM and",
        "the init reports 128+15 = 143; one that ignores it is SIGKILLed by the",
        "engine when `-t` runs out, 137, after the grace period. capinit, tini and",
        "catatonit behave the same; the time of the first two columns is the",
        "engine's round trip, the third is the engine's `-t`.",
        "",
    ]
    Path(out).write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
