/* The /proc/self/status parser: every field it needs, or a refusal. */
#include "procstatus.h"

#include "check.h"

#include <sys/prctl.h>
#include <unistd.h>

static const char sample[] =
	"Name:\tcapinit\n"
	"Umask:\t0022\n"
	"State:\tR (running)\n"
	"Uid:\t0\t1000\t2\t3\n"
	"Gid:\t4\t5\t6\t7\n"
	"FDSize:\t64\n"
	"Groups:\t50 1000 2000 \n"
	"SigQ:\t0/95000\n"
	"SigPnd:\t0000000000000000\n"
	"SigBlk:\tfffffffe7ffbfeff\n"
	"SigIgn:\t0000000000000001\n"
	"SigCgt:\t0000000000000000\n"
	"CapInh:\t0000000000000000\n"
	"CapPrm:\t000001ffffffffff\n"
	"CapEff:\t000001fffeffffff\n"
	"CapBnd:\t000001ffffffffff\n"
	"CapAmb:\t0000000000000400\n"
	"NoNewPrivs:\t1\n"
	"Seccomp:\t0\n";

static void test_sample(void)
{
	struct procstatus st;
	CHECK(procstatus_parse(sample, sizeof sample - 1, &st) == 0);
	CHECK(st.uid[0] == 0 && st.uid[1] == 1000 && st.uid[2] == 2);
	CHECK(st.gid[0] == 4 && st.gid[1] == 5 && st.gid[2] == 6);
	CHECK(st.ngroups == 3 && st.groups[0] == 50 && st.groups[2] == 2000);
	CHECK_EQ_U64(st.sig_ign, 1);
	CHECK_EQ_U64(st.cap_prm, 0x1ffffffffffull);
	CHECK_EQ_U64(st.cap_eff, 0x1fffeffffffull);
	CHECK_EQ_U64(st.cap_amb, 0x400);
	CHECK(st.no_new_privs);
	CHECK(st.seccomp_mode == 0);
	CHECK(st.seccomp_filters == -1); /* a kernel before 5.9 has no such line */
}

/* The optional seccomp lines: absent is fine (-1), present must be well
 * formed, and twice is ambiguous. */
static void test_seccomp(void)
{
	struct procstatus st;
	char buf[sizeof sample + 128];
	snprintf(buf, sizeof buf, "%sSeccomp_filters:\t3\n", sample);
	CHECK(procstatus_parse(buf, strlen(buf), &st) == 0);
	CHECK(st.seccomp_mode == 0 && st.seccomp_filters == 3);

	/* Neither line (a kernel without seccomp). */
	snprintf(buf, sizeof buf, "%s", sample);
	strstr(buf, "Seccomp:")[0] = '\0';
	CHECK(procstatus_parse(buf, strlen(buf), &st) == 0);
	CHECK(st.seccomp_mode == -1 && st.seccomp_filters == -1);

	/* On the sample without its Seccomp line: each of these alone. */
	const char *bad[] = {"Seccomp:\t3\n", "Seccomp:\t2 x\n", "Seccomp:\t\n",
			     "Seccomp_filters:\t-1\n", "Seccomp_filters:\t99999999999\n",
			     "Seccomp:\t2\nSeccomp:\t2\n"};
	char base[sizeof sample];
	snprintf(base, sizeof base, "%s", sample);
	strstr(base, "Seccomp:")[0] = '\0';
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(buf, sizeof buf, "%sSeccomp:\t2\n", base);
		CHECK(procstatus_parse(buf, strlen(buf), &st) == 0 && st.seccomp_mode == 2);
		snprintf(buf, sizeof buf, "%s%s", base, bad[i]);
		CHECK(procstatus_parse(buf, strlen(buf), &st) == -1);
	}
	snprintf(buf, sizeof buf, "%sSeccomp_filters:\t1\nSeccomp_filters:\t1\n", sample);
	CHECK(procstatus_parse(buf, strlen(buf), &st) == -1);
}

static void test_refusals(void)
{
	struct procstatus st;
	char buf[sizeof sample + 64];
	/* Each needed line missing in turn. */
	const char *needed[] = {"Uid:", "Gid:", "Groups:", "SigIgn:", "CapInh:", "CapPrm:",
				"CapEff:", "CapBnd:", "CapAmb:", "NoNewPrivs:"};
	for (size_t i = 0; i < sizeof needed / sizeof needed[0]; i++) {
		snprintf(buf, sizeof buf, "%s", sample);
		char *line = strstr(buf, needed[i]);
		line[0] = 'X'; /* rename the field */
		CHECK(procstatus_parse(buf, strlen(buf), &st) == -1);
	}
	/* A field twice is ambiguous. */
	snprintf(buf, sizeof buf, "%sCapBnd:\t0\n", sample);
	CHECK(procstatus_parse(buf, strlen(buf), &st) == -1);
	/* Malformed values. */
	const char *bad[][2] = {{"CapAmb:\t0000000000000400", "CapAmb:\t00000000000004zz"},
				{"NoNewPrivs:\t1", "NoNewPrivs:\t2"},
				{"Uid:\t0\t1000\t2\t3", "Uid:\t0\t1000"},
				{"CapPrm:\t000001ffffffffff", "CapPrm:\t1ffffffffffffffffff"}};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *at;
		snprintf(buf, sizeof buf, "%s", sample);
		at = strstr(buf, bad[i][0]);
		char rest[sizeof buf];
		snprintf(rest, sizeof rest, "%s", at + strlen(bad[i][0]));
		snprintf(at, sizeof buf - (size_t)(at - buf), "%s%s", bad[i][1], rest);
		CHECK(procstatus_parse(buf, strlen(buf), &st) == -1);
	}
}

static void test_this_process(void)
{
	/* The real file on this machine parses, and agrees with the kernel's
	 * other answers. */
	struct procstatus st;
	CHECK(procstatus_read(&st) == 0);
	CHECK(st.uid[0] == (uint32_t)getuid() && st.uid[1] == (uint32_t)geteuid());
	CHECK(st.seccomp_mode == prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
}

int main(void)
{
	test_sample();
	test_refusals();
	test_seccomp();
	test_this_process();
	return check_report("test_procstatus");
}
