#include "decimal.h"

bool parse_decimal(const char *s, size_t len, unsigned long long max, unsigned long long *out)
{
	if (len == 0)
		return false;
	unsigned long long v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
		if (v > max) /* checked per digit, so v never wraps */
			return false;
	}
	*out = v;
	return true;
}
