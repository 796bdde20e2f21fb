/* fmt_snprintf() against libc's snprintf, for the subset fmt implements.
 *
 * Input: a sequence of records, each one conversion with its literal text,
 * formatted by both into buffers of a fuzzed size and compared byte for
 * byte (return value, and the buffer up to its terminator):
 *   byte 0   conversion (s c d u x %) and length (none, l, ll, z, hh, h, j, t)
 *   byte 1   flags: '-', '0', a width, a precision, '.*'
 *   byte 2   width (0..63)    byte 3  precision (0..63, or negative via '.*')
 *   byte 4   buffer size (0..255)
 *   bytes 5..12  the argument (an integer, or a string's length and bytes)
 *   then up to 15 bytes of literal text before the conversion.
 * Combinations C leaves undefined are not generated: the '0' flag or a
 * precision with %c, '0' with %s, flags on %%. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <string.h>

#include "fmt.h"
#include "fuzz_input.h"

/* The format is built at run time: that is the point here. */
#pragma clang diagnostic ignored "-Wformat-nonliteral"
#pragma clang diagnostic ignored "-Wformat-security"

/* The bytes written (a %c of 0 writes a NUL in the middle) and the return. */
static void compare(const char *ours, int n_ours, const char *theirs, int n_theirs,
		    size_t size, const char *format)
{
	size_t written = size == 0 ? 0 : (size_t)n_theirs < size ? (size_t)n_theirs + 1 : size;
	if (n_ours != n_theirs || memcmp(ours, theirs, written) != 0) {
		fprintf(stderr, "format '%s' size %zu: ours %d '%s', libc %d '%s'\n", format, size,
			n_ours, size ? ours : "", n_theirs, size ? theirs : "");
		FUZZ_ASSERT(!"fmt differs from libc");
	}
}

/* Both formatters into fresh buffers; the guard bytes past `size` must stay. */
#define BOTH(format, size, ...)                                                            \
	do {                                                                                  \
		char a_[300], b_[300];                                                        \
		memset(a_, 'G', sizeof a_);                                                   \
		memset(b_, 'G', sizeof b_);                                                   \
		int na_ = fmt_snprintf(size ? a_ : NULL, size, format, __VA_ARGS__);          \
		int nb_ = snprintf(size ? b_ : NULL, size, format, __VA_ARGS__);              \
		compare(a_, na_, b_, nb_, size, format);                                      \
		for (size_t g_ = size; g_ < sizeof a_; g_++)                                  \
			FUZZ_ASSERT(a_[g_] == 'G');                                           \
	} while (0)

static size_t one_record(const uint8_t *d, size_t left)
{
	if (left < 13)
		return left;
	unsigned conv = d[0] % 6, len = (d[0] / 6) % 8;
	unsigned flags = d[1];
	bool minus = flags & 1, zero = flags & 2, has_width = flags & 4, has_prec = flags & 8,
	     star = flags & 16;
	unsigned width = d[2] % 64;
	int prec = (int)(d[3] % 64) - (star && (flags & 32) ? 64 : 0);
	size_t size = d[4];
	uint64_t arg;
	memcpy(&arg, d + 5, sizeof arg);
	size_t text_len = (size_t)(flags >> 6) * 5; /* 0, 5, 10 or 15 */
	if (13 + text_len > left)
		text_len = left - 13;
	const uint8_t *text = d + 13;

	char format[64];
	size_t f = 0;
	for (size_t i = 0; i < text_len; i++)
		if (text[i] != '%' && text[i] != '\0')
			format[f++] = (char)text[i];
	format[f++] = '%';
	if (conv == 5) { /* %% takes nothing */
		format[f++] = '%';
		format[f] = '\0';
		BOTH(format, size, 0);
		return 13 + text_len;
	}
	if (conv == 1 || conv == 0)
		zero = false;
	if (conv == 1)
		has_prec = false;
	if (minus)
		format[f++] = '-';
	if (zero)
		format[f++] = '0';
	if (has_width && width > 0)
		f += (size_t)snprintf(format + f, sizeof format - f, "%u", width);
	if (has_prec) {
		if (star)
			format[f++] = '.', format[f++] = '*';
		else
			f += (size_t)snprintf(format + f, sizeof format - f, ".%d", prec < 0 ? 0 : prec);
	}
	static const char *const lengths[] = {"", "l", "ll", "z", "hh", "h", "j", "t"};
	if (conv >= 2) {
		strcpy(format + f, lengths[len]);
		f += strlen(lengths[len]);
	}
	format[f++] = "scdux"[conv];
	format[f] = '\0';

	bool pass_star = has_prec && star;
/* One argument of type T, after the '.*' precision when there is one. */
#define PASS(T)                                                                            \
	do {                                                                                  \
		T v_ = (T)arg;                                                                \
		if (pass_star)                                                                \
			BOTH(format, size, prec, v_);                                         \
		else                                                                          \
			BOTH(format, size, v_);                                               \
	} while (0)
	switch (conv) {
	case 0: { /* a string of the argument's bytes, up to its first NUL */
		char str[9];
		memcpy(str, d + 5, 8);
		str[8] = '\0';
		str[d[5] % 9] = '\0';
		if (pass_star)
			BOTH(format, size, prec, str);
		else
			BOTH(format, size, str);
		break;
	}
	case 1:
		BOTH(format, size, (int)(arg & 0xff));
		break;
	case 2: /* %d: each length's own type; hh and h take an int (promoted) */
		switch (len) {
		case 0: case 4: case 5: PASS(int); break;
		case 1: PASS(long); break;
		case 2: PASS(long long); break;
		case 3: PASS(ssize_t); break;
		case 6: PASS(intmax_t); break;
		default: PASS(ptrdiff_t); break;
		}
		break;
	default: /* %u %x */
		switch (len) {
		case 0: case 4: case 5: PASS(unsigned); break;
		case 1: PASS(unsigned long); break;
		case 2: PASS(unsigned long long); break;
		case 3: PASS(size_t); break;
		case 6: PASS(uintmax_t); break;
		default: PASS(ptrdiff_t); break; /* %tu reads ptrdiff_t's unsigned twin */
		}
		break;
	}
#undef PASS
	return 13 + text_len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t at = 0;
	for (int records = 0; at < size && records < 32; records++)
		at += one_record(data + at, size - at);
	return 0;
}
