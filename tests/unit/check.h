/* A minimal test harness: CHECK records failures and goes on, so one run
 * shows every broken case; TEST_MAIN prints the "N passed, N failed" line. */
#ifndef CAPINIT_CHECK_H
#define CAPINIT_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_passed, check_failed;

#define CHECK(cond)                                                                      \
	do {                                                                             \
		if (cond) {                                                              \
			check_passed++;                                                  \
		} else {                                                                 \
			check_failed++;                                                  \
			fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                        \
	} while (0)

#define CHECK_EQ_U64(a, b)                                                               \
	do {                                                                             \
		unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b); \
		if (a_ == b_) {                                                          \
			check_passed++;                                                  \
		} else {                                                                 \
			check_failed++;                                                  \
			fprintf(stderr, "%s:%d: FAILED: %s == %s (%#llx != %#llx)\n",     \
				__FILE__, __LINE__, #a, #b, a_, b_);                     \
		}                                                                        \
	} while (0)

#define CHECK_CONTAINS(haystack, needle)                                                 \
	do {                                                                             \
		const char *h_ = (haystack);                                             \
		if (h_ && strstr(h_, (needle))) {                                        \
			check_passed++;                                                  \
		} else {                                                                 \
			check_failed++;                                                  \
			fprintf(stderr, "%s:%d: FAILED: '%s' does not contain '%s'\n",    \
				__FILE__, __LINE__, h_ ? h_ : "(null)", (needle));       \
		}                                                                        \
	} while (0)

static int check_report(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, check_passed, check_failed);
	return check_failed ? 1 : 0;
}

#endif
