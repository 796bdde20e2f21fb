/* The probe's search against simulated apps: k of n needed, alternatives,
 * flaky, non-monotone. Asserts the promise (probe_search_bound: 7 for one of
 * Docker's 14, 9 for one of 41, 12 for two of 14) for every position of the
 * needed ones wherever that is quick under the sanitizers (every subset of
 * Docker's 14, up to three of a host's 41, none to two, all but one and all
 * of every n up to 64; sweep_probe_search.c does four to six of 41 and
 * three of every n), that the promise holds for every n up to 64, that
 * every member of a result is shown necessary by a failed trial of exactly
 * result − member, and the trial counts of nginx's and sshd's sets. */
#include "probe_search.h"

#include <linux/capability.h>
#include <stdint.h>

#include "check.h"
#include "probe_sim.h"

/* Needs `need`; without the `flaky` ones it still works on every other run,
 * so a single trial can make a too-small set look good. */
static bool flaky_app(struct app *a, capmask set)
{
	bool odd = (a->calls++ & 1) != 0;
	if ((set & a->need) != a->need)
		return false;
	return (set & a->flaky) == a->flaky || !odd;
}

static unsigned table_index(const struct app *a, capmask set)
{
	unsigned idx = 0;
	for (int i = 0; i < 5; i++)
		if (set & B(a->bits[i]))
			idx |= 1u << i;
	return idx;
}

static bool table_app(struct app *a, capmask set)
{
	a->calls++;
	return a->table[table_index(a, set)] != 0;
}

static int ceil_log2(unsigned n)
{
	int r = 0;
	while ((1u << r) < n)
		r++;
	return r;
}

/* No set run twice, the repeats of the result apart. */
static bool no_set_run_twice(void)
{
	for (size_t i = 0; i < out.n; i++)
		for (size_t j = i + 1; j < out.n; j++)
			if (out.sets[i] == out.sets[j] && out.sets[i] != out.result)
				return false;
	return true;
}

static void test_order_is_a_permutation(void)
{
	size_t n;
	const int *order = probe_removal_order(&n);
	CHECK(n == 64);
	capmask seen = 0;
	for (size_t i = 0; i < n; i++)
		seen |= B(order[i]);
	CHECK(seen == ~(capmask)0);
	/* The first named ones, as the SPEC lists them. */
	size_t first = 0;
	while (first < n && order[first] > CAP_LAST_CAP)
		first++;
	CHECK(order[first] == CAP_SYS_ADMIN && order[first + 1] == CAP_DAC_OVERRIDE &&
	      order[first + 2] == CAP_NET_ADMIN && order[first + 3] == CAP_SYS_PTRACE);
	CHECK(order[n - 1] == CAP_NET_BIND_SERVICE);
}

/* The formula, the SPEC's numbers, and never more than the rounds of the
 * search before (2 + k·(1 + ceil(log2 n))) for k ≤ 2. */
static void test_bound(void)
{
	CHECK(probe_search_bound(0, 14) == 2 && probe_search_bound(0, 0) == 2);
	CHECK(probe_search_bound(1, 14) == 7 && probe_search_bound(1, 41) == 9);
	CHECK(probe_search_bound(2, 14) == 12 && probe_search_bound(2, 41) == 15);
	static const unsigned b14[] = {2, 7, 12, 17, 20, 23, 26}, b41[] = {2, 9, 15, 22, 27, 32, 37};
	for (int k = 0; k <= 6; k++) {
		CHECK(probe_search_bound(k, 14) == b14[k]);
		CHECK(probe_search_bound(k, 41) == b41[k]);
	}
	CHECK(probe_search_bound(64, 64) == 130);
	/* Against Pascal's triangle, for every k and n up to 64; every bound
	 * fits the search's table (a byte). */
	static uint64_t row[65];
	for (int n = 0; n <= 64; n++) {
		for (int k = n; k >= 1; k--)
			row[k] += row[k - 1];
		row[0] = 1;
		for (int k = 0; k <= n; k++) {
			unsigned lg = 0;
			while (((uint64_t)1 << lg) < row[k])
				lg++;
			unsigned want = 2 + 2 * (unsigned)k + lg - (k == 1 || k == 2);
			CHECK(probe_search_bound(k, n) == want);
			CHECK(want < 256);
		}
	}
	CHECK(probe_search_bound(15, 14) == 0 && probe_search_bound(0, 65) == 0 &&
	      probe_search_bound(-1, 3) == 0);
	for (int n = 0; n <= 64; n++)
		CHECK(probe_search_promise_holds(n));
	CHECK(!probe_search_promise_holds(65) && !probe_search_promise_holds(-1));
	for (int n = 1; n <= 64; n++)
		for (int k = 1; k <= 2 && k <= n; k++)
			CHECK(probe_search_bound(k, n) <= 2u + (unsigned)k * (1u + (unsigned)ceil_log2((unsigned)n)));
}

static void check_sweep(const char *what, capmask candidates, capmask from, int k, bool print)
{
	struct sweep w = sweep_all(candidates, from, k);
	unsigned bound = probe_search_bound(k, count_bits(candidates));
	CHECK(w.bad == 0);
	CHECK(w.search_worst <= bound);
	CHECK(w.confirm_worst <= (unsigned)k);
	if (print)
		sweep_print(what, k, &w, bound);
}

/* Every subset of Docker's 14 needed. */
static void test_every_subset_of_14(void)
{
	for (int k = 0; k <= 14; k++)
		check_sweep("Docker's 14", docker_default, docker_default, k, k <= 6);
	/* One needed: the trial of ∅ is exact, nothing to confirm. */
	for (int bit = 0; bit < 64; bit++) {
		if (!(docker_default & B(bit)))
			continue;
		struct app a = {.works = needs_all, .need = B(bit)};
		run(&a, docker_default, 2);
		CHECK(out.confirm == 0 && out.repeat == 2);
		CHECK(no_set_run_twice());
	}
}

/* Up to three of a host's 41, every position (four to six: the sweep). */
static void test_host(void)
{
	for (int k = 0; k <= 3; k++)
		check_sweep("host's 41", all41, all41, k, true);
	capmask all40 = all41 & ~B(CAP_SYS_RESOURCE);
	for (int k = 0; k <= 2; k++)
		check_sweep("host's 40", all40, all40, k, false);
}

/* The promise holds for every n (each n has its own table): none, one and
 * two needed at every position, and all or all but one. */
static void test_every_n(void)
{
	for (int n = 0; n <= 64; n++) {
		capmask c = capmask_first(n);
		for (int k = 0; k <= 2 && k <= n; k++)
			check_sweep("first n", c, c, k, false);
		if (n >= 3) {
			check_sweep("first n", c, c, n - 1, false);
			check_sweep("first n", c, c, n, false);
		}
	}
	/* Not run twice: every pair of 41. */
	int bits[64];
	int n = members(all41, bits);
	bool twice = false;
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++) {
			struct app a = {.works = needs_all, .need = B(bits[i]) | B(bits[j])};
			run(&a, all41, 1);
			twice |= !no_set_run_twice();
		}
	CHECK(!twice);
}

static void check_app(const char *name, capmask candidates, capmask need, unsigned bound)
{
	struct app a = {.works = needs_all, .need = need};
	run(&a, candidates, 2);
	CHECK(out.step == PROBE_FOUND);
	CHECK_EQ_U64(out.result, need);
	CHECK(out.search <= bound);
	CHECK((int)out.confirm <= count_bits(need));
	CHECK(out.repeat == 2);
	CHECK(!out.outside);
	CHECK(shown_minimal());
	CHECK(no_set_run_twice());
	printf("  %s: %u search trials (asked: at most %u), %u confirming, %u repeats\n", name,
	       out.search, bound, out.confirm, out.repeat);
}

/* Real apps' sets at their real positions in the removal order. */
static void test_real_apps(void)
{
	capmask nginx4 = B(CAP_DAC_OVERRIDE) | B(CAP_SETGID) | B(CAP_SETUID) |
			 B(CAP_NET_BIND_SERVICE);
	capmask nginx5 = nginx4 | B(CAP_CHOWN);
	capmask all40 = all41 & ~B(CAP_SYS_RESOURCE);
	check_app("nginx's 5 of a host's 41", all41, nginx5, 20);
	check_app("nginx's 5 of a host's 40", all40, nginx5, 20);
	check_app("nginx's 4 of a host's 41", all41, nginx4, 20);
	check_app("nginx's 4 of a host's 40", all40, nginx4, 20);
	check_app("nginx's 5 of Docker's 14", docker_default, nginx5, probe_search_bound(5, 14));
	/* sshd under Docker: six of the 14 (a stand-in six). */
	capmask sshd = B(CAP_SETUID) | B(CAP_SETGID) | B(CAP_SYS_CHROOT) | B(CAP_KILL) |
		       B(CAP_NET_BIND_SERVICE) | B(CAP_AUDIT_WRITE);
	check_app("sshd's 6 of Docker's 14", docker_default, sshd, 22);
}

static void test_none_needed(void)
{
	struct app a = {.works = needs_all};
	run(&a, docker_default, 2);
	CHECK(out.step == PROBE_FOUND);
	CHECK_EQ_U64(out.result, 0);
	CHECK(out.search == 2); /* every candidate, then none */
	CHECK(out.repeat == 2);

	/* Nothing to choose from at all (a runtime that gave nothing). */
	run(&a, 0, 1);
	CHECK(out.step == PROBE_FOUND);
	CHECK_EQ_U64(out.result, 0);
	CHECK(out.search == 1);
}

static void test_never_works(void)
{
	struct app a = {.works = needs_all, .need = B(CAP_SYS_MODULE)}; /* not a candidate */
	run(&a, docker_default, 2);
	CHECK(out.step == PROBE_NONE);
	CHECK(out.n == 1);
	CHECK_EQ_U64(out.sets[0], docker_default);
}

/* Either of two suffices: the narrower (later in the removal order) is kept. */
static void test_alternatives(void)
{
	static const int pairs[][2] = {
		{CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH},
		{CAP_SYS_ADMIN, CAP_CHECKPOINT_RESTORE},
		{CAP_SYS_ADMIN, CAP_BPF},
		{CAP_SYS_ADMIN, CAP_SYSLOG},
		{CAP_NET_ADMIN, CAP_NET_RAW},
		{CAP_AUDIT_CONTROL, CAP_AUDIT_WRITE},
		{CAP_FOWNER, CAP_FSETID},
	};
	for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
		struct app a = {.works = needs_all, .either = B(pairs[i][0]) | B(pairs[i][1])};
		run(&a, all41, 2);
		CHECK(out.step == PROBE_FOUND);
		CHECK_EQ_U64(out.result, B(pairs[i][1]));
		CHECK(out.search <= 9);
		CHECK(shown_minimal());
		/* The same with three more needed, some of them between the two. */
		struct app b = {.works = needs_all, .either = a.either,
				.need = B(CAP_KILL) | B(CAP_SETUID) | B(CAP_MKNOD)};
		run(&b, all41, 1);
		CHECK_EQ_U64(out.result, B(pairs[i][1]) | b.need);
		CHECK(shown_minimal());
	}
	/* Reading a root-only file in Docker's set: DAC_OVERRIDE is there,
	 * DAC_READ_SEARCH is not, so DAC_OVERRIDE it is. */
	struct app a = {.works = needs_all,
			.either = B(CAP_DAC_OVERRIDE) | B(CAP_DAC_READ_SEARCH)};
	run(&a, docker_default, 2);
	CHECK_EQ_U64(out.result, B(CAP_DAC_OVERRIDE));
	/* Either alternative plus one more needed. */
	struct app b = {.works = needs_all, .need = B(CAP_CHOWN),
			.either = B(CAP_DAC_OVERRIDE) | B(CAP_DAC_READ_SEARCH)};
	run(&b, all41, 2);
	CHECK_EQ_U64(out.result, B(CAP_CHOWN) | B(CAP_DAC_READ_SEARCH));
	CHECK(shown_minimal());
}

/* Flaky: the absence of one needed capability shows only on every other
 * run. Whatever the phase of that pattern, the result is never too small:
 * it holds both needed ones, or there is no result at all. */
static void test_flaky(void)
{
	int bits[64];
	int n = members(docker_default, bits);
	unsigned too_small = 0, found = 0, redone = 0;
	for (int i = 0; i < n; i++) {
		for (int j = 0; j < n; j++) {
			if (i == j)
				continue;
			for (unsigned phase = 0; phase < 2; phase++) {
				struct app a = {.works = flaky_app, .need = B(bits[i]),
						.flaky = B(bits[j]), .calls = phase};
				run(&a, docker_default, 2);
				capmask want = a.need | a.flaky;
				if (out.step == PROBE_FOUND) {
					found++;
					if ((out.result & want) != want)
						too_small++;
				}
				for (size_t t = 0; t < out.n; t++)
					if (out.sets[t] == docker_default && t > 0)
						redone++;
			}
		}
	}
	CHECK(too_small == 0);
	CHECK(found > 0);
	CHECK(redone > 0); /* the repeat rule was exercised */
	printf("  flaky: %u of %d runs found a set, none too small, %u redone\n", found,
	       n * (n - 1) * 2, redone);

	/* An app that fails every other run whatever it is given: no set holds. */
	struct app b = {.works = flaky_app, .need = 0, .flaky = B(63)};
	run(&b, docker_default, 2);
	CHECK(out.step != PROBE_FOUND || (out.result & B(63)) != 0);
}

/* Non-monotone: works with less, fails with more. Random truth tables over
 * 5 candidates (every one that works with all of them): a result always
 * works, every member is shown necessary by an exact trial, and the table
 * agrees. */
static void test_non_monotone(void)
{
	static const int five[5] = {CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_CHOWN, CAP_KILL,
				    CAP_NET_BIND_SERVICE};
	capmask cands = 0;
	for (int i = 0; i < 5; i++)
		cands |= B(five[i]);
	uint32_t lcg = 12345;
	unsigned found = 0, restarted = 0;
	for (int t = 0; t < 2000; t++) {
		struct app a = {.works = table_app};
		for (int i = 0; i < 5; i++)
			a.bits[i] = five[i];
		for (int i = 0; i < 32; i++) {
			lcg = lcg * 1103515245u + 12345u;
			a.table[i] = (lcg >> 16) % 3 == 0;
		}
		a.table[31] = 1; /* works with every candidate */
		run(&a, cands, 1);
		CHECK(out.step == PROBE_FOUND);
		if (out.step != PROBE_FOUND)
			continue;
		found++;
		CHECK(a.table[table_index(&a, out.result)] != 0);
		for (int i = 0; i < 5; i++)
			if (out.result & B(five[i]))
				CHECK(a.table[table_index(&a, out.result & ~B(five[i]))] == 0);
		CHECK(shown_minimal());
		if (out.confirm > 0)
			restarted++;
	}
	printf("  non-monotone: %u random apps, all 1-minimal by trial, %u needed confirming\n",
	       found, restarted);

	/* The SPEC's shape: works with {A}, fails with {A, B}, works with all. */
	struct app b = {.works = table_app};
	for (int i = 0; i < 5; i++)
		b.bits[i] = five[i];
	for (unsigned idx = 0; idx < 32; idx++) {
		bool has_chown = idx & 4u, has_admin = idx & 1u, has_netadmin = idx & 2u;
		/* needs CHOWN; NET_ADMIN without SYS_ADMIN breaks it */
		b.table[idx] = has_chown && !(has_netadmin && !has_admin);
	}
	run(&b, cands, 2);
	CHECK(out.step == PROBE_FOUND);
	CHECK_EQ_U64(out.result, B(CAP_CHOWN));
	CHECK(shown_minimal());
}

int main(void)
{
	test_order_is_a_permutation();
	test_bound();
	test_every_subset_of_14();
	test_host();
	test_every_n();
	test_real_apps();
	test_none_needed();
	test_never_works();
	test_alternatives();
	test_flaky();
	test_non_monotone();
	return check_report("probe_search");
}
