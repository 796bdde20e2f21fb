/* The probe's search, every position of the needed ones where that takes
 * millions of searches: four to six needed of a host's 41 (C(41, 6) is 4.5
 * million), three of every n up to 64. Built optimized and without the
 * sanitizers (test_probe_search.c runs the same checks on the smaller
 * cases under them); run by `make test-unit`. Each search must end with
 * exactly the needed set, 1-minimal by trial, within probe_search_bound.
 *
 * It also prints the table docs/probe.md quotes: the worst case and the
 * mean per (k, n), for every placement, and for placements among Docker's
 * 14 on the host (what apps need in practice). */
#include <stdio.h>

#include "probe_sim.h"

static unsigned long failures;

static void check(const char *what, capmask candidates, capmask from, int k, bool print)
{
	struct sweep w = sweep_all(candidates, from, k);
	unsigned bound = probe_search_bound(k, count_bits(candidates));
	if (w.bad || w.search_worst > bound) {
		fprintf(stderr, "sweep_probe_search: %s, k=%d: %lu searches wrong (worst %u, "
				"bound %u, at %#llx)\n",
			what, k, w.bad, w.search_worst, bound, (unsigned long long)w.worst_need);
		failures++;
	}
	if (print)
		sweep_print(what, k, &w, bound);
}

int main(void)
{
	for (int k = 0; k <= 6; k++)
		check("Docker's 14", docker_default, docker_default, k, true);
	for (int k = 0; k <= 6; k++)
		check("host's 41", all41, all41, k, true);
	for (int k = 1; k <= 6; k++)
		check("host's 41, needs in 14", all41, docker_default, k, true);
	for (int n = 3; n <= 64; n++)
		check("first n", capmask_first(n), capmask_first(n), 3, false);
	printf("sweep_probe_search: %s\n", failures ? "FAILED" : "every placement within the bound");
	return failures ? 1 : 0;
}
