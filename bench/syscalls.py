"""Count an init's system calls up to and including its child's exec.

    syscalls.py PREFIX INIT_PATH CHILD_PATH

PREFIX.* are the per-process files of `strace -ff -ttt -qq -o PREFIX
unshare -fp --mount-proc --kill-child INIT [--] CHILD_PATH`.  Counted: every
call of the init process from its own successful execve(INIT_PATH) on, and
every call of the processes it forks, up to the successful
execve(CHILD_PATH) in the child, which is the last one counted (by the
timestamps -ttt puts on each line, across processes).  unshare's own calls
(the process that never execs the init, and the forked one before its
execve) are not the init's.  Prints "total=N init=N child=N prctl=N"
(prctl: of the total).
"""
import glob
import re
import sys

LINE = re.compile(r"^(\d+\.\d+) (\w+)\((.*)$")


def calls(path):
    out = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = LINE.match(line)
            if m:  # "--- SIGCHLD ...", "+++ exited ..." are not calls
                out.append((float(m.group(1)), m.group(2), m.group(3)))
    return out


def is_exec_of(call, path):
    _, name, rest = call
    return name == "execve" and rest.startswith(f'"{path}"') and rest.rstrip().endswith("= 0")


def main():
    prefix, init_path, child_path = sys.argv[1:4]
    files = {p: calls(p) for p in glob.glob(prefix + ".*")}
    init = child = None
    for p, cs in files.items():
        for i, c in enumerate(cs):
            if is_exec_of(c, init_path):
                init = (p, i)
            elif is_exec_of(c, child_path):
                child = (p, i)
    if init is None or child is None:
        sys.exit(f"syscalls: no execve of {init_path} or {child_path} in {prefix}.*")
    t_exec = files[child[0]][child[1]][0]
    counted = {"init": 0, "child": 0, "prctl": 0}
    for p, cs in files.items():
        if p == init[0]:
            mine, role = cs[init[1]:], "init"
        elif cs and cs[0][1] == "execve":
            continue  # strace's own child, unshare: a forked process starts mid-program
        else:
            mine, role = cs, "child"
        for i, c in enumerate(mine):
            if c[0] > t_exec or (p == child[0] and i > child[1]):
                break
            counted[role] += 1
            counted["prctl"] += c[1] == "prctl"
    print(f"total={counted['init'] + counted['child']} init={counted['init']} "
          f"child={counted['child']} prctl={counted['prctl']}")


if __name__ == "__main__":
    main()
