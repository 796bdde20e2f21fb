/*
 * probe: the application inside the engine tests' images. Static, no shell
 * needed, so it also stands for a distroless app.
 *
 *   probe [--listen=:PORT]      report what the kernel says about this process
 *                               (the five capability sets, ids, groups,
 *                               NoNewPrivs), try to bind PORT (80), exit 0
 *   probe --wait=trap|default|ignore
 *                               report, print "ready", then wait for signals:
 *                               each caught one prints "signal N"; SIGTERM is
 *                               trapped (prints "term", exits 42), left at its
 *                               default action, or ignored
 *   probe --orphans=N           make N orphans (their parent exits at once),
 *                               wait, print "zombies=K" for zombies left in
 *                               the container, exit 0
 *   probe --serve-udp=:PORT     report, bind UDP PORT (after a moment, so a client
 *                               sees it unbound first), print "udp=ok", then
 *                               read datagrams for ever without answering
 *   probe --leftover=trap|ignore:FILE
 *                               leave a process behind and exit 7 at once; the
 *                               leftover writes FILE when SIGTERM reaches it
 *                               (trap) or ignores SIGTERM (ignore)
 *
 * Output is line-buffered KEY=VALUE text for tests/engine to parse.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void nap(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void report_status(void)
{
	static const char *const keys[] = { "Uid:", "Gid:", "Groups:", "CapInh:", "CapPrm:",
					    "CapEff:", "CapBnd:", "CapAmb:", "NoNewPrivs:" };
	char line[512];
	FILE *f = fopen("/proc/self/status", "r");

	if (!f) {
		printf("error=open /proc/self/status: %s\n", strerror(errno));
		return;
	}
	while (fgets(line, sizeof line, f)) {
		for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
			size_t n = strlen(keys[i]);
			if (strncmp(line, keys[i], n) != 0)
				continue;
			char *v = line + n;
			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = '\0';
			for (char *t = v; *t; t++)
				if (*t == '\t')
					*t = ' ';
			printf("%.*s=%s\n", (int)(n - 1), keys[i], v);
		}
	}
	fclose(f);
}

static void report_pid1(void)
{
	char buf[256] = "";
	int fd = open("/proc/1/cmdline", O_RDONLY);

	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof buf - 1);
		buf[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	printf("pid=%d\nppid=%d\npid1=%s\n", (int)getpid(), (int)getppid(), buf);
}

static void report_bind(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
	int s = socket(AF_INET, SOCK_STREAM, 0);

	if (s < 0) {
		printf("bind%d=socket:%s\n", port, strerror(errno));
		return;
	}
	a.sin_addr.s_addr = htonl(INADDR_ANY);
	if (bind(s, (struct sockaddr *)&a, sizeof a) == 0 && listen(s, 1) == 0)
		printf("bind%d=ok\n", port);
	else
		printf("bind%d=%s\n", port, errno == EACCES ? "EACCES" : strerror(errno));
	close(s);
}

/* A UDP server that never answers: "bound" must be seen without a reply. */
static int serve_udp(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	char buf[512];

	a.sin_addr.s_addr = htonl(INADDR_ANY);
	nap(500);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0) {
		printf("udp=%s\n", errno == EACCES ? "EACCES" : strerror(errno));
		return 1;
	}
	printf("udp=ok\n");
	for (;;)
		if (recv(s, buf, sizeof buf, 0) < 0 && errno != EINTR)
			return 1;
}

static volatile sig_atomic_t last_signal;

static void on_signal(int sig)
{
	last_signal = sig;
}

static int wait_for_signals(const char *term)
{
	static const int caught[] = { SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGALRM,
				      SIGCONT };
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof caught / sizeof caught[0]; i++)
		sigaction(caught[i], &sa, NULL);
	if (strcmp(term, "trap") == 0)
		sigaction(SIGTERM, &sa, NULL);
	else if (strcmp(term, "ignore") == 0)
		signal(SIGTERM, SIG_IGN);
	else if (strcmp(term, "default") != 0) {
		fprintf(stderr, "probe: --wait=trap|default|ignore\n");
		return 2;
	}
	printf("ready\n");
	for (;;) {
		pause();
		int sig = last_signal;
		last_signal = 0;
		if (sig == SIGTERM) {
			printf("term\n");
			return 42;
		}
		if (sig)
			printf("signal %d\n", sig);
	}
}

static int count_zombies(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char path[300], buf[256];
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
		int fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		ssize_t len = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (len <= 0)
			continue;
		buf[len] = '\0';
		const char *p = strrchr(buf, ')');
		if (p && p[1] == ' ' && p[2] == 'Z')
			n++;
	}
	closedir(d);
	return n;
}

static int make_orphans(int n)
{
	for (int i = 0; i < n; i++) {
		pid_t c = fork();
		if (c < 0)
			return 1;
		if (c == 0) {
			if (fork() == 0) {
				nap(100);
				_exit(0);
			}
			_exit(0);
		}
		waitpid(c, NULL, 0);
	}
	/* Each orphan exits 100 ms after its parent; give PID 1 time to reap. */
	int z = -1;
	for (int tries = 0; tries < 50; tries++) {
		nap(100);
		z = count_zombies();
		if (tries >= 5 && z == 0)
			break;
	}
	printf("orphans=%d\nzombies=%d\n", n, z);
	return 0;
}

static int leave_leftover(const char *spec)
{
	const char *file = strchr(spec, ':');
	int trap = strncmp(spec, "trap:", 5) == 0;

	if (!file || (!trap && strncmp(spec, "ignore:", 7) != 0)) {
		fprintf(stderr, "probe: --leftover=trap|ignore:FILE\n");
		return 2;
	}
	file++;
	int ready[2];
	if (pipe(ready) != 0)
		return 1;
	pid_t c = fork();
	if (c < 0)
		return 1;
	if (c == 0) {
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGTERM);
		if (trap)
			sigprocmask(SIG_BLOCK, &set, NULL);
		else
			signal(SIGTERM, SIG_IGN);
		close(ready[0]);
		close(ready[1]);
		if (!trap) {
			nap(60000);
			_exit(0);
		}
		int sig = 0;
		sigwait(&set, &sig);
		int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			(void)write(fd, "term\n", 5);
			close(fd);
		}
		_exit(0);
	}
	close(ready[1]);
	char b;
	/* EOF once the leftover has set up its signal disposition. */
	while (read(ready[0], &b, 1) > 0)
		;
	close(ready[0]);
	printf("leftover=%d\n", (int)c);
	return 7;
}

int main(int argc, char **argv)
{
	int port = 80;
	const char *wait = NULL, *leftover = NULL;
	int orphans = -1, udp = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], "--listen=:", 10) == 0)
			port = atoi(argv[i] + 10);
		else if (strncmp(argv[i], "--wait=", 7) == 0)
			wait = argv[i] + 7;
		else if (strncmp(argv[i], "--orphans=", 10) == 0)
			orphans = atoi(argv[i] + 10);
		else if (strncmp(argv[i], "--serve-udp=:", 13) == 0)
			udp = atoi(argv[i] + 13);
		else if (strncmp(argv[i], "--leftover=", 11) == 0)
			leftover = argv[i] + 11;
		else {
			fprintf(stderr, "probe: unknown argument '%s'\n", argv[i]);
			return 2;
		}
	}
	if (leftover)
		return leave_leftover(leftover);
	report_pid1();
	report_status();
	if (orphans >= 0)
		return make_orphans(orphans);
	if (udp)
		return serve_udp(udp);
	report_bind(port);
	if (wait)
		return wait_for_signals(wait);
	return 0;
}
