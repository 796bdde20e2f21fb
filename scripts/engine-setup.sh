#!/usr/bin/env bash
# Real container engines for tests/engine: install, configure, start, stop.
#
#   scripts/engine-setup.sh install    docker.io, podman, debootstrap, peers (idempotent)
#   scripts/engine-setup.sh podman     write Podman's drop-in, only if this machine needs it
#   scripts/engine-setup.sh base       the local build base for Dockerfile.test and the probe's
#                                      Debian images (debootstrap --variant=minbase bookworm,
#                                      cached under build/engine, imported as
#                                      capinit-build-base:bookworm, in Podman as localhost/...)
#   scripts/engine-setup.sh start      start dockerd in the background unless one answers
#   scripts/engine-setup.sh restart [CONFIG]  restart the dockerd this script started
#   scripts/engine-setup.sh stop       stop dockerd if this script started it
#
# Why a script of its own: nothing can be pulled here (no registry), so every
# image is built from local files, and an engine that cannot start must fail
# the suite with the reason instead of skipping it.
set -euo pipefail
# shellcheck source=scripts/lib/apt-install.sh
. "$(dirname "$0")/lib/apt-install.sh"

top=$(cd "$(dirname "$0")/.." && pwd)
state=$top/build/engine
mkdir -p "$state"
pidfile=$state/dockerd.pid
log=$state/dockerd.log
dropin=/etc/containers/containers.conf.d/50-capinit-engine-tests.conf
base_image=capinit-build-base:bookworm
base_tar=$state/bookworm-minbase.tar
# The Debian client by absolute path: another `docker` may come first on PATH.
docker=/usr/bin/docker

die() { echo "engine-setup: $*" >&2; exit 1; }
say() { echo "engine-setup: $*"; }

install_pkgs() {
    local packages=(docker.io podman debootstrap busybox-static tini catatonit runc
        musl-tools make gcc libc6-dev python3-pytest python3-pytest-timeout)
    local missing=() p
    for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            missing+=("$p")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        say "engine packages present"
        return
    fi
    say "installing ${missing[*]}"
    apt_update engine-setup
    # This suite starts and stops dockerd itself: a policy-rc.d keeps the
    # package's service from being started behind its back during the install.
    local policy=/usr/sbin/policy-rc.d made_policy=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' > "$policy"
        chmod 0755 "$policy"
        made_policy=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" ||
        { [ $made_policy -eq 0 ] || rm -f "$policy"; die "apt-get install failed"; }
    [ $made_policy -eq 0 ] || rm -f "$policy"
}

# Podman 4.3's defaults fail here in two ways, each detected, not assumed:
# it asks for nofile=1048576 (above a lower hard limit, e.g. 20000 on these
# VMs) and its default runtime crun refuses hybrid cgroups (v1 with a v2
# mount). Write the drop-in only when one of them applies.
podman_dropin() {
    local hard need_ulimits=0 need_runc=0 fs
    hard=$(ulimit -Hn)
    if [ "$hard" != unlimited ] && [ "$hard" -lt 1048576 ]; then need_ulimits=1; fi
    fs=$(stat -fc %T /sys/fs/cgroup)
    if [ "$fs" != cgroup2fs ]; then need_runc=1; fi
    if [ $need_ulimits -eq 0 ] && [ $need_runc -eq 0 ]; then
        say "podman: defaults work here (hard nofile $hard, /sys/fs/cgroup is $fs): no drop-in"
        rm -f "$dropin"
        return
    fi
    mkdir -p "$(dirname "$dropin")"
    {
        echo "# written by capinit's scripts/engine-setup.sh: hard nofile $hard, /sys/fs/cgroup $fs"
        if [ $need_ulimits -eq 1 ]; then
            local nproc
            nproc=$(ulimit -Hu)
            if [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ]; then nproc=32768; fi
            printf '[containers]\ndefault_ulimits = ["nofile=%s:%s", "nproc=%s:%s"]\n' \
                "$hard" "$hard" "$nproc" "$nproc"
        fi
        if [ $need_runc -eq 1 ]; then
            printf '[engine]\nruntime = "runc"\n'
        fi
    } > "$dropin.tmp"
    mv "$dropin.tmp" "$dropin"
    say "podman: wrote $dropin (hard nofile $hard, cgroup fs $fs)"
}

docker_up() { "$docker" info >/dev/null 2>&1; }

ours() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

start_dockerd() {
    local config=${1:-$state/daemon.json}
    if docker_up; then
        if ours; then say "dockerd (pid $(cat "$pidfile"), ours) already running"
        else say "dockerd already running (not started by this suite): using it"; fi
        return
    fi
    command -v dockerd >/dev/null || die "dockerd is not installed"
    [ -f "$config" ] || echo '{}' > "$config"
    rm -f "$pidfile"
    say "starting dockerd --config-file=$config (log $log)"
    # setsid: dockerd must not get the terminal's signals or our job control.
    setsid dockerd --config-file="$config" --pidfile="$pidfile" >"$log" 2>&1 < /dev/null &
    echo "$config" > "$state/dockerd.config"
    local t0=$SECONDS
    while [ $((SECONDS - t0)) -lt 120 ]; do
        docker_up && { say "dockerd up after $((SECONDS - t0)) s: $("$docker" version -f '{{.Server.Version}}')"; return; }
        if ! kill -0 $! 2>/dev/null; then
            tail -n 20 "$log" >&2
            die "dockerd exited during start-up (log above, full log $log)"
        fi
        sleep 0.25
    done
    tail -n 20 "$log" >&2
    die "dockerd did not answer 'docker info' within 120 s (log $log)"
}

stop_dockerd() {
    if ! ours; then
        say "dockerd not started by this suite: left alone"
        return
    fi
    local pid _
    pid=$(cat "$pidfile")
    kill -TERM "$pid"
    for _ in $(seq 1 120); do
        kill -0 "$pid" 2>/dev/null || { say "dockerd (pid $pid) stopped"; rm -f "$pidfile" "$state/dockerd.config"; return; }
        sleep 0.25
    done
    die "dockerd (pid $pid) did not stop within 30 s"
}

restart_dockerd() {
    ours || die "restart: the running dockerd was not started by this suite"
    stop_dockerd
    start_dockerd "${1:-$state/daemon.json}"
}

# The local base of Dockerfile.test's build stage. debootstrap takes about
# 100 s; the tarball is cached so later runs only import it (a few seconds).
make_base() {
    docker_up || die "base: dockerd is not running"
    if "$docker" image inspect "$base_image" >/dev/null 2>&1; then
        say "base image $base_image present"
    else
        make_docker_base
    fi
    podman_base
}

# Podman has its own store: the same base, as localhost/... (a short name
# does not resolve there). From the cached tarball, or from Docker's copy.
podman_base() {
    local podman=/usr/bin/podman name=localhost/$base_image
    [ -x "$podman" ] || return 0
    if "$podman" image exists "$name"; then
        say "base image $name present in podman"
        return
    fi
    if [ -s "$base_tar" ]; then
        "$podman" import -q -c 'CMD ["/bin/bash"]' "$base_tar" "$name" >/dev/null
    else
        "$docker" save "$base_image" | "$podman" load -q >/dev/null
        "$podman" image exists "$name" || "$podman" tag "$base_image" "$name"
    fi
    say "base image $name imported into podman"
}

make_docker_base() {
    if [ ! -s "$base_tar" ]; then
        local mirror root
        # The system's own main archive (deb822 or one-line), not a mirror named here.
        mirror=$({ sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources
                   sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]*\)\?\([^ ]*\).*/\2/p' \
                       /etc/apt/sources.list /etc/apt/sources.list.d/*.list
                 } 2>/dev/null | grep -v security | head -n1 || true)
        mirror=${mirror:-http://deb.debian.org/debian}
        root=$state/bookworm-root
        rm -rf "$root"
        say "debootstrap --variant=minbase bookworm from $mirror (about 100 s)"
        nice -n 10 debootstrap --variant=minbase bookworm "$root" "$mirror" >"$state/debootstrap.log" 2>&1 ||
            { tail -n 20 "$state/debootstrap.log" >&2; die "debootstrap failed (log $state/debootstrap.log)"; }
        # apt's caches are not part of an image.
        rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
        tar -C "$root" -cf "$base_tar.tmp" . && mv "$base_tar.tmp" "$base_tar"
        rm -rf "$root"
    fi
    say "importing $base_tar as $base_image"
    "$docker" import -c 'CMD ["/bin/bash"]' "$base_tar" "$base_image" >/dev/null
}

case ${1:-} in
    install) install_pkgs ;;
    podman) podman_dropin ;;
    base) make_base ;;
    start) start_dockerd "${2:-}" ;;
    restart) restart_dockerd "${2:-}" ;;
    stop) stop_dockerd ;;
    *) die "usage: $0 install|podman|base|start|restart [CONFIG]|stop" ;;
esac
