/* Our printf subset must format exactly as libc's printf does. */
#include "fmt.h"

#include <limits.h>

#include "check.h"

#define SAME(...)                                                              \
	do {                                                                   \
		char ours[128], theirs[128];                                   \
		int a = fmt_snprintf(ours, sizeof ours, __VA_ARGS__);          \
		int b = snprintf(theirs, sizeof theirs, __VA_ARGS__);          \
		CHECK(a == b);                                                 \
		CHECK(strcmp(ours, theirs) == 0);                              \
		if (strcmp(ours, theirs) != 0)                                 \
			fprintf(stderr, "  ours '%s' libc '%s'\n", ours, theirs); \
	} while (0)

static void test_conversions(void)
{
	SAME("plain text");
	SAME("%s|%-12s|%12s|", "abc", "left", "right");
	SAME("%.*s|%.3s|%.60s", 2, "abcdef", "abcdef", "short");
	SAME("%d %d %d %d", 0, -1, INT_MAX, INT_MIN);
	SAME("%u %u", 0u, UINT_MAX);
	SAME("%llu %016llx %llx", ULLONG_MAX, 0x400ull, 0x1fffeffffffull);
	SAME("%lu %ld %zu", 123456789ul, -5l, (size_t)42);
	SAME("%c%c %%", 'a', '-');
	SAME("%5d|%-5d|%05u", 42, 42, 7u);
	SAME("%s", "");
}

static void test_truncation(void)
{
	char buf[8];
	int n = fmt_snprintf(buf, sizeof buf, "%s", "0123456789");
	CHECK(n == 10);
	CHECK(strcmp(buf, "0123456") == 0);
	n = fmt_snprintf(buf, 1, "%d", 12345);
	CHECK(n == 5 && buf[0] == '\0');
	n = fmt_snprintf(NULL, 0, "%s", "abc");
	CHECK(n == 3);
}

int main(void)
{
	test_conversions();
	test_truncation();
	return check_report("test_fmt");
}
