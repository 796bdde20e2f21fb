#include "probe_search.h"

#include <linux/capability.h>
#include <string.h>

/* The order in which candidates are tried for removal, most powerful first.
 * The search removes the longest prefix it can, so of two capabilities that
 * each suffice for an operation the one later in this list is kept: every
 * pair where one covers the other's checks has the broader one first
 * (SYS_ADMIN before BPF, PERFMON, CHECKPOINT_RESTORE, SYSLOG; DAC_OVERRIDE
 * before DAC_READ_SEARCH; NET_ADMIN before NET_RAW; FOWNER before FSETID;
 * AUDIT_CONTROL before AUDIT_READ and AUDIT_WRITE; MAC_ADMIN before
 * MAC_OVERRIDE). The tiers:
 *  1. equivalent to root, or a short step to it: SYS_ADMIN (the catch-all),
 *     DAC_OVERRIDE (any file, any mode), NET_ADMIN, SYS_PTRACE (other
 *     processes' memory), SYS_MODULE and SYS_RAWIO (the kernel itself),
 *     SETUID/SETGID (any identity), SETFCAP/SETPCAP (capabilities for
 *     programs), MAC_ADMIN/MAC_OVERRIDE, BPF, PERFMON, SYS_BOOT;
 *  2. broad over files: FOWNER, DAC_READ_SEARCH (read any file), CHOWN,
 *     FSETID, LINUX_IMMUTABLE, MKNOD (device nodes);
 *  3. system-wide settings: SYS_TIME, SYS_RESOURCE, AUDIT_CONTROL,
 *     SYS_PACCT, SYS_TTY_CONFIG, SYSLOG, CHECKPOINT_RESTORE, SYS_CHROOT,
 *     IPC_OWNER, SYS_NICE, WAKE_ALARM, BLOCK_SUSPEND, IPC_LOCK, LEASE,
 *     AUDIT_READ;
 *  4. narrow, what small apps typically need: KILL, NET_RAW, NET_BROADCAST,
 *     AUDIT_WRITE, NET_BIND_SERVICE (last: a port below 1024 is the most
 *     common need and the least dangerous grant). */
static const int named_order[] = {
	CAP_SYS_ADMIN, CAP_DAC_OVERRIDE, CAP_NET_ADMIN, CAP_SYS_PTRACE, CAP_SYS_MODULE,
	CAP_SYS_RAWIO, CAP_SETUID, CAP_SETGID, CAP_SETFCAP, CAP_SETPCAP, CAP_MAC_ADMIN,
	CAP_MAC_OVERRIDE, CAP_BPF, CAP_PERFMON, CAP_SYS_BOOT,
	CAP_FOWNER, CAP_DAC_READ_SEARCH, CAP_CHOWN, CAP_FSETID, CAP_LINUX_IMMUTABLE, CAP_MKNOD,
	CAP_SYS_TIME, CAP_SYS_RESOURCE, CAP_AUDIT_CONTROL, CAP_SYS_PACCT, CAP_SYS_TTY_CONFIG,
	CAP_SYSLOG, CAP_CHECKPOINT_RESTORE, CAP_SYS_CHROOT, CAP_IPC_OWNER, CAP_SYS_NICE,
	CAP_WAKE_ALARM, CAP_BLOCK_SUSPEND, CAP_IPC_LOCK, CAP_LEASE, CAP_AUDIT_READ,
	CAP_KILL, CAP_NET_RAW, CAP_NET_BROADCAST, CAP_AUDIT_WRITE, CAP_NET_BIND_SERVICE,
};

#define NAMED_COUNT (sizeof named_order / sizeof named_order[0])

const int *probe_removal_order(size_t *count)
{
	/* Bits 0..63 exactly once: the ones above the named table first. */
	static int order[64];
	static size_t n;
	if (n == 0) {
		bool named[64] = {false};
		for (size_t i = 0; i < NAMED_COUNT; i++)
			named[named_order[i]] = true;
		for (int bit = 63; bit >= 0; bit--)
			if (!named[bit])
				order[n++] = bit;
		for (size_t i = 0; i < NAMED_COUNT; i++)
			order[n++] = named_order[i];
	}
	*count = n;
	return order;
}

void probe_search_init(struct probe_search *s, capmask candidates, unsigned repeat)
{
	memset(s, 0, sizeof *s);
	size_t count;
	const int *order = probe_removal_order(&count);
	for (size_t i = 0; i < count; i++)
		if (candidates & CAPMASK_BIT(order[i]))
			s->order[s->n++] = order[i];
	s->candidates = candidates;
	s->repeat = repeat ? repeat : 1;
	s->phase = PROBE_PH_BASELINE;
}

/* ---- outcomes known so far (this pass) ------------------------------------ */

static const struct probe_known *lookup(const struct probe_search *s, capmask set)
{
	for (size_t i = 0; i < s->nknown; i++)
		if (s->known[i].set == set)
			return &s->known[i];
	return NULL;
}

static void remember(struct probe_search *s, capmask set, bool works)
{
	if (lookup(s, set) == NULL && s->nknown < PROBE_MAX_KNOWN)
		s->known[s->nknown++] = (struct probe_known){set, works};
}

/* ---- phases --------------------------------------------------------------- */

static capmask u_suffix(const struct probe_search *s, int from)
{
	capmask m = 0;
	for (int i = from; i < s->ulen; i++)
		m |= CAPMASK_BIT(s->u[i]);
	return m;
}

static void finish(struct probe_search *s, enum probe_step step, const char *why)
{
	s->phase = PROBE_PH_DONE;
	s->done_step = step;
	s->why = why;
}

/* Search inside `within`, known to work: K = ∅, U = within in removal order. */
static void start_rounds(struct probe_search *s, capmask within)
{
	s->keep = 0;
	s->ulen = 0;
	for (int i = 0; i < s->n; i++)
		if (within & CAPMASK_BIT(s->order[i]))
			s->u[s->ulen++] = s->order[i];
	s->phase = PROBE_PH_ROUND;
}

/* U[i] is needed: K ∪ U[i..] works and K ∪ U[i+1..] does not. */
static void take(struct probe_search *s, int i)
{
	s->keep |= CAPMASK_BIT(s->u[i]);
	memmove(s->u, s->u + i + 1, (size_t)(s->ulen - i - 1) * sizeof s->u[0]);
	s->ulen -= i + 1;
	s->phase = PROBE_PH_ROUND;
}

static void restart_search(struct probe_search *s)
{
	s->strict = true;
	s->redone = true;
	s->nknown = 0;
	s->second_run = false;
	s->repeats_passed = 0;
	s->phase = PROBE_PH_BASELINE;
}

/* Apply the outcome for s->pending to the phase it was asked in. */
static void advance(struct probe_search *s, bool works)
{
	switch (s->phase) {
	case PROBE_PH_BASELINE:
		if (!works)
			finish(s, PROBE_NONE, "COMMAND does not work even with every candidate");
		else
			start_rounds(s, s->candidates);
		return;
	case PROBE_PH_ROUND:
		if (works) {
			s->result = s->keep;
			s->phase = PROBE_PH_CONFIRM;
		} else if (s->ulen == 1) {
			take(s, 0);
		} else {
			s->lo = 0;
			s->hi = s->ulen;
			s->phase = PROBE_PH_BISECT;
		}
		return;
	case PROBE_PH_BISECT: {
		int mid = s->lo + (s->hi - s->lo) / 2;
		if (works)
			s->lo = mid;
		else
			s->hi = mid;
		if (s->hi - s->lo == 1)
			take(s, s->lo);
		return;
	}
	case PROBE_PH_CONFIRM:
		if (works) {
			/* result − e works: e is not needed after all (a non-monotone
			 * app, or a flaky one). Search again inside result − e. */
			s->restarts++;
			start_rounds(s, s->pending);
		}
		return; /* a failure confirms one member; the next is picked in next() */
	case PROBE_PH_REPEAT:
		if (works) {
			if (++s->repeats_passed >= s->repeat)
				finish(s, PROBE_FOUND, NULL);
		} else if (!s->strict) {
			restart_search(s);
		} else {
			finish(s, PROBE_UNSTABLE,
			       "the set found failed again when re-run, after a search in which "
			       "every pass was confirmed by a second run");
		}
		return;
	case PROBE_PH_DONE:
		return;
	}
}

/* The set the current phase wants, or false when the phase moved on without
 * needing a trial (then the caller loops). */
static bool want(struct probe_search *s, capmask *set, enum probe_kind *kind)
{
	*kind = PROBE_KIND_SEARCH;
	switch (s->phase) {
	case PROBE_PH_BASELINE:
		*set = s->candidates;
		return true;
	case PROBE_PH_ROUND:
		if (s->ulen == 0) {
			/* K ∪ U = K is known to work. */
			s->result = s->keep;
			s->phase = PROBE_PH_CONFIRM;
			return false;
		}
		*set = s->keep;
		return true;
	case PROBE_PH_BISECT:
		*set = s->keep | u_suffix(s, s->lo + (s->hi - s->lo) / 2);
		return true;
	case PROBE_PH_CONFIRM:
		*kind = PROBE_KIND_CONFIRM;
		for (int bit = 0; bit < 64; bit++) {
			if (!(s->result & CAPMASK_BIT(bit)))
				continue;
			const struct probe_known *k = lookup(s, s->result & ~CAPMASK_BIT(bit));
			if (k && !k->works)
				continue;
			*set = s->result & ~CAPMASK_BIT(bit);
			return true;
		}
		s->phase = PROBE_PH_REPEAT;
		s->repeats_passed = 0;
		return false;
	case PROBE_PH_REPEAT:
		*kind = PROBE_KIND_REPEAT;
		*set = s->result;
		return true;
	case PROBE_PH_DONE:
		return false;
	}
	return false;
}

enum probe_step probe_search_next(struct probe_search *s, capmask *next, enum probe_kind *kind)
{
	for (;;) {
		if (s->phase == PROBE_PH_DONE)
			return s->done_step;
		if (s->total >= PROBE_MAX_TRIALS) {
			finish(s, PROBE_UNSTABLE, "too many trials: the outcomes keep changing");
			return s->done_step;
		}
		capmask set;
		enum probe_kind k;
		if (!want(s, &set, &k))
			continue;
		/* An outcome already seen in this pass is not run again (the
		 * repeats exist precisely to run the same set again). */
		const struct probe_known *seen = k == PROBE_KIND_REPEAT ? NULL : lookup(s, set);
		if (seen) {
			s->pending = set;
			advance(s, seen->works);
			continue;
		}
		s->pending = set;
		s->pending_kind = k;
		*next = set;
		*kind = k;
		return PROBE_TRY;
	}
}

void probe_search_record(struct probe_search *s, bool works)
{
	s->trials[s->pending_kind]++;
	s->total++;
	if (s->pending_kind == PROBE_KIND_REPEAT) {
		advance(s, works);
		return;
	}
	if (s->strict && works && !s->second_run) {
		s->second_run = true; /* ask for the same set once more */
		return;
	}
	s->second_run = false;
	remember(s, s->pending, works);
	advance(s, works);
}
