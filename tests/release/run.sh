#!/usr/bin/env bash
# Run each release binary on its own architecture and check, from the
# kernel's view (/proc/self/status of the child), that it gives the child
# exactly the planned credentials and passes exit statuses on.
#
# amd64 runs natively; the others under qemu-user (qemu-ARCH-static). No
# binfmt is needed: only capinit is emulated, the child it executes (sh, cat
# from the host) is a native program that the kernel runs directly.
#
# capinit runs as PID 1 of a fresh PID namespace (unshare -fp --kill-child),
# so nothing a check starts can outlive it.
#
# Two things cannot hold under qemu-user 7.2, and are skipped there with the
# reason printed: PR_SET_CHILD_SUBREAPER returns EINVAL (so capinit off PID 1
# cannot collect orphans), and /proc/1/cmdline names qemu, not capinit.
#
# A third: qemu-user refuses a guest's seccomp filter (PR_SET_SECCOMP: EINVAL;
# the filter would apply to the emulator's own system calls), so capinit's
# child cannot install the user-namespace guard there. Under qemu the checks
# run with CAPINIT_USERNS=1, and one more check shows that without it capinit
# refuses (exit 125) rather than run the app unguarded. The guard itself is
# checked natively on amd64 here, and for every architecture's table by
# tests/unit (a BPF interpreter, and the numbers against the kernel headers).
#
# Usage: tests/release/run.sh [ARCH...]   (default: all six; needs make release)
# Ends with "N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

[ "$(id -u)" -eq 0 ] || { echo "test-release: run as root (unshare, user switching)" >&2; exit 1; }

declare -A QEMU=([amd64]="" [arm64]=qemu-aarch64-static [armv7]=qemu-arm-static
    [ppc64le]=qemu-ppc64le-static [s390x]=qemu-s390x-static [riscv64]=qemu-riscv64-static)
arches=("$@")
[ ${#arches[@]} -gt 0 ] || arches=(amd64 arm64 armv7 ppc64le s390x riscv64)

passed=0 failed=0 skipped=0
ok() { echo "ok - $*"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $*"; failed=$((failed + 1)); }
skip() { echo "skip - $*"; skipped=$((skipped + 1)); }

commit=$(git rev-parse --short=12 HEAD 2>/dev/null || sed -n 's/^\([0-9a-f]\{12\}\)[0-9a-f]* [0-9]*$/\1/p' scripts/release-commit)
version=$(sed -n 's/^VERSION := //p' Makefile)

# The masks /proc/PID/status prints, for the capabilities used below.
CHOWN=0000000000000001
NBS=0000000000000400           # NET_BIND_SERVICE (10)
NBS_CHOWN=0000000000000401
ZERO=0000000000000000
own() { awk -v k="$1:" '$1 == k { print $2 }' /proc/self/status; }
HOST_BND=$(own CapBnd)
HOST_PRM=$(own CapPrm)

# field STATUS KEY: the value(s) of one /proc/PID/status line, space-joined.
field() { awk -v k="$2:" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' <<<"$1"; }

# expect NAME STATUS KEY=VALUE...: every listed status line must read VALUE.
expect() {
    local name=$1 status=$2 kv key want got bad=""
    shift 2
    for kv in "$@"; do
        key=${kv%%=*} want=${kv#*=}
        got=$(field "$status" "$key")
        [ "$got" = "$want" ] || bad+=" $key=${got:-<none>} (want $want)"
    done
    if [ -z "$bad" ]; then ok "$name"; else not_ok "$name:$bad"; fi
}

# pid1 ARCH ARGS...: capinit as PID 1 of a new PID namespace; stdout is the
# child's, the exit status capinit's. stderr passes through. Under qemu-user
# with CAPINIT_USERNS=1 (see above) unless GUARD=1 is set for the call.
pid1() {
    local arch=$1 env=()
    shift
    [ -n "${QEMU[$arch]}" ] && [ "${GUARD:-0}" != 1 ] && env=(env CAPINIT_USERNS=1)
    # shellcheck disable=SC2086 # empty QEMU for amd64 is meant to vanish
    "${env[@]}" timeout 120 unshare -fp --mount-proc --kill-child ${QEMU[$arch]} "dist/capinit-linux-$arch" "$@"
}

# The user-namespace guard: natively, the app sees a seccomp filter and
# cannot unshare a user namespace; under qemu-user, where no filter can be
# installed, capinit refuses to start the app unless CAPINIT_USERNS=1.
check_guard() {
    local a=$1 q=$2 out rc
    if [ -z "$q" ]; then
        local filters=() have
        have=$(own Seccomp_filters)  # none before Linux 5.9
        [ -n "$have" ] && filters=(Seccomp_filters=$((have + 1)))
        out=$(pid1 "$a" --cap-drop=ALL --user=65534:65534 -- cat /proc/self/status)
        expect "$a: user-namespace guard installed (Seccomp 2, one filter more than the caller's)" "$out" \
            Seccomp=2 "${filters[@]}" NoNewPrivs=1
        out=$(pid1 "$a" --cap-drop=ALL --user=65534:65534 -- unshare -U true 2>&1)
        rc=$?
        if [ $rc -ne 0 ] && [[ $out == *"Operation not permitted"* ]]; then ok "$a: unshare -U refused by the guard"
        else not_ok "$a: unshare -U under the guard gave $rc: $out"; fi
        return
    fi
    echo "# $a: under $q the checks run with CAPINIT_USERNS=1: qemu-user refuses a guest's seccomp filter"
    out=$(GUARD=1 pid1 "$a" --cap-drop=ALL -- sh -c 'echo app ran' 2>&1)
    rc=$?
    if [ $rc -eq 125 ] && [[ $out == *"CAPINIT_USERNS=1"* ]] && [[ $out != *"app ran"* ]]; then
        ok "$a: under $q the guard cannot be installed: exit 125 naming CAPINIT_USERNS=1, app not started"
    else not_ok "$a: under $q without CAPINIT_USERNS=1 gave $rc: $out"; fi
}

# The formatter's own tests (tests/unit/test_fmt.c: every length modifier
# against the C library's printf), built by `make test-release` with the
# architecture's musl compiler: %zu was read as a long long, which on armv7
# misread every later argument and crashed.
check_fmt() {
    local a=$1 t=build/release/$1/test_fmt out
    if [ ! -x "$t" ]; then not_ok "$a: $t missing (make test-release builds it)"; return; fi
    # shellcheck disable=SC2086 # empty QEMU for amd64 is meant to vanish
    if out=$(${QEMU[$a]} "$t" 2>&1); then ok "$a: printf subset matches libc: ${out##*: }"
    else not_ok "$a: test_fmt: $(tail -n 3 <<<"$out" | tr '\n' ' ')"; fi
}

# A line that uses %zu, as users see it: the probe's progress lines. A
# short --probe of a static `true` as PID 1, with CAP_SYS_ADMIN out of the
# bounding set so that the probe runs its trials in place, and
# CAPINIT_USERNS=1 (qemu-user refuses seccomp filters, which the
# user-namespace guard needs). Every "probe trial N ... in S.mmm s" line
# must carry a sane trial number (1-9) and time (under 100 s); armv7 once
# printed "probe trial 443403833704449 ... in (null) s".
check_probe_line() {
    local a=$1 err rc line n=0 bad="" tru=(/bin/busybox true)
    [ -x /bin/busybox ] || tru=(true)
    # shellcheck disable=SC2086,SC2016 # empty QEMU vanishes; "$@" is capsh's shell's
    err=$(timeout 120 unshare -fp --mount-proc --kill-child env CAPINIT_USERNS=1 \
        capsh --drop=cap_sys_admin -- -c 'exec "$@"' x ${QEMU[$a]} "dist/capinit-linux-$a" \
        --probe --probe-timeout=5 -- "${tru[@]}" 2>&1 >/dev/null)
    rc=$?
    while IFS= read -r line; do
        [[ $line == *"probe trial "* ]] || continue
        if [[ $line =~ probe\ trial\ ([0-9]+)\ .*\ in\ ([0-9]+)\.([0-9]{3})\ s ]] &&
            [[ ${BASH_REMATCH[1]} =~ ^[1-9]$ ]] && [ ${#BASH_REMATCH[2]} -le 2 ]; then
            n=$((n + 1))
        else
            bad+=" [$line]"
        fi
    done <<<"$err"
    if [ -z "$bad" ] && [ "$n" -gt 0 ]; then ok "$a: --probe progress lines (%zu) read right: $n trials (exit $rc)"
    else not_ok "$a: --probe progress (exit $rc, $n good lines):${bad:- no trial line: $(tail -n 3 <<<"$err" | tr '\n' ' ')}"; fi
}

check_arch() {
    local a=$1 bin=dist/capinit-linux-$1 out rc q=${QEMU[$1]}
    if [ ! -x "$bin" ]; then not_ok "$a: $bin missing (make release)"; return; fi
    if [ -n "$q" ] && ! command -v "$q" >/dev/null; then
        not_ok "$a: $q missing (scripts/install-cross-deps.sh)"; return
    fi

    out=$(${q:+$q} "$bin" --version 2>&1)
    if [ "$out" = "capinit $version - git.$commit" ]; then ok "$a: --version names $commit"
    else not_ok "$a: --version printed '$out' (want capinit $version - git.$commit)"; fi

    check_fmt "$a"
    check_probe_line "$a"

    check_guard "$a" "$q"

    out=$(pid1 "$a" --cap-drop=ALL --cap-add=NET_BIND_SERVICE,CHOWN -- cat /proc/self/status)
    expect "$a: root, DROP=ALL ADD=NET_BIND_SERVICE,CHOWN: Bnd=Prm=Eff=ADD, Inh=Amb=0, nnp" "$out" \
        CapBnd=$NBS_CHOWN CapPrm=$NBS_CHOWN CapEff=$NBS_CHOWN CapInh=$ZERO CapAmb=$ZERO \
        NoNewPrivs=1 'Uid=0 0 0 0'

    out=$(pid1 "$a" --user=65534:65534 --cap-drop=ALL --cap-add=NET_BIND_SERVICE -- cat /proc/self/status)
    expect "$a: --user=65534:65534 ADD=NET_BIND_SERVICE: uid/gid 65534, groups just 65534, Inh=Prm=Eff=Amb=Bnd=NBS, nnp" "$out" \
        'Uid=65534 65534 65534 65534' 'Gid=65534 65534 65534 65534' Groups=65534 \
        CapInh=$NBS CapPrm=$NBS CapEff=$NBS CapAmb=$NBS CapBnd=$NBS NoNewPrivs=1

    out=$(pid1 "$a" --user=65534:65534 -- cat /proc/self/status)
    expect "$a: --user=65534:65534 without ADD: no capability at all" "$out" \
        'Uid=65534 65534 65534 65534' CapInh=$ZERO CapPrm=$ZERO CapEff=$ZERO CapAmb=$ZERO \
        CapBnd="$HOST_BND" NoNewPrivs=1

    out=$(pid1 "$a" -- cat /proc/self/status)
    expect "$a: no spec: sets as handed over, nnp still set" "$out" \
        CapBnd="$HOST_BND" CapPrm="$HOST_PRM" CapEff="$HOST_PRM" CapInh=$ZERO CapAmb=$ZERO NoNewPrivs=1

    out=$(pid1 "$a" --cap-drop=CHOWN --no-new-privs=0 -- cat /proc/self/status)
    local minus_chown
    minus_chown=$(printf '%016x' $((0x$HOST_BND & ~0x$CHOWN)))
    expect "$a: DROP=CHOWN --no-new-privs=0: Bnd = handed over - CHOWN, nnp 0" "$out" \
        CapBnd="$minus_chown" CapPrm="$minus_chown" NoNewPrivs=0

    pid1 "$a" -- sh -c 'exit 7'
    rc=$?
    if [ $rc -eq 7 ]; then ok "$a: exit status 7 passed on"; else not_ok "$a: exit 7 gave $rc"; fi

    pid1 "$a" -- sh -c 'kill -TERM $$'
    rc=$?
    if [ $rc -eq 143 ]; then ok "$a: child killed by TERM gives 128+15"
    else not_ok "$a: child killed by TERM gave $rc (want 143)"; fi

    pid1 "$a" --cap-add=NO_SUCH_CAP -- true 2>/dev/null
    rc=$?
    if [ $rc -eq 2 ]; then ok "$a: invalid spec exits 2, child not started"
    else not_ok "$a: invalid spec gave $rc (want 2)"; fi

    # An orphan comes back to PID 1, which must reap it: the child leaves a
    # grandchild behind and then waits (without a deadline of its own that
    # the test relies on: 60 s is a hang guard) until no zombie is left.
    # shellcheck disable=SC2016 # expanded by the child's shell
    out=$(pid1 "$a" -- sh -c '
        sh -c "sleep 0.2 & echo \$!"
        i=0
        while [ $i -lt 600 ]; do
            z=$(cat /proc/[0-9]*/stat 2>/dev/null | awk "\$3 == \"Z\"" | wc -l)
            alive=$(cat /proc/[0-9]*/stat 2>/dev/null | awk "\$2 == \"(sleep)\"" | wc -l)
            [ "$z" -eq 0 ] && [ "$alive" -eq 0 ] && { echo reaped; exit 0; }
            sleep 0.1; i=$((i + 1))
        done
        echo "zombies left: $z"')
    if [ "$(tail -n1 <<<"$out")" = reaped ]; then ok "$a: PID 1 reaps an orphaned grandchild"
    else not_ok "$a: orphan not reaped: $out"; fi

    if [ -n "$q" ]; then
        skip "$a: /proc/1/cmdline is capinit: under qemu-user PID 1 is $q itself"
        skip "$a: child subreaper off PID 1: qemu-user returns EINVAL for PR_SET_CHILD_SUBREAPER"
        return
    fi
    out=$(pid1 "$a" -- cat /proc/1/cmdline | tr '\0' ' ')
    case $out in
        "$bin -- cat /proc/1/cmdline ") ok "$a: /proc/1/cmdline is capinit" ;;
        *) not_ok "$a: /proc/1/cmdline is '$out'" ;;
    esac
    # Off PID 1 (a shell is PID 1 of the namespace), capinit registers as a
    # child subreaper: the orphan's parent is capinit, not the shell.
    # shellcheck disable=SC2016 # expanded by the namespace's shell
    out=$(timeout 120 unshare -fp --mount-proc --kill-child sh -c '
        "$1" -- sh -c "sh -c \"sleep 5 & echo \\\$!\" | { read -r p; echo \$PPID \$(awk \"/^PPid:/ { print \\\$2 }\" /proc/\$p/status); }"' \
        sh "$bin")
    local cpid oparent extra
    read -r cpid oparent extra <<<"$out"
    if [ -n "$cpid" ] && [ -z "$extra" ] && [ "$cpid" = "$oparent" ]; then ok "$a: off PID 1 an orphan's parent is capinit (subreaper)"
    else not_ok "$a: subreaper: capinit pid / orphan's parent = '$out'"; fi
}

# The cheap in-CI form of the reproducibility check (the full one is two
# clean clones, see docs/releases.md): a `git archive` tarball of HEAD, so
# without .git (the commit comes from scripts/release-commit), unpacked in
# another directory, must build a byte-identical amd64 binary and image.
check_tarball_repro() {
    local dir=build/release-repro/a-different-directory-name out
    if ! git rev-parse HEAD >/dev/null 2>&1; then
        skip "reproducible from a git archive: not in a git checkout"; return
    fi
    if ! git diff --quiet HEAD -- init Makefile mk scripts; then
        skip "reproducible from a git archive: uncommitted changes in init/ Makefile mk/ scripts/ (dist/ is not HEAD's)"
        return
    fi
    rm -rf build/release-repro
    mkdir -p "$dir"
    git archive HEAD | tar -x -C "$dir"
    # The libcap source as fetched already (saves an apt round trip).
    mkdir -p "$dir/build/libcap-src"
    cp -a build/libcap-src/tree "$dir/build/libcap-src/"
    # GIT_CEILING_DIRECTORIES: the copy lies inside this checkout, whose git
    # must not be found from there.
    if ! out=$(GIT_CEILING_DIRECTORIES=$PWD/build/release-repro nice -n 10 \
            make -s -C "$dir" dist/capinit-linux-amd64 dist/capinit-image-linux-amd64.tar 2>&1); then
        not_ok "reproducible from a git archive: build failed: $out"; return
    fi
    if cmp -s "$dir/dist/capinit-linux-amd64" dist/capinit-linux-amd64 &&
        cmp -s "$dir/dist/capinit-image-linux-amd64.tar" dist/capinit-image-linux-amd64.tar; then
        ok "reproducible: git-archive tarball built in $dir gives identical amd64 binary and image"
    else
        not_ok "not reproducible: $dir/dist/capinit-linux-amd64 or its image differs from dist/'s"
    fi
    rm -rf build/release-repro
}

# inspect_ok ARCH JSON: an `image inspect` array names the platform the
# archive was written for, /capinit as entrypoint, and one layer.
inspect_ok() {
    /usr/bin/python3 -c '
import json, sys
want = {"amd64": ("amd64", ""), "arm64": ("arm64", "v8"), "armv7": ("arm", "v7"),
        "ppc64le": ("ppc64le", ""), "s390x": ("s390x", ""), "riscv64": ("riscv64", "")}
img = json.loads(sys.argv[2])[0]
arch, variant = want[sys.argv[1]]
# podman 4.3 inspect has no Variant field at all (Docker has): then only
# the architecture can be compared here.
shown = "Variant" in img
got = (img.get("Architecture"), img.get("Variant") or "")
ok = (got[0] == arch and (got[1] == variant or not shown) and img.get("Os") == "linux"
      and img["Config"]["Entrypoint"] == ["/capinit"] and len(img["RootFS"]["Layers"]) == 1)
print(("%s/%s" % got if got[1] else got[0]) + ("" if shown else " (this inspect shows no variant)"))
sys.exit(0 if ok else 1)' "$1" "$2"
}

# The image archives load into podman (daemonless, in a private store under
# build/ so no other podman user is touched) and, when a Docker daemon is
# already running (this script never starts one), into Docker; the amd64 one
# also runs there.
check_images() {
    local a tag out plat p
    if command -v podman >/dev/null; then
        p=(podman --root "$PWD/build/podman/root" --runroot "$PWD/build/podman/run" --storage-driver vfs)
        for a in "${arches[@]}"; do
            tag=capinit:$version-$a
            if ! out=$("${p[@]}" load -q -i "dist/capinit-image-linux-$a.tar" 2>&1); then
                not_ok "$a: podman load: $out"; continue
            fi
            if plat=$(inspect_ok "$a" "$("${p[@]}" image inspect "localhost/$tag")"); then
                ok "$a: podman load, image is linux/$plat, ENTRYPOINT /capinit, one layer"
            else not_ok "$a: podman image inspect: linux/$plat"; fi
        done
        rm -rf build/podman 2>/dev/null || "${p[@]}" system reset -f >/dev/null 2>&1
    else
        skip "image archives in podman: podman is not installed (apt-get install podman)"
    fi
    if command -v docker >/dev/null && timeout 20 docker info >/dev/null 2>&1; then
        for a in "${arches[@]}"; do
            tag=capinit:$version-$a
            if ! out=$(docker load -q -i "dist/capinit-image-linux-$a.tar" 2>&1); then
                not_ok "$a: docker load: $out"; continue
            fi
            if plat=$(inspect_ok "$a" "$(docker image inspect "$tag")"); then
                ok "$a: docker load, image is linux/$plat, ENTRYPOINT /capinit, one layer"
            else not_ok "$a: docker image inspect: linux/$plat"; fi
            if [ "$a" = amd64 ]; then
                out=$(docker run --rm "$tag" --version 2>&1)
                if [ "$out" = "capinit $version - git.$commit" ]; then ok "amd64: docker run of the image: $out"
                else not_ok "amd64: docker run of the image printed '$out'"; fi
            fi
            docker rmi -f "$tag" >/dev/null 2>&1
        done
    else
        skip "image archives in Docker: no running Docker daemon (docker info fails)"
    fi
}

qemu_version=$(qemu-aarch64-static --version 2>/dev/null | head -n1)
echo "test-release: capinit $version (commit $commit); ${qemu_version:-no qemu}; kernel $(uname -r)"
for a in "${arches[@]}"; do
    [ -n "${QEMU[$a]+x}" ] || { not_ok "unknown architecture $a"; continue; }
    check_arch "$a"
done
check_images
[ "${RELEASE_REPRO:-1}" = 0 ] || check_tarball_repro
echo "($skipped skipped, each with its reason above)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
