#!/usr/bin/env bash
# Fetch and unpack one of Debian's source packages without touching the
# system's apt state.
#
# Why a private apt state: the system may have no deb-src entries, and adding
# them (or running `apt-get update` on them) would change the machine for
# everyone. We derive deb-src entries from the system's own deb entries, so
# no mirror is named here, and keep the lists under the caller's directory.
#
# Usage (sourced):   . scripts/lib/debian-source.sh
#                    debian_source PACKAGE WORKDIR     # unpacks to WORKDIR/tree
# Needs apt-get and dpkg-source (dpkg-dev). Prints progress on stderr.

debian_source() {
    local pkg=$1 work=$2 state f dsc
    for f in apt-get dpkg-source; do
        command -v "$f" >/dev/null 2>&1 || {
            echo "debian-source: missing '$f' (apt-get install dpkg-dev)" >&2
            return 1
        }
    done
    state=$work/apt
    mkdir -p "$state/lists/partial" "$state/archives/partial" "$state/sources.list.d" \
        "$state/preferences.d"
    : > "$state/sources.list"
    rm -f "$state/sources.list.d/"*

    # One-line format files: "deb [opts] URI suite comps" -> "deb-src ...".
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$f" >> "$state/sources.list"
    done
    # deb822 files: keep stanzas whose Types include deb, declare them deb-src.
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk 'BEGIN { RS=""; ORS="\n\n" }
             /(^|\n)Types:[^\n]*(^|[[:space:]])deb([[:space:]]|\n|$)/ {
                 sub(/Types:[^\n]*/, "Types: deb-src"); print }' \
            "$f" > "$state/sources.list.d/$(basename "$f")"
    done
    if [ ! -s "$state/sources.list" ] && ! ls "$state/sources.list.d/"*.sources >/dev/null 2>&1; then
        echo "debian-source: no deb entries in /etc/apt to derive deb-src entries from" >&2
        return 1
    fi

    local apt_private=(
        -o "Dir::State=$state" -o "Dir::State::Lists=$state/lists"
        -o "Dir::State::status=/var/lib/dpkg/status"
        -o "Dir::Cache=$state" -o "Dir::Cache::archives=$state/archives"
        -o "Dir::Etc::SourceList=$state/sources.list"
        -o "Dir::Etc::SourceParts=$state/sources.list.d"
        -o "Dir::Etc::PreferencesParts=$state/preferences.d"
        -o "APT::Sandbox::User=root" -q
    )
    echo "debian-source: fetching Debian's $pkg source (private apt state in $state)" >&2
    apt-get "${apt_private[@]}" update >/dev/null || return 1
    rm -rf "$work/src" "$work/tree"
    mkdir -p "$work/src"
    (cd "$work/src" && apt-get "${apt_private[@]}" source --download-only "$pkg" >/dev/null) ||
        return 1
    dsc=
    for f in "$work/src/${pkg}"_*.dsc; do [ -e "$f" ] && dsc=$f && break; done
    [ -n "$dsc" ] || { echo "debian-source: apt-get source $pkg fetched no .dsc" >&2; return 1; }
    (cd "$work/src" && dpkg-source --no-check -x "$(basename "$dsc")" ../tree >/dev/null)
}
