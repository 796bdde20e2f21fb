#!/bin/sh
# capinit container self-test.
#
# Run as the application under capinit (PID 1), inside a container:
#
#     ENTRYPOINT ["/capinit", "--"]
#     CMD ["/bin/sh", "/selftest.sh"]
#
# It checks, from inside and as the kernel sees it, what capinit promised:
#
#   always:
#     - PID 1 is capinit (argv[0] of /proc/1/cmdline; EXPECT_PID1 names another
#       basename, e.g. docker-init when capinit is docker's --init), and this
#       script is its direct child;
#     - no CAPINIT_* variable reached the application's environment;
#     - orphans are re-parented to PID 1 and reaped: live orphans that exit
#       later, and zombies inherited from a parent that never waited for them;
#       afterwards no process in the container is in state Z.
#   when the variable is set (at least one EXPECT_* besides EXPECT_PID1 must be):
#     EXPECT_CAPEFF EXPECT_CAPPRM EXPECT_CAPBND EXPECT_CAPINH EXPECT_CAPAMB
#                         hex masks compared with /proc/self/status (0x prefix
#                         and leading zeros optional: 400 = 0000000000000400)
#     EXPECT_NONEWPRIVS   0 or 1, the NoNewPrivs line
#     EXPECT_UID          real, effective, saved and fs uid
#     EXPECT_GID          real, effective, saved and fs gid
#     EXPECT_GROUPS       supplementary groups (numbers, any order; "none" = none)
#     EXPECT_HOME         the HOME variable
#     EXPECT_BIND_PORT    a TCP port this process can listen on (busybox nc -l,
#                         or httpd); checked in /proc/net/tcp{,6}, then stopped
#     EXPECT_BIND_DENIED  a TCP port this process must NOT be able to listen on
#     EXPECT_PID1_CAPEFF EXPECT_PID1_CAPPRM EXPECT_PID1_CAPBND EXPECT_PID1_NONEWPRIVS
#                         the same lines of /proc/1/status: what capinit kept
#                         for itself once the application runs
#   SELFTEST_ORPHANS      how many orphans of each kind to make (default 3)
#
# An empty variable counts as unset (so `docker run -e EXPECT_X=` skips a check).
#
# Output: one line per check, "ok - ..." or "not ok - ...", then a TAP plan.
# Exit status: 0 when every check passed, 1 otherwise.
#
# Plain POSIX sh for busybox: applets are called by name; when one is not on
# PATH (an image without applet links), /bin/busybox APPLET is used instead.
#
# Word splitting of unquoted variables is deliberate throughout.
# shellcheck disable=SC2086,SC2217

BB=${SELFTEST_BUSYBOX:-/bin/busybox}
for _t in sh cat tr sort sleep nc httpd; do
	if ! command -v "$_t" >/dev/null 2>&1 && [ -x "$BB" ]; then
		eval "$_t() { \"\$BB\" $_t \"\$@\"; }"
	fi
done

n=0
failed=0
ok() { n=$((n + 1)); echo "ok - $*"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok - $*"; }
check() { # check DESCRIPTION COMMAND...
	_d=$1; shift
	if "$@"; then ok "$_d"; else notok "$_d"; fi
}

nl='
'

# hex mask without 0x and leading zeros, lower case: 0x0400 -> 400, 0 -> 0
normhex() {
	_v=${1#0x}; _v=${_v#0X}
	_v=$(echo "$_v" | tr 'ABCDEF' 'abcdef')
	while [ "${_v#0}" != "$_v" ]; do _v=${_v#0}; done
	echo "${_v:-0}"
}

# sorted, space-separated list of numbers
sortnums() {
	set -- $1
	[ $# -eq 0 ] && return 0
	printf '%s\n' "$@" | sort -n | tr '\n' ' ' | {
		read -r _l
		echo "$_l"
	}
}

# process state letter and parent pid of PID (empty when there is no such pid)
proc_state() { # proc_state PID -> "S PPID"
	_line=
	{ read -r _line; } 2>/dev/null <"/proc/$1/stat" || return 1
	# "pid (comm) S ppid ...": comm can hold spaces and ')', so cut at the last ') '
	_rest=${_line##*) }
	set -- $_rest
	echo "$1 $2"
}

# ---- our own status, read once by this shell --------------------------------
s_capeff='' s_capprm='' s_capbnd='' s_capinh='' s_capamb='' s_nnp='' s_uid='' s_gid='' s_groups='' s_ppid=''
while read -r _k _v; do
	case $_k in
	CapEff:) s_capeff=$_v ;;
	CapPrm:) s_capprm=$_v ;;
	CapBnd:) s_capbnd=$_v ;;
	CapInh:) s_capinh=$_v ;;
	CapAmb:) s_capamb=$_v ;;
	NoNewPrivs:) s_nnp=$_v ;;
	Uid:) s_uid=$_v ;;
	Gid:) s_gid=$_v ;;
	Groups:) s_groups=$_v ;;
	PPid:) s_ppid=$_v ;;
	esac
done </proc/self/status
# Uid/Gid/Groups are tab-separated: make them single-space lists
set -- $s_uid; s_uid="$*"
set -- $s_gid; s_gid="$*"
set -- $s_groups; s_groups="$*"

echo "# selftest: pid $$, ppid $s_ppid, uid [$s_uid], gid [$s_gid], groups [$s_groups]"
echo "# selftest: CapInh $s_capinh CapPrm $s_capprm CapEff $s_capeff CapBnd $s_capbnd CapAmb $s_capamb NoNewPrivs $s_nnp"

# ---- at least one expectation ------------------------------------------------
_any=
for _e in "$EXPECT_CAPEFF" "$EXPECT_CAPPRM" "$EXPECT_CAPBND" "$EXPECT_CAPINH" \
	"$EXPECT_CAPAMB" "$EXPECT_NONEWPRIVS" "$EXPECT_UID" "$EXPECT_GID" "$EXPECT_GROUPS" \
	"$EXPECT_HOME" "$EXPECT_BIND_PORT" "$EXPECT_BIND_DENIED" \
	"$EXPECT_PID1_CAPEFF" "$EXPECT_PID1_CAPPRM" "$EXPECT_PID1_CAPBND" \
	"$EXPECT_PID1_NONEWPRIVS"; do
	[ -n "$_e" ] && _any=1
done
if [ -z "$_any" ]; then
	notok "at least one EXPECT_* variable is set (none is: nothing to compare with)"
fi

# ---- PID 1 ---------------------------------------------------------------------
want_pid1=${EXPECT_PID1:-capinit}
want_pid1=${want_pid1##*/}
pid1_argv=$(tr '\0' '\n' </proc/1/cmdline 2>/dev/null)
pid1_argv0=${pid1_argv%%"$nl"*}
check "PID 1 is $want_pid1 (/proc/1/cmdline argv[0] = '$pid1_argv0')" \
	[ "${pid1_argv0##*/}" = "$want_pid1" ]
check "this test is not PID 1 (pid $$)" [ "$$" != 1 ]
check "this test is a direct child of PID 1 (PPid $s_ppid)" [ "$s_ppid" = 1 ]

# ---- environment ---------------------------------------------------------------
# /proc/$$/environ is the environment capinit passed to execve.
_leak=$(tr '\0' '\n' </proc/$$/environ | {
	_l=
	while IFS= read -r _x; do
		case $_x in CAPINIT_*) _l="$_l ${_x%%=*}" ;; esac
	done
	echo "$_l"
})
check "no CAPINIT_* variable in the environment${_leak:+ (found:$_leak)}" [ -z "$_leak" ]

if [ -n "${EXPECT_HOME}" ]; then
	check "HOME = $EXPECT_HOME (is '${HOME}')" [ "${HOME}" = "$EXPECT_HOME" ]
fi

# ---- capabilities and no_new_privs ---------------------------------------------
capcheck() { # capcheck NAME SEEN EXPECTED
	if [ "$(normhex "$2")" = "$(normhex "$3")" ]; then
		ok "$1 = $2 (expected $3)"
	else
		notok "$1 = $2 (expected $3)"
	fi
}
[ -n "$EXPECT_CAPEFF" ] && capcheck CapEff "$s_capeff" "$EXPECT_CAPEFF"
[ -n "$EXPECT_CAPPRM" ] && capcheck CapPrm "$s_capprm" "$EXPECT_CAPPRM"
[ -n "$EXPECT_CAPBND" ] && capcheck CapBnd "$s_capbnd" "$EXPECT_CAPBND"
[ -n "$EXPECT_CAPINH" ] && capcheck CapInh "$s_capinh" "$EXPECT_CAPINH"
[ -n "$EXPECT_CAPAMB" ] && capcheck CapAmb "$s_capamb" "$EXPECT_CAPAMB"
if [ -n "$EXPECT_NONEWPRIVS" ]; then
	check "NoNewPrivs = $s_nnp (expected $EXPECT_NONEWPRIVS)" [ "$s_nnp" = "$EXPECT_NONEWPRIVS" ]
fi

# ---- user and groups ---------------------------------------------------------
allequal() { # allequal WANT "a b c d": every word equals WANT
	_w=$1
	set -- $2
	[ $# -gt 0 ] || return 1
	for _x in "$@"; do [ "$_x" = "$_w" ] || return 1; done
}
if [ -n "$EXPECT_UID" ]; then
	check "uid (real effective saved fs) = [$s_uid] (expected $EXPECT_UID)" allequal "$EXPECT_UID" "$s_uid"
fi
if [ -n "$EXPECT_GID" ]; then
	check "gid (real effective saved fs) = [$s_gid] (expected $EXPECT_GID)" allequal "$EXPECT_GID" "$s_gid"
fi
if [ -n "$EXPECT_GROUPS" ]; then
	_seen=$(sortnums "$s_groups")
	_want=$EXPECT_GROUPS
	[ "$_want" = none ] && _want=''
	_want=$(sortnums "$_want")
	check "supplementary groups = [$_seen] (expected [$_want])" [ "$_seen" = "$_want" ]
fi

# ---- orphans and zombies -----------------------------------------------------
norph=${SELFTEST_ORPHANS:-3}

# Kind 1: live orphans. The command substitution's shell starts them and exits
# at once, so they are re-parented to PID 1 while still running; when they end,
# only PID 1 can reap them. They sleep far longer than any stall of this
# script on a loaded machine, so they are certainly alive when looked at, and
# are then ended with SIGTERM (which does not reap them: that is PID 1's job).
live=$(
	_i=0
	while [ "$_i" -lt "$norph" ]; do
		sleep 120 </dev/null >/dev/null 2>&1 &
		echo $!
		_i=$((_i + 1))
	done
)
reparented=0 notreparented=''
for _p in $live; do
	_st=$(proc_state "$_p") || continue # already gone: cannot tell
	set -- $_st
	if [ "$2" = 1 ]; then
		reparented=$((reparented + 1))
	else
		notreparented="$notreparented $_p(ppid $2)"
	fi
done
_good=
[ -z "$notreparented" ] && [ "$reparented" -gt 0 ] && _good=1
check "live orphans re-parented to PID 1 ($reparented of $norph${notreparented:+; not:$notreparented})" \
	[ -n "$_good" ]
# shellcheck disable=SC2086 # a list of pids
kill $live 2>/dev/null

# Kind 2: zombies inherited. A shell starts short-lived children and execs a
# program that never waits, so they turn into zombies of that program; when
# it exits they are handed to PID 1 already dead.
inherited=$(sh -c '
	if command -v sleep >/dev/null 2>&1; then s=sleep; else s="$2 sleep"; fi
	i=0
	while [ "$i" -lt "$1" ]; do
		$s 0 </dev/null >/dev/null 2>&1 &
		echo $!
		i=$((i + 1))
	done
	exec $s 0.5
' sh "$norph" "$BB")

# Wait (up to 5 s) until every one of them is gone from /proc.
_tries=0
while :; do
	left=
	for _p in $live $inherited; do
		if _st=$(proc_state "$_p"); then left="$left $_p($_st)"; fi
	done
	[ -z "$left" ] && break
	_tries=$((_tries + 1))
	[ "$_tries" -ge 50 ] && break
	sleep 0.1
done
set -- $live $inherited
check "orphans reaped by PID 1 ($# made${left:+; still there:$left})" [ -z "$left" ]

# No zombie anywhere in the container (our own background children are waited).
wait
zombies=
for _f in /proc/[0-9]*/stat; do
	_p=${_f#/proc/}; _p=${_p%/stat}
	_st=$(proc_state "$_p") || continue
	set -- $_st
	[ "$1" = Z ] && zombies="$zombies $_p(ppid $2)"
done
check "no zombie process in the container${zombies:+ (found:$zombies)}" [ -z "$zombies" ]

# ---- what PID 1 kept for itself ------------------------------------------------
# Read late (after the orphan checks), when capinit has long finished starting us.
if [ -n "$EXPECT_PID1_CAPEFF$EXPECT_PID1_CAPPRM$EXPECT_PID1_CAPBND$EXPECT_PID1_NONEWPRIVS" ]; then
	p1_capeff='' p1_capprm='' p1_capbnd='' p1_nnp=''
	while read -r _k _v; do
		case $_k in
		CapEff:) p1_capeff=$_v ;;
		CapPrm:) p1_capprm=$_v ;;
		CapBnd:) p1_capbnd=$_v ;;
		NoNewPrivs:) p1_nnp=$_v ;;
		esac
	done </proc/1/status
	[ -n "$EXPECT_PID1_CAPEFF" ] && capcheck "PID 1 CapEff" "$p1_capeff" "$EXPECT_PID1_CAPEFF"
	[ -n "$EXPECT_PID1_CAPPRM" ] && capcheck "PID 1 CapPrm" "$p1_capprm" "$EXPECT_PID1_CAPPRM"
	[ -n "$EXPECT_PID1_CAPBND" ] && capcheck "PID 1 CapBnd" "$p1_capbnd" "$EXPECT_PID1_CAPBND"
	if [ -n "$EXPECT_PID1_NONEWPRIVS" ]; then
		check "PID 1 NoNewPrivs = $p1_nnp (expected $EXPECT_PID1_NONEWPRIVS)" [ "$p1_nnp" = "$EXPECT_PID1_NONEWPRIVS" ]
	fi
fi

# ---- binding a port ------------------------------------------------------------
# listening PORT: is there a TCP socket in state LISTEN (0A) on PORT?
listening() {
	_hp=$(printf '%04X' "$1")
	for _tf in /proc/net/tcp /proc/net/tcp6; do
		[ -r "$_tf" ] || continue
		while read -r _sl _local _remote _state _rest; do
			case $_local in
			*:"$_hp") [ "$_state" = 0A ] && return 0 ;;
			esac
		done <"$_tf"
	done
	return 1
}

# start_listener PORT: start a server on PORT in the background, sets $lpid
start_listener() {
	if command -v nc >/dev/null 2>&1; then
		nc -l -p "$1" </dev/null >/dev/null &
	else
		httpd -f -p "$1" -h / </dev/null >/dev/null &
	fi
	lpid=$!
}

# try_listen PORT TRIES: start a server on PORT and look for its socket up to
# TRIES times, 0.1 s apart (fewer if the server exits first), then stop it;
# sets $_up to 1 when PORT was seen listening, to '' when not
try_listen() {
	start_listener "$1"
	_up='' _tries=0
	while [ "$_tries" -lt "$2" ]; do
		if listening "$1"; then _up=1; break; fi
		kill -0 "$lpid" 2>/dev/null || break
		_tries=$((_tries + 1))
		sleep 0.1
	done
	kill "$lpid" 2>/dev/null
	wait "$lpid" 2>/dev/null
}

if [ -n "$EXPECT_BIND_PORT" ]; then
	port=$EXPECT_BIND_PORT
	if listening "$port"; then
		notok "port $port is free before the test (something already listens)"
	else
		try_listen "$port" 30
		check "can listen on TCP port $port as uid ${s_uid%%[!0-9]*}" [ -n "$_up" ]
	fi
fi

if [ -n "$EXPECT_BIND_DENIED" ]; then
	port=$EXPECT_BIND_DENIED
	# the server's complaint (permission denied) is expected: hide it
	try_listen "$port" 10 2>/dev/null
	check "cannot listen on TCP port $port as uid ${s_uid%%[!0-9]*}" [ -z "$_up" ]
fi

echo "1..$n"
echo "# selftest: $n checks, $failed failed"
[ "$failed" -eq 0 ]
