#include "probe_search.h"

#include <linux/capability.h>
#include <stdint.h>
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

/* The container engines' default set (Docker's 14; Podman's 11 are among
 * them): what images are written to need, so the needed capabilities are
 * far more often among these than among the rest. Only the chunk sizes use
 * this (the chance in `chance_needed`); no bound depends on it. */
static const capmask engine_default =
	CAPMASK_BIT(CAP_CHOWN) | CAPMASK_BIT(CAP_DAC_OVERRIDE) | CAPMASK_BIT(CAP_FSETID) |
	CAPMASK_BIT(CAP_FOWNER) | CAPMASK_BIT(CAP_MKNOD) | CAPMASK_BIT(CAP_NET_RAW) |
	CAPMASK_BIT(CAP_SETGID) | CAPMASK_BIT(CAP_SETUID) | CAPMASK_BIT(CAP_SETFCAP) |
	CAPMASK_BIT(CAP_SETPCAP) | CAPMASK_BIT(CAP_NET_BIND_SERVICE) |
	CAPMASK_BIT(CAP_SYS_CHROOT) | CAPMASK_BIT(CAP_KILL) | CAPMASK_BIT(CAP_AUDIT_WRITE);

/* The chance that the app needs `bit`, for choosing chunks: an app needs
 * two or three of the defaults, and one of the others only now and then
 * (tuned on the unit tests' simulated apps and nginx's and sshd's sets). */
static double chance_needed(int bit)
{
	return (engine_default & CAPMASK_BIT(bit)) ? 1.0 / 5 : 1.0 / 60;
}

/* ---- the promise ---------------------------------------------------------- */

static unsigned ceil_log2_u64(uint64_t x)
{
	unsigned r = 0;
	while (r < 64 && ((uint64_t)1 << r) < x)
		r++;
	return r;
}

unsigned probe_search_bound(int k, int n)
{
	if (n < 0 || n > 64 || k < 0 || k > n)
		return 0;
	/* C(n, k) exactly (C(64, 32) < 2^61): C(n, i + 1) = C(n, i)·a/b with
	 * a = n − i, b = i + 1, taken as (c/b)·a + (c mod b)·a/b, both exact
	 * (the whole is), so nothing overflows on the way. */
	uint64_t c = 1;
	for (uint64_t i = 0; i < (uint64_t)k; i++) {
		uint64_t a = (uint64_t)n - i, b = i + 1;
		c = c / b * a + c % b * a / b;
	}
	/* Trial 1 and the trial that shows the rest unneeded (2), the
	 * information in which k of n (ceil log2 C(n, k)), and per member one
	 * failed chunk and the rounding of its split (2k). For k = 1, 2 the
	 * backward induction reaches one less; from k = 3 on it needs the 2 to
	 * hold for every n up to 64 (n = 16 and 32 are the tight ones). */
	return 2 + 2 * (unsigned)k + ceil_log2_u64(c) - (k == 1 || k == 2);
}

/* allow: for the states of a search over n candidates, the most trials that
 * may have been spent on reaching the state so that the search can still
 * end within its bound for every k consistent with it. A state is (m, h, f):
 * m = |U|, U[0..h) known to hold a needed one (h = 0: nothing known; h = 1:
 * U[0] is needed, taken without a trial), f members found. Trying chunk c
 * costs one trial and leads to (m − c, h − c or 0, f) if it works and to
 * (m, c, f) if it fails; with m = 0, k = f and the bound is B(f, n).
 * Computed once per n and kept (a memo: the tables depend on n only), so
 * the struct stays a plain value and a search costs no table work after
 * its first pass. 47905 states for n = 64; values are at most B(k, 64) ≤ 148,
 * and all values below 1 mean the same (no promise left), stored as 0. */
#define ALLOW_STATES 47905
static struct {
	int n;     /* the table's n */
	bool made; /* zero-initialized (in .bss, not in the binary) until made */
	int base[65];
	uint8_t a[ALLOW_STATES];
} allow;

static size_t allow_at(int m, int h, int f)
{
	return (size_t)allow.base[m] + (size_t)h * (size_t)(allow.n - m + 1) + (size_t)f;
}

static int allowed(int m, int h, int f)
{
	return allow.a[allow_at(m, h, f)];
}

/* The allowance of trying chunk c in state (m, h, f). */
static int chunk_allowance(int m, int h, int f, int c)
{
	int works = allowed(m - c, h ? h - c : 0, f), fails = allowed(m, c, f);
	return (works < fails ? works : fails) - 1;
}

static void allow_compute(int n)
{
	if (allow.made && allow.n == n)
		return;
	allow.made = true;
	allow.n = n;
	size_t at = 0;
	for (int m = 0; m <= n; m++) {
		allow.base[m] = (int)at;
		at += (size_t)(m + 1) * (size_t)(n - m + 1);
	}
	for (int m = 0; m <= n; m++) {
		for (int f = 0; f + m <= n; f++) {
			if (m == 0) {
				allow.a[allow_at(0, 0, f)] = (uint8_t)probe_search_bound(f, n);
				continue;
			}
			allow.a[allow_at(m, 1, f)] = (uint8_t)allowed(m - 1, 0, f + 1);
			/* h from 2 up: (m, h, f) needs (m, c, f) for c < h; then h = 0,
			 * whose failing chunks lead to (m, c, f) for c ≤ m. */
			for (int h = 2; h <= m + 1; h++) {
				int hh = h <= m ? h : 0, best = 0;
				for (int c = 1; c <= (hh ? hh - 1 : m); c++) {
					int v = chunk_allowance(m, hh, f, c);
					best = v > best ? v : best;
				}
				allow.a[allow_at(m, hh, f)] = (uint8_t)best;
			}
		}
	}
}

bool probe_search_promise_holds(int n)
{
	if (n < 0 || n > 64)
		return false;
	allow_compute(n);
	return allowed(n, 0, 0) >= 1; /* trial 1 spent, every k still within */
}

/* ---- this pass ------------------------------------------------------------ */

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

/* One bit of a 256-bit filter per set: a clear bit means the set was not
 * run, the common answer, given without reading the record. */
static unsigned known_slot(capmask set)
{
	return (unsigned)((set * 0x9e3779b97f4a7c15u) >> 56);
}

static const struct probe_known *lookup(const struct probe_search *s, capmask set)
{
	unsigned slot = known_slot(set);
	if (!(s->known_filter[slot / 64] & ((uint64_t)1 << (slot % 64))))
		return NULL;
	for (size_t i = 0; i < s->nknown; i++)
		if (s->known[i].set == set)
			return &s->known[i];
	return NULL;
}

/* Only sets that lookup() did not find are handed out, so `set` is new. */
static void remember(struct probe_search *s, capmask set, bool works)
{
	if (s->nknown == PROBE_MAX_KNOWN)
		return;
	s->known[s->nknown++] = (struct probe_known){set, works};
	unsigned slot = known_slot(set);
	s->known_filter[slot / 64] |= (uint64_t)1 << (slot % 64);
}

static void forget_all(struct probe_search *s)
{
	s->nknown = 0;
	memset(s->known_filter, 0, sizeof s->known_filter);
}

/* ---- phases --------------------------------------------------------------- */

static void finish(struct probe_search *s, enum probe_step step, const char *why)
{
	s->phase = PROBE_PH_DONE;
	s->done_step = step;
	s->why = why;
}

/* Search inside `within`, known to work: K = ∅, U = within in removal order. */
static void start_pass(struct probe_search *s, capmask within)
{
	s->pass_n = 0;
	s->none_before[0] = 1.0;
	for (int i = 0; i < s->n; i++) {
		if (!(within & CAPMASK_BIT(s->order[i])))
			continue;
		s->pass[s->pass_n] = s->order[i];
		s->none_before[s->pass_n + 1] =
			s->none_before[s->pass_n] * (1.0 - chance_needed(s->order[i]));
		s->pass_n++;
	}
	s->rest[s->pass_n] = 0;
	for (int i = s->pass_n - 1; i >= 0; i--)
		s->rest[i] = s->rest[i + 1] | CAPMASK_BIT(s->pass[i]);
	s->keep = 0;
	s->off = 0;
	s->hold = 0;
	s->found = 0;
	s->spent = 1;
	allow_compute(s->pass_n);
	s->phase = PROBE_PH_CHUNK;
}

/* The chance that chunk U[0..c) holds no needed one, given what is known:
 * p[c] / p[0] with nothing known, (p[c] − p[h]) / (p[0] − p[h]) when U[0..h)
 * holds a needed one (p[i]: none of U[0..i) needed). */
static double chance_works(const struct probe_search *s, int c)
{
	const double *p = s->none_before + s->off;
	if (s->hold == 0)
		return p[c] / p[0];
	return (p[c] - p[s->hold]) / (p[0] - p[s->hold]);
}

/* The longest chunk no longer than `last` whose chance of working is at
 * least one half (0: none): the chance falls as the chunk grows. */
static int half_chunk(const struct probe_search *s, int last)
{
	const double *p = s->none_before + s->off;
	double least = s->hold ? p[s->hold] : 0.0, half = least + (p[0] - least) / 2;
	int lo = 1, hi = last;
	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;
		if (p[mid] >= half)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return hi;
}

static double distance_from_half(double p)
{
	return p > 0.5 ? p - 0.5 : 0.5 - p;
}

/* The chunk to try next: among those that keep the promise (both outcomes
 * leave an allowance that covers the trials spent), the one whose chance of
 * working is nearest one half, the longer one on a tie. An app whose
 * outcomes broke the promise already (non-monotone, flaky in strict mode)
 * gets the chunks with the largest allowance left. */
static int next_chunk(const struct probe_search *s)
{
	allow_compute(s->pass_n);
	int m = s->pass_n - s->off, h = s->hold, f = s->found;
	int last = h ? h - 1 : m;
	int need = (int)(s->spent < 255 ? s->spent : 255);
	/* Nearest one half: the longest chunk at or above it, or the next. */
	int cross = half_chunk(s, last);
	for (;;) {
		int below = cross, above = cross + 1;
		while (below >= 1 && chunk_allowance(m, h, f, below) < need)
			below--;
		while (above <= last && chunk_allowance(m, h, f, above) < need)
			above++;
		if (below >= 1 && above <= last)
			return distance_from_half(chance_works(s, below)) <
					       distance_from_half(chance_works(s, above))
				       ? below
				       : above;
		if (above <= last)
			return above;
		if (below >= 1)
			return below;
		need--; /* no chunk keeps the promise: take the best left */
	}
}

static void restart_search(struct probe_search *s)
{
	s->strict = true;
	s->redone = true;
	forget_all(s);
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
			start_pass(s, s->candidates);
		return;
	case PROBE_PH_CHUNK:
		if (works) {
			s->off += s->chunk; /* the whole chunk goes */
			s->hold = s->hold ? s->hold - s->chunk : 0;
		} else {
			s->hold = s->chunk; /* it holds a needed one */
		}
		return;
	case PROBE_PH_CONFIRM:
		if (works) {
			/* result − e works: e is not needed after all (a non-monotone
			 * app, or a flaky one). Search again inside result − e. */
			s->restarts++;
			start_pass(s, s->pending);
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
	case PROBE_PH_CHUNK:
		if (s->off == s->pass_n) {
			/* U is empty: K ∪ U = K is known to work. */
			s->result = s->keep;
			s->phase = PROBE_PH_CONFIRM;
			return false;
		}
		if (s->hold == 1) {
			/* K ∪ U works and K ∪ U − U[0] does not: U[0] is needed. */
			s->keep |= CAPMASK_BIT(s->pass[s->off]);
			s->off++;
			s->found++;
			s->hold = 0;
			return false;
		}
		s->chunk = next_chunk(s);
		*set = s->keep | s->rest[s->off + s->chunk];
		return true;
	case PROBE_PH_CONFIRM:
		*kind = PROBE_KIND_CONFIRM;
		for (capmask left = s->result; left; left &= left - 1) {
			capmask without = s->result & ~(left & -left);
			const struct probe_known *k = lookup(s, without);
			if (k && !k->works)
				continue;
			*set = without;
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
	if (s->phase == PROBE_PH_CHUNK)
		s->spent++;
	advance(s, works);
}
