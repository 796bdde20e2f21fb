#include "signame.h"

#include "decimal.h"

#include <signal.h>
#include <string.h>
#include <strings.h>

/* The classic signals' names in number order, 1 (SIGHUP) to 31 (SIGSYS),
 * one string: a table of pointers would be 31 relocated words more. The
 * numbering is asm-generic's, shared by every architecture capinit is
 * built for (the asserts). */
static const char names[] = "SIGHUP\0SIGINT\0SIGQUIT\0SIGILL\0SIGTRAP\0SIGABRT\0SIGBUS\0SIGFPE\0"
			    "SIGKILL\0SIGUSR1\0SIGSEGV\0SIGUSR2\0SIGPIPE\0SIGALRM\0SIGTERM\0"
			    "SIGSTKFLT\0SIGCHLD\0SIGCONT\0SIGSTOP\0SIGTSTP\0SIGTTIN\0SIGTTOU\0"
			    "SIGURG\0SIGXCPU\0SIGXFSZ\0SIGVTALRM\0SIGPROF\0SIGWINCH\0SIGIO\0"
			    "SIGPWR\0SIGSYS";
#define CLASSIC_SIGNALS 31
_Static_assert(SIGHUP == 1 && SIGBUS == 7 && SIGUSR1 == 10 && SIGSTKFLT == 16 &&
		       SIGCHLD == 17 && SIGURG == 23 && SIGIO == 29 && SIGPWR == 30 &&
		       SIGSYS == 31,
	       "signal numbers differ from asm-generic's: update names");

int signal_from_name(const char *name)
{
	if (strncasecmp(name, "SIG", 3) == 0)
		name += 3;
	int sig = 1;
	for (const char *n = names; sig <= CLASSIC_SIGNALS; n += strlen(n) + 1, sig++)
		if (strcasecmp(name, n + 3) == 0)
			return sig;
	if (strncasecmp(name, "RTMIN", 5) == 0) {
		const char *rest = name + 5;
		if (*rest == '\0')
			return SIGRTMIN;
		if (*rest != '+')
			return -1;
		unsigned long long off;
		if (!parse_decimal(rest + 1, strlen(rest + 1), (unsigned)(SIGRTMAX - SIGRTMIN), &off))
			return -1;
		return SIGRTMIN + (int)off;
	}
	return -1;
}

const char *signal_name(int sig)
{
	if (sig < 1 || sig > CLASSIC_SIGNALS)
		return NULL;
	const char *n = names;
	while (--sig > 0)
		n += strlen(n) + 1;
	return n;
}
