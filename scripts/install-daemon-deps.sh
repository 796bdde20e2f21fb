#!/usr/bin/env bash
# Install the real Debian daemons the `daemons` test stage runs (and the
# clients its oracles use), from Debian's archive only. Idempotent: apt is
# not touched when everything is present.
#
# No service may start during the install: the tests start every daemon
# themselves, as a container would, inside namespaces of their own. A
# policy-rc.d that exits 101 ("action forbidden") is in place for the
# install and the one that was there before (if any) is put back after.
set -euo pipefail

packages=(
    nginx                       # HTTP, workers as www-data, chowns /var/lib/nginx/* at start
    apache2                     # HTTP, prefork/event workers as www-data, /run/apache2
    chrony                      # NTP daemon, drops root to _chrony, /run/chrony
    openssh-server openssh-client  # sshd and the key login that checks it
    dnsmasq-base                # the dnsmasq binary alone: no service, no resolv hooks
    iputils-ping                # ping: cap_net_raw=ep as a file capability
    curl                        # the HTTP client of the nginx/apache2 oracles
    procps                      # pgrep -u www-data: the privilege-drop oracle
    iproute2                    # ip link set lo up in each run's network namespace
    python3-pytest python3-pytest-timeout python3-jsonschema  # the suite; --probe-json against its schema
)
# The DNS oracle is tests/daemons/dnsq.py (a 40-line query over UDP), not
# dig: bind9-dnsutils would pull in bind9's libraries for one query.

if [ -f /etc/alpine-release ]; then
    echo "install-daemon-deps: these tests use Debian's packages (apt-get)" >&2
    exit 1
fi
command -v apt-get >/dev/null 2>&1 || { echo "install-daemon-deps: needs apt-get (Debian/Ubuntu)" >&2; exit 1; }

# shellcheck source=scripts/lib/apt-install.sh
. "$(dirname "$0")/lib/apt-install.sh"

missing=$(apt_missing "${packages[@]}")
if [ -z "$missing" ]; then
    echo "install-daemon-deps: all packages present"
    exit 0
fi

policy=/usr/sbin/policy-rc.d
saved=""
restore_policy() {
    if [ -n "$saved" ]; then
        mv -f "$saved" "$policy"
    else
        rm -f "$policy"
    fi
}
# An existing policy that already forbids every action is kept as it is.
if [ -x "$policy" ] && { "$policy" nginx start >/dev/null 2>&1; [ $? -eq 101 ]; }; then
    echo "install-daemon-deps: $policy already forbids starting services"
else
    if [ -e "$policy" ]; then
        saved=$(mktemp "$policy.capinit-saved.XXXXXX")
        cp -p "$policy" "$saved"
    fi
    printf '#!/bin/sh\n# capinit install-daemon-deps: no service starts during the install\nexit 101\n' > "$policy"
    chmod 0755 "$policy"
    trap restore_policy EXIT
fi

apt_install_missing install-daemon-deps "${packages[@]}"
