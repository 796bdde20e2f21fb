/* The probe's search against simulated apps: k of n needed, alternatives,
 * flaky, non-monotone. Asserts the SPEC's trial bounds (7 for one of
 * Docker's 14, 9 for one of 41, 12 for two of 14) for every position of the
 * needed capabilities, and that every member of a result is shown necessary
 * by a failed trial of exactly result − member. */
#include "probe_search.h"

#include <linux/capability.h>
#include <stdint.h>

#include "check.h"

#define B(c) CAPMASK_BIT(c)

static const capmask docker_default =
	B(CAP_CHOWN) | B(CAP_DAC_OVERRIDE) | B(CAP_FSETID) | B(CAP_FOWNER) | B(CAP_MKNOD) |
	B(CAP_NET_RAW) | B(CAP_SETGID) | B(CAP_SETUID) | B(CAP_SETFCAP) | B(CAP_SETPCAP) |
	B(CAP_NET_BIND_SERVICE) | B(CAP_SYS_CHROOT) | B(CAP_KILL) | B(CAP_AUDIT_WRITE);

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

struct outcome {
	enum probe_step step;
	capmask result;
	unsigned search, confirm, repeat;
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
	capmask set;
	enum probe_kind kind;
	while ((out.step = probe_search_next(&s, &set, &kind)) == PROBE_TRY) {
		CHECK((set & ~candidates) == 0);
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
	for (int bit = 0; bit < 64; bit++)
		if ((out.result & B(bit)) && !tried(out.result & ~B(bit), false))
			return false;
	return true;
}

static int ceil_log2(unsigned n)
{
	int r = 0;
	while ((1u << r) < n)
		r++;
	return r;
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

static void test_one_needed(capmask candidates, unsigned bound)
{
	int bits[64];
	int n = members(candidates, bits);
	unsigned worst = 0;
	for (int i = 0; i < n; i++) {
		struct app a = {.works = needs_all, .need = B(bits[i])};
		run(&a, candidates, 2);
		CHECK(out.step == PROBE_FOUND);
		CHECK_EQ_U64(out.result, B(bits[i]));
		CHECK(out.search <= bound);
		CHECK(out.confirm == 0); /* ∅ is tried in the first round */
		CHECK(out.repeat == 2);
		CHECK(shown_minimal());
		worst = out.search > worst ? out.search : worst;
	}
	printf("  1 of %d: at most %u search trials (bound %u, one at a time %d)\n", n, worst,
	       bound, n + 1);
}

static void test_two_needed(capmask candidates, unsigned bound)
{
	int bits[64];
	int n = members(candidates, bits);
	unsigned worst = 0, worst_all = 0;
	for (int i = 0; i < n; i++) {
		for (int j = i + 1; j < n; j++) {
			struct app a = {.works = needs_all, .need = B(bits[i]) | B(bits[j])};
			run(&a, candidates, 2);
			CHECK(out.step == PROBE_FOUND);
			CHECK_EQ_U64(out.result, a.need);
			CHECK(out.search <= bound);
			CHECK(out.confirm <= 1);
			CHECK(shown_minimal());
			worst = out.search > worst ? out.search : worst;
			unsigned all = out.search + out.confirm;
			worst_all = all > worst_all ? all : worst_all;
		}
	}
	printf("  2 of %d: at most %u search trials (bound %u), %u with the confirming one\n", n,
	       worst, bound, worst_all);
}

/* k of n in general: 2 + k·(1 + ceil(log2 n)) search trials at most. */
static void test_k_needed(void)
{
	static const int picks[][4] = {
		{CAP_CHOWN, CAP_KILL, CAP_NET_RAW, -1},
		{CAP_SYS_ADMIN, CAP_NET_BIND_SERVICE, CAP_SETUID, CAP_FOWNER},
		{CAP_BPF, CAP_PERFMON, CAP_AUDIT_WRITE, CAP_SYS_NICE},
	};
	for (size_t p = 0; p < sizeof picks / sizeof picks[0]; p++) {
		struct app a = {.works = needs_all};
		int k = 0;
		for (int i = 0; i < 4 && picks[p][i] >= 0; i++, k++)
			a.need |= B(picks[p][i]);
		run(&a, all41, 2);
		CHECK(out.step == PROBE_FOUND);
		CHECK_EQ_U64(out.result, a.need);
		CHECK(out.search <= 2u + (unsigned)k * (1u + (unsigned)ceil_log2(41)));
		CHECK(out.confirm <= (unsigned)k - 1);
		CHECK(shown_minimal());
	}
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
		static struct probe_search s;
		run(&a, cands, 1);
		(void)s;
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
	test_one_needed(docker_default, 7);
	test_one_needed(all41, 9);
	test_two_needed(docker_default, 12);
	test_two_needed(all41, 2 + 2 * (1 + ceil_log2(41)));
	test_k_needed();
	test_none_needed();
	test_never_works();
	test_alternatives();
	test_flaky();
	test_non_monotone();
	return check_report("probe_search");
}
