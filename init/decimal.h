/* Strict unsigned decimal parsing for ids, codes and counts: digits only, no
 * sign, no white space, no overflow past max. (strtoul accepts all of those,
 * and pulls libc's number scanner into the static binary.) */
#ifndef INIT_DECIMAL_H
#define INIT_DECIMAL_H

#include <stdbool.h>
#include <stddef.h>

bool parse_decimal(const char *s, size_t len, unsigned long long max, unsigned long long *out);

#endif
