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
    $sudo apt-get "${lock[@]}" update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get "${lock[@]}" ${APT_EXTRA[@]+"${APT_EXTRA[@]}"} \
        install -y -q --no-install-recommends "${missing[@]}"
}
