/* Simulated apps for the probe's search, and the loop that runs a search
 * against one: shared by test_probe_search.c (under the sanitizers) and
 * sweep_probe_search.c (the exhaustive sweeps, optimized). */
#ifndef CAPINIT_PROBE_SIM_H
#define CAPINIT_PROBE_SIM_H

#include <linux/capability.h>
#include <stdint.h>
#include <stdio.h>

#include "probe_search.h"

#define B(c) CAPMASK_BIT(c)

static const capmask docker_default =
	B(CAP_CHOWN) | B(CAP_DAC_OVERRIDE) | B(CAP_FSETID) | B(CAP_FOWNER) | B(CAP_MKNOD) |
	B(CAP_NET_RAW) | B(CAP_SETGID) | B(CAP_SETUID) | B(CAP_SETFCAP) | B(CAP_SETPCAP) |
	B(CAP_NET_BIND_SERVICE) | B(CAP_SYS_CHROOT) | B(CAP_KILL) | B(CAP_AUDIT_WRITE);

/* A host's bounding set as root: every capability 0..40. */
static const capmask all41 = ((capmask)1 << 41) - 1;

/* A simulated app: does it work with `set`? `calls` counts its runs. */
struct app {
	bool (*works)(struct app *a, capmask set);
	capmask need;      /* every one of these */
	capmask either;    /* at least one of these (when not 0) */
	capmask flaky;     /* absence noticed only on odd-numbered runs */
	unsigned calls;
	uint8_t table[32]; /* non-monotone: a truth table over 5 candidates */
	int bits[5];
};

static bool needs_all(struct app *a, capmask set)
{
	a->calls++;
	return (set & a->need) == a->need && (a->either == 0 || (set & a->either) != 0);
}

struct outcome {
	enum probe_step step;
	capmask result;
	unsigned search, confirm, repeat;
	bool redone;
	bool outside; /* a trial granted more than the candidates */
	size_t n;
	capmask sets[PROBE_MAX_TRIALS];
	bool works[PROBE_MAX_TRIALS];
};

static struct outcome out; /* large: static */

static void run(struct app *a, capmask candidates, unsigned repeat)
{
	static struct probe_search s;
	probe_search_init(&s, candidates, repeat);
	out.n = 0;
	out.outside = false;
	capmask set;
	enum probe_kind kind;
	while ((out.step = probe_search_next(&s, &set, &kind)) == PROBE_TRY) {
		out.outside |= (set & ~candidates) != 0;
		bool w = a->works(a, set);
		if (out.n < PROBE_MAX_TRIALS) {
			out.sets[out.n] = set;
			out.works[out.n] = w;
			out.n++;
		}
		probe_search_record(&s, w);
	}
	out.result = s.result;
	out.search = s.trials[PROBE_KIND_SEARCH];
	out.confirm = s.trials[PROBE_KIND_CONFIRM];
	out.repeat = s.trials[PROBE_KIND_REPEAT];
	out.redone = s.redone;
}

static bool tried(capmask set, bool works)
{
	for (size_t i = 0; i < out.n; i++)
		if (out.sets[i] == set && out.works[i] == works)
			return true;
	return false;
}

/* Every member shown necessary by a failed trial of exactly result − member,
 * and the result itself by a passing one. */
static bool shown_minimal(void)
{
	if (!tried(out.result, true))
		return false;
	for (capmask left = out.result; left; left &= left - 1)
		if (!tried(out.result & ~(left & -left), false))
			return false;
	return true;
}

/* Members of `set` in ascending bit order into bits[]; returns the count. */
static int members(capmask set, int *bits)
{
	int n = 0;
	for (int b = 0; b < 64; b++)
		if (set & B(b))
			bits[n++] = b;
	return n;
}

static int count_bits(capmask m)
{
	return __builtin_popcountll(m);
}

/* Every choice of k needed ones among `from` (a subset of the candidates),
 * each against an app that needs exactly those: the result must be them,
 * 1-minimal by trial, within the promise; the counts go to the totals. */
struct sweep {
	unsigned long runs, bad;
	unsigned search_worst, confirm_worst, total_worst;
	unsigned long search_sum, confirm_sum;
	capmask worst_need; /* a placement reaching search_worst */
};

static void sweep_run(struct sweep *w, capmask candidates, capmask need, unsigned bound)
{
	struct app a = {.works = needs_all, .need = need};
	run(&a, candidates, 1);
	bool ok = out.step == PROBE_FOUND && out.result == need && out.search <= bound &&
		  (int)out.confirm <= count_bits(need) && out.repeat == 1 && !out.outside &&
		  shown_minimal();
	if (!ok && w->bad++ < 5)
		fprintf(stderr, "  need %#llx of %#llx: step %d result %#llx, %u search trials "
				"(bound %u), %u confirming\n",
			(unsigned long long)need, (unsigned long long)candidates, (int)out.step,
			(unsigned long long)out.result, out.search, bound, out.confirm);
	w->runs++;
	w->search_sum += out.search;
	w->confirm_sum += out.confirm;
	if (out.search > w->search_worst) {
		w->search_worst = out.search;
		w->worst_need = need;
	}
	w->confirm_worst = out.confirm > w->confirm_worst ? out.confirm : w->confirm_worst;
	unsigned total = out.search + out.confirm;
	w->total_worst = total > w->total_worst ? total : w->total_worst;
}

static struct sweep sweep_all(capmask candidates, capmask from, int k)
{
	struct sweep w = {0};
	int bits[64], idx[64];
	int n = members(from, bits);
	unsigned bound = probe_search_bound(k, count_bits(candidates));
	if (k > n)
		return w;
	for (int i = 0; i < k; i++)
		idx[i] = i;
	for (;;) {
		capmask need = 0;
		for (int i = 0; i < k; i++)
			need |= B(bits[idx[i]]);
		sweep_run(&w, candidates, need, bound);
		int i = k - 1;
		while (i >= 0 && idx[i] == n - k + i)
			i--;
		if (i < 0)
			return w;
		idx[i]++;
		for (int j = i + 1; j < k; j++)
			idx[j] = idx[j - 1] + 1;
	}
}

static void sweep_print(const char *what, int k, const struct sweep *w, unsigned bound)
{
	printf("  %-22s k=%d: %8lu placements: search worst %2u, mean %5.2f (bound %2u); "
	       "confirming worst %u, mean %4.2f; both worst %2u\n",
	       what, k, w->runs, w->search_worst, w->runs ? (double)w->search_sum / (double)w->runs : 0,
	       bound, w->confirm_worst, w->runs ? (double)w->confirm_sum / (double)w->runs : 0,
	       w->total_worst);
}

#endif
