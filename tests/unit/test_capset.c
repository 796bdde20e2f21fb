/* Capability names and lists: what is a name, what is an error. */
#include "capset.h"

#include <linux/capability.h>
#include <sys/capability.h>

#include "check.h"

static int bit(const char *s) { return capname_to_bit(s, strlen(s)); }

static void test_names(void)
{
	CHECK(bit("net_bind_service") == CAP_NET_BIND_SERVICE);
	CHECK(bit("CAP_NET_BIND_SERVICE") == CAP_NET_BIND_SERVICE);
	CHECK(bit("NET_BIND_SERVICE") == CAP_NET_BIND_SERVICE);
	CHECK(bit("Cap_Net_Bind_Service") == CAP_NET_BIND_SERVICE);
	CHECK(bit("chown") == CAP_CHOWN);
	CHECK(bit("checkpoint_restore") == CAP_CHECKPOINT_RESTORE);
	/* Not names: numbers, junk libcap would accept, empty CAP_, unknown. */
	CHECK(bit("12") == -1);
	CHECK(bit("cap_12") == -1);
	CHECK(bit("CAP_") == -1);
	CHECK(bit("") == -1);
	CHECK(bit("chownx") == -1);
	CHECK(bit("chown1") == -1);
	CHECK(bit("chown ") == -1);
	CHECK(bit("ch\xc3\x96wn") == -1);
	CHECK(bit("all") == -1);
	CHECK(capset_known_bits() == CAP_LAST_CAP + 1);
}

/* Our name table must be libcap's, entry for entry. */
static void test_table_matches_libcap(void)
{
	for (int b = 0; b <= CAP_LAST_CAP; b++) {
		char *theirs = cap_to_name(b);
		CHECK(theirs && capset_lower_name(b) && strcmp(theirs, capset_lower_name(b)) == 0);
		cap_value_t v = -1;
		CHECK(cap_from_name(capset_lower_name(b), &v) == 0 && v == b);
		cap_free(theirs);
	}
	CHECK(capset_lower_name(CAP_LAST_CAP + 1) == NULL);
	CHECK(capset_lower_name(-1) == NULL);
}

static void test_name_of_bit(void)
{
	char buf[64];
	capname_of_bit(CAP_NET_BIND_SERVICE, buf, sizeof buf);
	CHECK(strcmp(buf, "NET_BIND_SERVICE") == 0);
	capname_of_bit(CAP_LAST_CAP + 2, buf, sizeof buf); /* newer than libcap */
	char want[16];
	snprintf(want, sizeof want, "CAP_%d", CAP_LAST_CAP + 2);
	CHECK(strcmp(buf, want) == 0);
}

/* Parse and return the mask; on error, the message goes to err. */
static int parse(const char *list, bool all_allowed, capmask *mask, bool *all, char *err)
{
	return caplist_parse(list, "VAR", all_allowed, mask, all, err, 300);
}

static void test_lists(void)
{
	capmask m;
	bool all;
	char err[300];
	capmask chown_kill = CAPMASK_BIT(CAP_CHOWN) | CAPMASK_BIT(CAP_KILL);
	const char *good[] = {"chown,kill", "CHOWN KILL", "cap_chown, CAP_KILL",
			      " chown\t,\n kill ", "kill,chown,kill"};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		CHECK(parse(good[i], true, &m, &all, err) == 0);
		CHECK_EQ_U64(m, chown_kill);
		CHECK(!all);
	}
	CHECK(parse("", true, &m, &all, err) == 0 && m == 0 && !all);
	CHECK(parse("  ", true, &m, &all, err) == 0 && m == 0);
	CHECK(parse("ALL", true, &m, &all, err) == 0 && all && m == 0);
	CHECK(parse(" all ", true, &m, &all, err) == 0 && all);

	struct {
		const char *list;
		const char *needle;
	} bad[] = {
		{"NET_BIND_SERVCE", "did you mean NET_BIND_SERVICE"},
		{"cap_net_bind_servcie", "did you mean NET_BIND_SERVICE"},
		{"CAP_", "no name after the CAP_ prefix"},
		{"12", "is a number"},
		{"CHOWN;KILL", "'CHOWN;KILL' is not a capability name"},
		{"CHOWN|KILL", "'CHOWN|KILL'"},
		{"CHOWN+KILL", "'CHOWN+KILL'"},
		{"CH\xc3\x96WN", "is not a capability name"},
		{"CHOWN,,KILL", "empty name"},
		{",CHOWN", "empty name"},
		{"CHOWN,", "ends with a comma"},
		{"ALL,CHOWN", "'ALL' must stand alone"},
		{"CHOWN ALL", "'ALL' must stand alone"},
		{"florp", "unknown capability 'florp'"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		CHECK(parse(bad[i].list, true, &m, &all, err) == -1);
		CHECK_CONTAINS(err, bad[i].needle);
		CHECK_CONTAINS(err, "VAR: ");
	}
	/* A garbage token is not "corrected" into an unrelated capability. */
	CHECK(parse("florp", true, &m, &all, err) == -1);
	CHECK(strstr(err, "did you mean") == NULL);
	CHECK(parse("ALL", false, &m, &all, err) == -1);
	CHECK_CONTAINS(err, "'ALL' is not allowed");
}

static void test_format(void)
{
	char buf[256];
	capmask_format(0, ",", buf, sizeof buf);
	CHECK(strcmp(buf, "none") == 0);
	capmask_format(CAPMASK_BIT(CAP_CHOWN) | CAPMASK_BIT(CAP_NET_BIND_SERVICE), ",", buf,
		       sizeof buf);
	CHECK(strcmp(buf, "CHOWN,NET_BIND_SERVICE") == 0);
	char small[12];
	capmask_format(capmask_first(41), ",", small, sizeof small);
	CHECK(strlen(small) < sizeof small);
	CHECK_CONTAINS(small, "...");
	CHECK_EQ_U64(capmask_first(0), 0);
	CHECK_EQ_U64(capmask_first(41), 0x1ffffffffffull);
	CHECK_EQ_U64(capmask_first(64), ~0ull);
}

int main(void)
{
	test_names();
	test_table_matches_libcap();
	test_name_of_bit();
	test_lists();
	test_format();
	return check_report("test_capset");
}
