/* /proc/self/mountinfo lines as the kernel writes them. */
#include "mountinfo.h"

#include "check.h"

static bool parse(const char *line, struct mount_entry *e)
{
	return mountinfo_parse(line, strlen(line), e);
}

int main(void)
{
	struct mount_entry e;
	CHECK(parse("22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,errors=remount-ro",
		    &e));
	CHECK(e.id == 22 && e.parent == 1 && strcmp(e.point, "/") == 0);
	CHECK(strcmp(e.fstype, "ext4") == 0 && !e.ro && !e.nosuid);
	/* No optional fields; several options. */
	CHECK(parse("30 22 0:26 / /dev/shm rw,nosuid,nodev,noexec - tmpfs tmpfs rw", &e));
	CHECK(strcmp(e.point, "/dev/shm") == 0 && e.nosuid && e.nodev && e.noexec && !e.ro);
	/* Several optional fields, a read-only mount. */
	CHECK(parse("40 22 0:30 / /sys/fs/cgroup ro,nosuid shared:9 master:3 - cgroup2 cgroup2 rw",
		    &e));
	CHECK(strcmp(e.fstype, "cgroup2") == 0 && e.ro && mountinfo_is_kernel_fs(e.fstype));
	/* Octal escapes in the mount point: a space and a backslash. */
	CHECK(parse("50 22 0:40 / /mnt/a\\040b\\134c rw - tmpfs none rw", &e));
	CHECK(strcmp(e.point, "/mnt/a b\\c") == 0);
	/* A docker file bind mount. */
	CHECK(parse("60 22 8:1 /var/lib/docker/containers/x/hosts /etc/hosts rw,relatime - ext4 "
		    "/dev/vda1 rw",
		    &e));
	CHECK(strcmp(e.point, "/etc/hosts") == 0 && !mountinfo_is_kernel_fs(e.fstype));
	CHECK(mountinfo_is_kernel_fs("proc") && mountinfo_is_kernel_fs("devpts"));
	CHECK(!mountinfo_is_kernel_fs("overlay") && !mountinfo_is_kernel_fs("tmpfs"));
	/* Malformed: no separator, no type, not absolute, a NUL by escape,
	 * a bad number, empty. */
	CHECK(!parse("22 1 8:1 / / rw,relatime shared:1 ext4 /dev/vda1 rw", &e));
	CHECK(!parse("22 1 8:1 / / rw -", &e));
	CHECK(!parse("22 1 8:1 / rel rw - ext4 x rw", &e));
	CHECK(!parse("22 1 8:1 / /a\\000b rw - ext4 x rw", &e));
	CHECK(!parse("2x 1 8:1 / / rw - ext4 x rw", &e));
	CHECK(!parse("", &e));
	/* Truncated anywhere: never reads past len (ASan would see it). */
	static const char full[] = "30 22 0:26 / /dev/shm rw,nosuid,nodev,noexec - tmpfs tmpfs rw";
	for (size_t n = 0; n < sizeof full - 1; n++)
		(void)mountinfo_parse(full, n, &e);
	/* A mount point longer than the buffer is refused, not cut. */
	char longline[2 * MOUNTINFO_PATH_MAX];
	memset(longline, 'a', sizeof longline);
	memcpy(longline, "1 1 0:1 / /", 11);
	memcpy(longline + sizeof longline - 16, " rw - tmpfs x r", 16);
	CHECK(!mountinfo_parse(longline, sizeof longline - 1, &e));
	return check_report("mountinfo");
}
