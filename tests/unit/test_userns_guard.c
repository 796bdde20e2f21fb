/* The user-namespace guard's program, built for every kernel table and run
 * on a small classic-BPF interpreter that checks what the kernel's loader
 * checks and reads seccomp_data in the kernel's own byte order (so an
 * argument read from the wrong half on s390x shows up here, on amd64).
 *
 * `test_userns_guard --table` prints the tables for
 * tests/unit/check_syscall_numbers.sh, which compares them with the kernel
 * headers. */
#define _GNU_SOURCE
#include "userns_guard.h"

#include "check.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

/* ---- the constants are the kernel's ------------------------------------------ */

_Static_assert(sizeof(struct userns_insn) == sizeof(struct sock_filter), "sock_filter size");
_Static_assert(offsetof(struct userns_insn, jt) == offsetof(struct sock_filter, jt), "jt");
_Static_assert(offsetof(struct userns_insn, jf) == offsetof(struct sock_filter, jf), "jf");
_Static_assert(offsetof(struct userns_insn, k) == offsetof(struct sock_filter, k), "k");
_Static_assert(sizeof(struct userns_fprog) == sizeof(struct sock_fprog), "sock_fprog size");
_Static_assert(offsetof(struct userns_fprog, filter) == offsetof(struct sock_fprog, filter),
	       "sock_fprog filter");
_Static_assert(USERNS_SECCOMP_MODE_FILTER == SECCOMP_MODE_FILTER, "mode");
_Static_assert(USERNS_BPF_LD_W_ABS == (BPF_LD | BPF_W | BPF_ABS), "ld");
_Static_assert(USERNS_BPF_JEQ_K == (BPF_JMP | BPF_JEQ | BPF_K), "jeq");
_Static_assert(USERNS_BPF_JSET_K == (BPF_JMP | BPF_JSET | BPF_K), "jset");
_Static_assert(USERNS_BPF_RET_K == (BPF_RET | BPF_K), "ret");
_Static_assert(USERNS_RET_KILL_PROCESS == SECCOMP_RET_KILL_PROCESS, "kill");
_Static_assert(USERNS_RET_ERRNO == SECCOMP_RET_ERRNO, "errno");
_Static_assert(USERNS_RET_ALLOW == SECCOMP_RET_ALLOW, "allow");
_Static_assert(USERNS_CLONE_NEWUSER == CLONE_NEWUSER, "CLONE_NEWUSER");
_Static_assert(USERNS_DATA_NR == offsetof(struct seccomp_data, nr), "nr");
_Static_assert(USERNS_DATA_ARCH == offsetof(struct seccomp_data, arch), "arch");
_Static_assert(USERNS_DATA_ARGS == offsetof(struct seccomp_data, args), "args");
_Static_assert(sizeof(struct seccomp_data) == 64, "seccomp_data");
_Static_assert(USERNS_AUDIT_ARCH_X86_64 == AUDIT_ARCH_X86_64, "x86_64");
_Static_assert(USERNS_AUDIT_ARCH_I386 == AUDIT_ARCH_I386, "i386");
_Static_assert(USERNS_AUDIT_ARCH_AARCH64 == AUDIT_ARCH_AARCH64, "aarch64");
_Static_assert(USERNS_AUDIT_ARCH_ARM == AUDIT_ARCH_ARM, "arm");
_Static_assert(USERNS_AUDIT_ARCH_PPC64LE == AUDIT_ARCH_PPC64LE, "ppc64le");
_Static_assert(USERNS_AUDIT_ARCH_PPC == AUDIT_ARCH_PPC, "ppc");
_Static_assert(USERNS_AUDIT_ARCH_S390X == AUDIT_ARCH_S390X, "s390x");
_Static_assert(USERNS_AUDIT_ARCH_S390 == AUDIT_ARCH_S390, "s390");
_Static_assert(USERNS_AUDIT_ARCH_RISCV64 == AUDIT_ARCH_RISCV64, "riscv64");
_Static_assert(USERNS_AUDIT_ARCH_RISCV32 == AUDIT_ARCH_RISCV32, "riscv32");

#define RET_EPERM (SECCOMP_RET_ERRNO | EPERM)
#define RET_ENOSYS (SECCOMP_RET_ERRNO | ENOSYS)
#define X32_BIT 0x40000000u

/* ---- a classic BPF interpreter for seccomp ------------------------------------ */

/* The kernel's loader: a non-empty program of at most BPF_MAXINSNS whose
 * jumps stay inside it and end at a RET, whose loads are 32-bit, aligned
 * and inside seccomp_data, with no instruction a seccomp filter may not
 * use (this builder needs only these). */
static bool valid(const struct userns_insn *prog, size_t len)
{
	if (len == 0 || len > BPF_MAXINSNS || prog[len - 1].code != (BPF_RET | BPF_K))
		return false;
	for (size_t pc = 0; pc < len; pc++) {
		const struct userns_insn *in = &prog[pc];
		switch (in->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (in->k % 4 != 0 || in->k > sizeof(struct seccomp_data) - 4)
				return false;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
		case BPF_JMP | BPF_JSET | BPF_K:
			if (pc + 1 + in->jt >= len || pc + 1 + in->jf >= len)
				return false;
			break;
		case BPF_RET | BPF_K:
			break;
		default:
			return false;
		}
	}
	return true;
}

/* seccomp_data as the kernel lays it out in its own byte order. */
struct data {
	uint8_t b[64];
};

static void put(uint8_t *p, uint64_t v, size_t size, bool big_endian)
{
	for (size_t i = 0; i < size; i++)
		p[big_endian ? size - 1 - i : i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p, bool big_endian)
{
	uint32_t v = 0;
	for (size_t i = 0; i < 4; i++)
		v |= (uint32_t)p[big_endian ? 3 - i : i] << (8 * i);
	return v;
}

static struct data make_data(bool big_endian, uint32_t arch, uint32_t nr, const uint64_t args[6])
{
	struct data d = {{0}};
	put(d.b + 0, nr, 4, big_endian);
	put(d.b + 4, arch, 4, big_endian);
	put(d.b + 8, 0x7f0000001234ull, 8, big_endian);
	for (int i = 0; i < 6; i++)
		put(d.b + 16 + 8 * i, args[i], 8, big_endian);
	return d;
}

static uint32_t run(const struct userns_insn *prog, size_t len, const struct data *d,
		    bool big_endian)
{
	uint32_t acc = 0;
	for (size_t pc = 0; pc < len; pc++) {
		const struct userns_insn *in = &prog[pc];
		switch (in->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			acc = get32(d->b + in->k, big_endian);
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += acc == in->k ? in->jt : in->jf;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			pc += (acc & in->k) ? in->jt : in->jf;
			break;
		case BPF_RET | BPF_K:
			return in->k;
		default:
			return 0xdeadbeef;
		}
	}
	return 0xdeadbeef; /* fell off the end: valid() refuses that */
}

/* ---- the rule, per kernel and ABI --------------------------------------------- */

struct built {
	const struct userns_arch *arch;
	struct userns_insn prog[USERNS_GUARD_MAX_INSNS];
	size_t len;
};

static uint32_t call(const struct built *b, uint32_t audit_arch, uint32_t nr, uint64_t a0,
		     uint64_t a1)
{
	const uint64_t args[6] = {a0, a1, 0, 0, 0, 0};
	struct data d = make_data(b->arch->big_endian, audit_arch, nr, args);
	return run(b->prog, b->len, &d, b->arch->big_endian);
}

/* A call whose flags go where this ABI's clone reads them; `other` goes in
 * the other of the first two arguments (s390's stack, elsewhere the stack
 * too). */
static uint32_t clone_call(const struct built *b, const struct userns_abi *abi, uint64_t flags,
			   uint64_t other)
{
	return abi->clone_flags_arg == 1 ? call(b, abi->audit_arch, abi->nr_clone, other, flags)
					 : call(b, abi->audit_arch, abi->nr_clone, flags, other);
}

static bool is_guarded_nr(const struct userns_arch *arch, uint32_t audit_arch, uint32_t nr)
{
	for (size_t i = 0; i < arch->nabi; i++) {
		const struct userns_abi *abi = &arch->abi[i];
		if (abi->audit_arch == audit_arch &&
		    (nr == abi->nr_unshare || nr == abi->nr_clone || nr == abi->nr_clone3))
			return true;
	}
	return false;
}

static const uint64_t thread_flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
				     CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS |
				     CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;

static void check_abi(const struct built *b, const struct userns_abi *abi)
{
	uint32_t arch = abi->audit_arch;
	/* unshare */
	CHECK_EQ_U64(call(b, arch, abi->nr_unshare, CLONE_NEWUSER, 0), RET_EPERM);
	CHECK_EQ_U64(call(b, arch, abi->nr_unshare, CLONE_NEWUSER | CLONE_NEWNS, 0), RET_EPERM);
	CHECK_EQ_U64(call(b, arch, abi->nr_unshare, CLONE_NEWUSER | 0xffffffff00000000ull, 0),
		     RET_EPERM);
	CHECK_EQ_U64(call(b, arch, abi->nr_unshare, 0, 0), SECCOMP_RET_ALLOW);
	CHECK_EQ_U64(call(b, arch, abi->nr_unshare, CLONE_NEWNS, CLONE_NEWUSER), SECCOMP_RET_ALLOW);
	CHECK_EQ_U64(call(b, arch, abi->nr_unshare, CLONE_FILES | CLONE_FS | CLONE_NEWNET, 0),
		     SECCOMP_RET_ALLOW);
	/* Bit 28 of the upper half is not CLONE_NEWUSER: the low half decides. */
	CHECK_EQ_U64(call(b, arch, abi->nr_unshare, (uint64_t)CLONE_NEWUSER << 32, 0),
		     SECCOMP_RET_ALLOW);
	/* clone: fork, threads, and with the flag */
	CHECK_EQ_U64(clone_call(b, abi, SIGCHLD, 0), SECCOMP_RET_ALLOW);
	CHECK_EQ_U64(clone_call(b, abi, thread_flags, 0x7ffff0000000ull), SECCOMP_RET_ALLOW);
	CHECK_EQ_U64(clone_call(b, abi, CLONE_NEWUSER | SIGCHLD, 0), RET_EPERM);
	CHECK_EQ_U64(clone_call(b, abi, CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | SIGCHLD, 0),
		     RET_EPERM);
	CHECK_EQ_U64(clone_call(b, abi, CLONE_NEWNS | SIGCHLD, 0), SECCOMP_RET_ALLOW);
	/* A stack address with bit 28 set is not a flag: the argument's
	 * position matters (s390 takes the stack first). */
	CHECK_EQ_U64(clone_call(b, abi, SIGCHLD, CLONE_NEWUSER), SECCOMP_RET_ALLOW);
	CHECK_EQ_U64(clone_call(b, abi, (uint64_t)CLONE_NEWUSER << 32 | SIGCHLD, 0),
		     SECCOMP_RET_ALLOW);
	/* clone3: whatever its arguments */
	CHECK_EQ_U64(call(b, arch, abi->nr_clone3, 0, 0), RET_ENOSYS);
	CHECK_EQ_U64(call(b, arch, abi->nr_clone3, 0x7ffff000ull, 88), RET_ENOSYS);
	/* Every other system call number of this ABI's range, with every
	 * argument bit set (setns(fd, CLONE_NEWUSER) joins, it creates
	 * nothing). */
	uint32_t base = abi->nr_unshare & X32_BIT;
	unsigned other_allowed = 0, other_total = 0;
	for (uint32_t n = 0; n < 1100; n++) {
		uint32_t nr = base | n;
		if (is_guarded_nr(b->arch, arch, nr))
			continue;
		other_total++;
		other_allowed += call(b, arch, nr, ~0ull, ~0ull) == SECCOMP_RET_ALLOW;
	}
	CHECK(other_total > 1000);
	CHECK_EQ_U64(other_allowed, other_total);
}

static const uint32_t every_audit_arch[] = {
	USERNS_AUDIT_ARCH_X86_64, USERNS_AUDIT_ARCH_I386, USERNS_AUDIT_ARCH_AARCH64,
	USERNS_AUDIT_ARCH_ARM, USERNS_AUDIT_ARCH_PPC64LE, USERNS_AUDIT_ARCH_PPC,
	USERNS_AUDIT_ARCH_S390X, USERNS_AUDIT_ARCH_S390, USERNS_AUDIT_ARCH_RISCV64,
	USERNS_AUDIT_ARCH_RISCV32, AUDIT_ARCH_PPC64, AUDIT_ARCH_MIPS, AUDIT_ARCH_MIPSEL64,
	AUDIT_ARCH_AARCH64 & ~__AUDIT_ARCH_LE /* big-endian arm64 */, AUDIT_ARCH_ARMEB, 0,
	0xffffffffu,
};

static bool arch_in_table(const struct userns_arch *arch, uint32_t audit_arch)
{
	for (size_t i = 0; i < arch->nabi; i++)
		if (arch->abi[i].audit_arch == audit_arch)
			return true;
	return false;
}

/* Another kernel's ABI (or an unknown one) is never let through: the
 * process is killed, for the numbers it would use and for harmless ones. */
static void check_foreign(const struct built *b)
{
	for (size_t i = 0; i < sizeof every_audit_arch / sizeof every_audit_arch[0]; i++) {
		uint32_t audit_arch = every_audit_arch[i];
		if (arch_in_table(b->arch, audit_arch))
			continue;
		const uint32_t nrs[] = {0, 1, 39, 56, 97, 120, 220, 272, 282, 303, 310, 337, 435};
		for (size_t j = 0; j < sizeof nrs / sizeof nrs[0]; j++)
			CHECK_EQ_U64(call(b, audit_arch, nrs[j], 0, 0), SECCOMP_RET_KILL_PROCESS);
	}
}

static void test_every_kernel(void)
{
	for (size_t k = 0; k < userns_nkernels; k++) {
		struct built b = {.arch = userns_all_kernels[k]};
		b.len = userns_guard_build(b.arch, b.prog, USERNS_GUARD_MAX_INSNS);
		printf("%s kernel (builds: %s): %zu instructions for", b.arch->name, b.arch->builds,
		       b.len);
		for (size_t i = 0; i < b.arch->nabi; i++)
			printf(" %s", b.arch->abi[i].name);
		printf("\n");
		CHECK(b.len > 0);
		CHECK(valid(b.prog, b.len));
		if (b.len == 0)
			continue;
		for (size_t i = 0; i < b.arch->nabi; i++)
			check_abi(&b, &b.arch->abi[i]);
		check_foreign(&b);
	}
}

/* The tests above can fail: with the byte order wrong, the low half of an
 * argument is read from the wrong place and the flag is missed. */
static void test_byte_order_matters(void)
{
	for (size_t k = 0; k < userns_nkernels; k++) {
		struct userns_arch wrong = *userns_all_kernels[k];
		wrong.big_endian = !wrong.big_endian;
		struct built b = {.arch = &wrong};
		b.len = userns_guard_build(&wrong, b.prog, USERNS_GUARD_MAX_INSNS);
		CHECK(b.len > 0);
		/* Run on the real kernel's layout. */
		b.arch = userns_all_kernels[k];
		const struct userns_abi *abi = &b.arch->abi[0];
		CHECK(call(&b, abi->audit_arch, abi->nr_unshare, CLONE_NEWUSER, 0) ==
		      SECCOMP_RET_ALLOW);
	}
}

static void test_room(void)
{
	struct userns_insn prog[USERNS_GUARD_MAX_INSNS];
	size_t need = userns_guard_build(&userns_kernel_x86, prog, USERNS_GUARD_MAX_INSNS);
	CHECK(need > 0);
	CHECK(userns_guard_build(&userns_kernel_x86, prog, need - 1) == 0);
	CHECK(userns_guard_build(&userns_kernel_x86, prog, need) == need);
	struct userns_arch none = {.name = "none", .nabi = 0};
	CHECK(userns_guard_build(&none, prog, USERNS_GUARD_MAX_INSNS) == 0);
}

static void test_native(void)
{
#if defined(__x86_64__)
	CHECK(userns_guard_native() == &userns_kernel_x86);
#elif defined(__aarch64__)
	CHECK(userns_guard_native() == &userns_kernel_arm);
#else
	CHECK(userns_guard_native() != NULL);
#endif
}

static int print_table(void)
{
	for (size_t k = 0; k < userns_nkernels; k++) {
		const struct userns_arch *arch = userns_all_kernels[k];
		for (size_t i = 0; i < arch->nabi; i++) {
			const struct userns_abi *abi = &arch->abi[i];
			printf("%s %s %u %u %u\n", arch->name, abi->name, abi->nr_unshare,
			       abi->nr_clone, abi->nr_clone3);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--table") == 0)
		return print_table();
	test_every_kernel();
	test_byte_order_matters();
	test_room();
	test_native();
	return check_report("test_userns_guard");
}
