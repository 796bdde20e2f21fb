/* Signal names: every classic signal's name both ways, held to the C
 * library's own abbreviations, and what is not a signal name. */
#define _GNU_SOURCE
#include "signame.h"

#include <signal.h>
#include <string.h>

#include "check.h"

static void test_classic(void)
{
	for (int sig = 1; sig <= 31; sig++) {
		/* glibc: "HUP" for 1; it calls 29 POLL, capinit (and kill -l) IO. */
		const char *abbrev = sig == SIGIO ? "IO" : sigabbrev_np(sig);
		const char *name = signal_name(sig);
		CHECK(abbrev && name && strncmp(name, "SIG", 3) == 0 && strcmp(name + 3, abbrev) == 0);
		CHECK(name && signal_from_name(name) == sig);
		CHECK(abbrev && signal_from_name(abbrev) == sig);
	}
	CHECK(signal_name(0) == NULL);
	CHECK(signal_name(32) == NULL);
	CHECK(signal_name(-1) == NULL);
}

static void test_spellings(void)
{
	CHECK(signal_from_name("sigterm") == SIGTERM);
	CHECK(signal_from_name("Kill") == SIGKILL);
	CHECK(signal_from_name("RTMIN") == SIGRTMIN);
	CHECK(signal_from_name("SIGRTMIN+2") == SIGRTMIN + 2);
	CHECK(signal_from_name("") == -1);
	CHECK(signal_from_name("SIG") == -1);
	CHECK(signal_from_name("SIGFOO") == -1);
	CHECK(signal_from_name("9") == -1);
	CHECK(signal_from_name("RTMIN-1") == -1);
	CHECK(signal_from_name("SIGHUPX") == -1);
}

int main(void)
{
	test_classic();
	test_spellings();
	return check_report("test_signame");
}
