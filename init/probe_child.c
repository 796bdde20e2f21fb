#define _GNU_SOURCE
#include "probe_child.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fmt.h"
#include "log.h"
#include "privilege.h"
#include "rawsys.h"

int probe_trial_plan(const struct probe_ctx *ctx, capmask set, bool userns, struct plan *p,
		     char *err, size_t errsize)
{
	struct config tc = *ctx->cfg;
	tc.drop_set = tc.drop_all = tc.add_set = true;
	tc.drop = 0;
	tc.add = set;
	tc.userns = userns;
	tc.drop_source = tc.add_source = "--probe";
	return plan_make(&tc, ctx->ids, ctx->rt, p, err, errsize);
}

int probe_check_plan(const struct probe_ctx *ctx, bool keep_uid, struct plan *p, char *err,
		     size_t errsize)
{
	struct config tc = *ctx->cfg;
	tc.drop_set = tc.drop_all = tc.add_set = true;
	tc.drop = tc.add = 0;
	tc.userns = false;
	tc.no_new_privs = true;
	tc.drop_source = tc.add_source = "--probe-check";
	tc.user_source = "--probe-check";
	memset(&tc.user, 0, sizeof tc.user);
	memset(&tc.group, 0, sizeof tc.group);
	/* The trial's own non-root user, or nobody: a root check would own
	 * root's files, which a root trial could have changed. (Filled here:
	 * as an initialised static it would put 4 kB of zeros in the file.) */
	static struct user_ids nobody;
	nobody.uid = nobody.gid = nobody.groups[0] = 65534;
	nobody.ngroups = 1;
	const struct user_ids *ids = NULL;
	if (!keep_uid) {
		bool trial_user = ctx->ids && ctx->ids->uid != 0;
		ids = trial_user ? ctx->ids : ctx->rt->euid == 0 ? &nobody : NULL;
		tc.user.set = ids != NULL;
	}
	return plan_make(&tc, ids, ctx->rt, p, err, errsize);
}

void probe_stdio_to(int out)
{
	int null = raw_open("/dev/null", O_RDWR);
	if (null >= 0)
		(void)dup2(null, STDIN_FILENO);
	if (out >= 0) {
		(void)dup2(out, STDOUT_FILENO);
		(void)dup2(out, STDERR_FILENO);
	} else if (null >= 0 && log_get_level() < LOG_INFO) {
		(void)dup2(null, STDOUT_FILENO);
		(void)dup2(null, STDERR_FILENO);
	} else {
		(void)dup2(STDERR_FILENO, STDOUT_FILENO);
	}
	if (null > STDERR_FILENO)
		close(null);
}

static void report(int fd, int stage, int err)
{
	struct probe_exec_report rep = {stage, err};
	if (fd >= 0) {
		ssize_t w = write(fd, &rep, sizeof rep);
		(void)w; /* capinit then sees EOF and the exit status */
	}
}

void probe_exec_app(const struct probe_ctx *ctx, const struct plan *p, int exec_w, int out_w)
{
	close(ctx->sfd);
	(void)setsid();
	probe_stdio_to(out_w);
	if (out_w > STDERR_FILENO)
		close(out_w);
	if (privilege_apply(p, ctx->rt) != 0) {
		report(exec_w, 1, errno);
		_exit(125);
	}
	(void)ksig_setmask(ctx->original);
	execvpe(ctx->cfg->command[0], ctx->cfg->command, ctx->child_env);
	int err = errno;
	report(exec_w, 2, err);
	_exit(err == ENOENT ? 127 : 126);
}

void probe_exec_check(const struct probe_ctx *ctx, const struct plan *p, const char *const *extra,
		      int out_w)
{
	close(ctx->sfd);
	(void)setsid();
	probe_stdio_to(out_w);
	if (chdir("/") != 0 || privilege_apply(p, ctx->rt) != 0)
		_exit(125);
	size_t n = 0;
	while (ctx->child_env[n])
		n++;
	char *env[n + 3];
	memcpy(env, ctx->child_env, n * sizeof env[0]);
	for (int i = 0; extra && i < 2; i++)
		if (extra[i])
			env[n++] = (char *)extra[i];
	env[n] = NULL;
	char *argv[] = {"sh", "-c", (char *)ctx->cfg->probe_check, NULL};
	(void)ksig_setmask(ctx->original);
	execve("/bin/sh", argv, env);
	_exit(127);
}

int probe_wait_code(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return 125;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
