/* Does capinit's caller own a terminal that a less privileged app must not
 * be given? (SPEC "Supervision": the caller's terminal is never the less
 * privileged app's.)
 *
 * A process can push input into a terminal with TIOCSTI only when that
 * terminal is its controlling terminal (or it holds CAP_SYS_ADMIN), and a
 * child inherits its parent's controlling terminal whatever its stdin,
 * stdout and stderr are: `capinit ... </dev/null >log 2>&1` from a root
 * shell still hands the app that shell's terminal, through /dev/tty. So the
 * question is asked of the controlling terminal itself, not of fd 0. */
#ifndef INIT_CALLERTTY_H
#define INIT_CALLERTTY_H

#include <stdbool.h>

/* The calling process has a controlling terminal whose session it does
 * not lead: it was started from a shell (or another program's session)
 * rather than as the session leader a container runtime makes its PID 1.
 * Cheap, as it is asked on start-up paths: one open(2) when there is no
 * controlling terminal, four system calls when there is one. Unsure
 * answers (a terminal that cannot be asked) err towards true. */
bool callertty_foreign(void);

#endif
