#!/usr/bin/env bash
# Install Debian packages that are missing, and only those: each install
# script of the project is idempotent through this, and apt is not touched
# (no update, no lock) when everything is present.
#
# Usage (sourced):   . scripts/lib/apt-install.sh
#                    apt_install_missing WHO PACKAGE...
# WHO names the caller in its messages. Extra apt-get options can be given
# in the array APT_EXTRA (e.g. the cross packages' --force-unsafe-io).

apt_missing() {
    local p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            echo "$p"
    done
}

# apt-get update, retried; a run that still fails in part is a warning, not
# an error. The archive's mirrors are sometimes caught mid-sync ("File has
# unexpected size ... Mirror sync in progress?"), often for an index the
# caller does not need (the foreign architectures the cross packages add);
# apt keeps the lists it did get, and the install that follows fails, and
# says so, if a package it needs is not in them.
apt_update() {
    local who=$1 sudo="" try
    shift
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    for try in 1 2 3; do
        $sudo apt-get -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3 "$@" update -q && return 0
        echo "$who: apt-get update failed (try $try of 3)" >&2
        [ "$try" -eq 3 ] || sleep $((try * 10))
    done
    echo "$who: apt-get update failed in part; installing from the lists apt has" >&2
}

apt_install_missing() {
    local who=$1 sudo=""
    shift
    local missing
    mapfile -t missing < <(apt_missing "$@")
    if [ ${#missing[@]} -eq 0 ]; then
        echo "$who: all packages present"
        return 0
    fi
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "$who: installing ${missing[*]}"
    # Another apt user (a parallel script, unattended upgrades) may hold the
    # lock for a while: wait for it rather than fail.
    local lock=(-o DPkg::Lock::Timeout=600)
    apt_update "$who"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get "${lock[@]}" ${APT_EXTRA[@]+"${APT_EXTRA[@]}"} \
        install -y -q --no-install-recommends "${missing[@]}"
}
