/* The probe's search: which capability set to try next, given the outcomes
 * so far. Pure: no system call; the caller runs each trial and reports
 * whether COMMAND worked.
 *
 * Trial 1 grants every candidate; if COMMAND fails with all of them, there
 * is nothing to find. From then on the search keeps K (members found
 * needed) and U (the undecided candidates, in removal order, most powerful
 * first), with K ∪ U known to work, and every trial removes a PREFIX of U
 * (a chunk of consecutive candidates): it tries K ∪ (U − U[0..c)).
 *  - It works: the whole chunk is discarded.
 *  - It fails: the chunk holds a needed one, and the search remembers that
 *    ("the first h of U hold a needed one"). Shorter prefixes of it are then
 *    tried (binary splitting) until U[0..t) is removable and U[0..t+1) is
 *    not: U[t] is needed given everything after it, so it joins K and U
 *    keeps what came after it.
 * When U is empty, K is the result, and it was run: the last trial that
 * shrank K ∪ U worked. No outcome is asked twice (a set already run is
 * answered from the record), and a failed chunk is never re-tested whole.
 *
 * The removal-order preference holds because only prefixes are removed: a
 * candidate goes exactly when the app works without it and without what
 * went before it, with every later candidate still there, which is the
 * result of dropping candidates one at a time in removal order. Of two
 * capabilities either of which suffices (DAC_OVERRIDE, DAC_READ_SEARCH),
 * the earlier, broader one goes while the later is still there, and the
 * later is then the one that stays.
 *
 * How long a chunk: (1) a promise, at most probe_search_bound(k, n) search
 * trials for k needed of n, every k and every position of the needed ones.
 * For its n the search computes once, by backward induction over the
 * states (|U|, how much of U is known to hold a needed one, members found),
 * how many trials may have been spent on reaching a state so that every k
 * can still end within its bound; a chunk is tried only if both of its
 * outcomes lead to states that allow the trials spent by then. (2) Among
 * those chunks, the one whose chance of working is nearest one half, each
 * candidate taken as needed independently: a fifth for the container
 * engines' default capabilities (the ones images are written to need), a
 * sixtieth for the others. So on a host's 41 candidates one trial crosses a
 * stretch of rarely needed ones, and among Docker's 14 chunks are about
 * three long. The promise does not depend on that guess; only the average
 * does.
 *
 * A member found early was shown necessary by a failed trial of a superset
 * of result − member, which proves result − member fails only for an app
 * that does not work with less after failing with more. The confirm phase
 * therefore runs result − member for each member not yet shown so by an
 * exact trial (at most k trials; none for k = 1, whose trial of ∅ is exact);
 * when one works, the app is non-monotone there and the search restarts
 * inside that smaller set. Then the result is run `repeat` more times; a
 * failure there redoes the whole search in strict mode (a pass counts only
 * when a second run of the same set passes too), and a strict result that
 * still fails is unstable. */
#ifndef INIT_PROBE_SEARCH_H
#define INIT_PROBE_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capset.h"
#include "probe_trial.h"

#define PROBE_MAX_KNOWN 512
/* A guard against a pathological app: far above what any search needs
 * (64 candidates in strict mode with restarts stay well below). */
#define PROBE_MAX_TRIALS 2000

enum probe_step {
	PROBE_TRY,      /* run the set in *next and call probe_search_record */
	PROBE_FOUND,    /* s->result is the answer */
	PROBE_NONE,     /* COMMAND does not work even with every candidate */
	PROBE_UNSTABLE, /* no set held: s->why says what was seen */
};

enum probe_phase {
	PROBE_PH_BASELINE,
	PROBE_PH_CHUNK,
	PROBE_PH_CONFIRM,
	PROBE_PH_REPEAT,
	PROBE_PH_DONE,
};

struct probe_known {
	capmask set;
	bool works;
};

struct probe_search {
	int n;
	int order[64]; /* candidate bits, most powerful first */
	capmask candidates;
	unsigned repeat;

	enum probe_phase phase;
	enum probe_step done_step;
	bool strict;      /* redoing: a pass needs a second passing run */
	bool second_run;  /* strict: the pending set passed once */

	/* This pass: the candidates it searches (all of them, or the smaller
	 * set a confirm trial showed working), in removal order. */
	int pass[64];
	int pass_n;
	capmask rest[65];       /* pass[i..pass_n) as a set */
	double none_before[65]; /* the chance that none of pass[0..i) is needed */
	capmask keep;     /* K */
	int off;          /* U = pass[off..pass_n) */
	int hold;         /* U[0..hold) holds a needed one (0: nothing known) */
	int found;        /* members taken into K in this pass */
	unsigned spent;   /* outcomes this pass has used, its known-working start as 1 */
	int chunk;        /* the prefix length the pending search trial removes */

	capmask result;
	unsigned repeats_passed;
	capmask pending;  /* the set handed out by the last PROBE_TRY */
	enum probe_kind pending_kind;

	struct probe_known known[PROBE_MAX_KNOWN];
	size_t nknown;
	uint64_t known_filter[4]; /* which sets may be in known[] */

	unsigned trials[PROBE_KIND_COUNT]; /* per probe_kind, every run */
	unsigned total;
	unsigned restarts;  /* confirm phase found result − e working */
	bool redone;        /* a repeat failed: the search was redone strictly */
	const char *why;    /* PROBE_NONE / PROBE_UNSTABLE */
};

/* The removal order over the capability numbers 0..63: most powerful first.
 * Bits without a libcap name come first (nothing is known about them). */
const int *probe_removal_order(size_t *count);

/* The promise: the most search trials (trial 1 included; confirming trials
 * and repeats not) for k needed out of n candidates, for a search whose
 * outcomes agree with each other (an app that needs what it needs, every
 * run): 2 + 2k + ceil(log2 C(n, k)), one less for k = 1 and k = 2. So 2 for
 * none, 7 for one of 14, 9 for one of 41, 12 for two of 14. 0 for k > n or
 * n outside 0..64. */
unsigned probe_search_bound(int k, int n);

/* Whether the search over n candidates keeps that promise for every k and
 * every position, as its backward induction finds (true for 0..64: the unit
 * tests check; false outside). */
bool probe_search_promise_holds(int n);

/* candidates: the set the app could be given; repeat: re-runs of the result
 * (at least 1). */
void probe_search_init(struct probe_search *s, capmask candidates, unsigned repeat);

/* PROBE_TRY with *next and *kind set, or the end of the search. */
enum probe_step probe_search_next(struct probe_search *s, capmask *next, enum probe_kind *kind);

/* The outcome of the trial last handed out. */
void probe_search_record(struct probe_search *s, bool works);

#endif
