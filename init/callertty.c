#define _GNU_SOURCE
#include "callertty.h"
#include "rawsys.h"

#include <errno.h>
#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

/* Where /dev/tty cannot be opened for another reason than "no controlling
 * terminal" (an image without /dev/tty, a hung-up terminal), the standard
 * descriptors are asked: tcgetsid succeeds on a terminal only when it is
 * the caller's controlling one (or on a pty master, whose slave's session
 * it returns: a foreign answer then errs on the safe side). */
static bool foreign_through_std_fds(pid_t self)
{
	for (int fd = 0; fd <= 2; fd++) {
		pid_t sid = tcgetsid(fd);
		if (sid >= 0)
			return sid != self;
	}
	return false;
}

bool callertty_foreign(void)
{
	int fd = raw_open("/dev/tty", O_RDWR | O_NOCTTY);
	/* ENXIO: the kernel's answer for "no controlling terminal", the
	 * usual case of a container's PID 1 (one system call). */
	if (fd < 0 && errno == ENXIO)
		return false;
	pid_t self = getpid();
	if (fd < 0)
		return foreign_through_std_fds(self);
	/* A controlling terminal belongs to the caller's session, so it is
	 * foreign exactly when the caller does not lead that session. */
	pid_t sid = tcgetsid(fd);
	close(fd);
	return sid != self;
}
