/* Our printf subset must format exactly as libc's printf does. */
#include "fmt.h"

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

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

/* Every length modifier reads its argument with the argument's own type
 * (issue 18: 'z' was read as a long long, which on armv7 misread every
 * later argument). A string after each checks the va_list stayed in step;
 * tests/release/run.sh runs this file on every release architecture. */
static void test_length_modifiers(void)
{
	SAME("%hhu %hhd %hhx|%s", (unsigned char)200, (signed char)-5, (unsigned char)0xab, "next");
	SAME("%hu %hd %hx|%s", (unsigned short)65535, (short)-300, (unsigned short)0xbeef, "next");
	SAME("%lu %ld %lx|%s", ULONG_MAX, LONG_MIN, 0xfeedul, "next");
	SAME("%llu %lld %llx|%s", ULLONG_MAX, LLONG_MIN, 0x123456789abcull, "next");
	SAME("%zu %zd %zx|%s", SIZE_MAX, (ssize_t)-7, (size_t)0x1234, "next");
	SAME("%jd %ju %jx|%s", INTMAX_MIN, UINTMAX_MAX, (uintmax_t)0xabc, "next");
	SAME("%td %tu|%s", (ptrdiff_t)-42, (ptrdiff_t)42, "next");
	/* The probe's progress line, as it is formatted. */
	SAME("probe trial %zu (%s): %s in %s s", (size_t)3, "remove", "CHOWN", "0.012");
	SAME("%zu %d %zu %s %llu %hhu %s", (size_t)1, -2, (size_t)3, "four", 5ull,
	     (unsigned char)6, "seven");
	SAME("%05zu|%-6hd|%.3jd|%8tx", (size_t)9, (short)-3, (intmax_t)7, (ptrdiff_t)255);
}

/* Found by the fmt fuzzer: the '0' flag's zeros go after the sign, and an
 * integer's precision is a minimum digit count that turns '0' off. */
/* Flags the compiler warns are ignored ('0' with '-', '0' with a precision)
 * are what these cases check. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
static void test_zero_padding_and_precision(void)
{
	SAME("%05d|%05d|%05d|%-05d|", -42, 42, INT_MIN, -7);
	SAME("%03d|%02d|%01d|%0d|", -1234, -5, -5, -5);
	SAME("%05ld|%020lld|%05zu|%08x", -3l, LLONG_MIN, (size_t)9, 0xbeefu);
	SAME("%.3d|%.3d|%.0d|%.0u|%.0x|%5.0d|", 7, -7, 0, 0u, 0u, 0);
	SAME("%08.3d|%-8.3d|%8.3d|%.*d|%.*d", -7, -7, 42, 4, -3, -1, 5);
	SAME("%.20llu|%.1d|%3.5x", 123ull, 0, 0xabu);
}
#pragma GCC diagnostic pop

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
	test_length_modifiers();
	test_zero_padding_and_precision();
	test_truncation();
	return check_report("test_fmt");
}
