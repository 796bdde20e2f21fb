/* The probe's search: which capability set to try next, given the outcomes
 * so far. Pure: no system call; the caller runs each trial and reports
 * whether COMMAND worked.
 *
 * The search keeps K (members found needed) and U (undecided candidates, in
 * removal order, most powerful first), with K ∪ U known to work. Each round
 * tries K alone; if that fails, it bisects for the longest prefix P of U such
 * that K ∪ (U − P) still works: the candidate right after P is needed (K ∪
 * (U − P) works, without it it fails). Rounds cost 1 + ceil(log2 |U|) trials,
 * so k needed out of n cost about k·(1 + log2 n) + 2.
 *
 * A member found in an earlier round is shown necessary by a failed trial of
 * a superset of result − member, which proves result − member fails only for
 * an app that does not work with less after failing with more. The confirm
 * phase therefore runs result − member for each member not yet shown so by
 * an exact trial (at most k − 1 trials, none for k = 1); when one works, the
 * app is non-monotone there and the search restarts inside that smaller set.
 * Then the result is run `repeat` more times; a failure there redoes the
 * whole search in strict mode (a pass counts only when a second run of the
 * same set passes too), and a strict result that still fails is unstable. */
#ifndef INIT_PROBE_SEARCH_H
#define INIT_PROBE_SEARCH_H

#include <stdbool.h>
#include <stddef.h>

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
	PROBE_PH_ROUND,
	PROBE_PH_BISECT,
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
	capmask keep;     /* K */
	int u[64];        /* U, in removal order */
	int ulen;
	int lo, hi;       /* bisection over prefix lengths of U */
	capmask result;
	unsigned repeats_passed;
	capmask pending;  /* the set handed out by the last PROBE_TRY */
	enum probe_kind pending_kind;

	struct probe_known known[PROBE_MAX_KNOWN];
	size_t nknown;

	unsigned trials[PROBE_KIND_COUNT]; /* per probe_kind, every run */
	unsigned total;
	unsigned restarts;  /* confirm phase found result − e working */
	bool redone;        /* a repeat failed: the search was redone strictly */
	const char *why;    /* PROBE_NONE / PROBE_UNSTABLE */
};

/* The removal order over the capability numbers 0..63: most powerful first.
 * Bits without a libcap name come first (nothing is known about them). */
const int *probe_removal_order(size_t *count);

/* candidates: the set the app could be given; repeat: re-runs of the result
 * (at least 1). */
void probe_search_init(struct probe_search *s, capmask candidates, unsigned repeat);

/* PROBE_TRY with *next and *kind set, or the end of the search. */
enum probe_step probe_search_next(struct probe_search *s, capmask *next, enum probe_kind *kind);

/* The outcome of the trial last handed out. */
void probe_search_record(struct probe_search *s, bool works);

#endif
