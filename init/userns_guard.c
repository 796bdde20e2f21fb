#include "userns_guard.h"

#include <errno.h>

/* The tables. Numbers from the kernel headers (asm/unistd*.h of
 * linux-libc-dev and Debian's linux-libc-dev-ARCH-cross packages), checked
 * by tests/unit/check_syscall_numbers.sh; AUDIT_ARCH values from
 * linux/audit.h, checked by the unit test. */

/* x86_64 kernels run 64-bit, x32 (the same AUDIT_ARCH, numbers with
 * __X32_SYSCALL_BIT) and i386 code, the last also from a 64-bit program
 * through `int $0x80`. */
const struct userns_arch userns_kernel_x86 = {
	.name = "x86_64",
	.builds = "amd64",
	.big_endian = false,
	.nabi = 3,
	.abi = {
		{"x86_64", USERNS_AUDIT_ARCH_X86_64, 272, 56, 435, 0},
		{"x32", USERNS_AUDIT_ARCH_X86_64, 0x40000000u + 272, 0x40000000u + 56,
		 0x40000000u + 435, 0},
		{"i386", USERNS_AUDIT_ARCH_I386, 310, 120, 435, 0},
	},
};

/* arm64 kernels run 32-bit ARM (EABI) code; an armv7 build may run on
 * either kernel. A 32-bit kernel with the old ABI's compatibility
 * (OABI_COMPAT) offers no seccomp filters at all, so installing fails
 * there rather than leaving that ABI open. */
const struct userns_arch userns_kernel_arm = {
	.name = "aarch64",
	.builds = "arm64, armv7",
	.big_endian = false,
	.nabi = 2,
	.abi = {
		{"aarch64", USERNS_AUDIT_ARCH_AARCH64, 97, 220, 435, 0},
		{"arm", USERNS_AUDIT_ARCH_ARM, 337, 120, 435, 0},
	},
};

/* A little-endian ppc64 kernel built with COMPAT runs 32-bit (big-endian
 * userland) code, reported as AUDIT_ARCH_PPC; the kernel's byte order is
 * what decides where an argument's low half sits. */
const struct userns_arch userns_kernel_ppc64le = {
	.name = "ppc64le",
	.builds = "ppc64le",
	.big_endian = false,
	.nabi = 2,
	.abi = {
		{"ppc64le", USERNS_AUDIT_ARCH_PPC64LE, 282, 120, 435, 0},
		{"ppc", USERNS_AUDIT_ARCH_PPC, 282, 120, 435, 0},
	},
};

/* s390x kernels run 31-bit s390 code. Both take clone's stack first and
 * its flags second (CONFIG_CLONE_BACKWARDS2). */
const struct userns_arch userns_kernel_s390x = {
	.name = "s390x",
	.builds = "s390x",
	.big_endian = true,
	.nabi = 2,
	.abi = {
		{"s390x", USERNS_AUDIT_ARCH_S390X, 303, 120, 435, 1},
		{"s390", USERNS_AUDIT_ARCH_S390, 303, 120, 435, 1},
	},
};

/* riscv64 kernels from 5.19 may run rv32 code (COMPAT); both use the
 * generic numbers. */
const struct userns_arch userns_kernel_riscv = {
	.name = "riscv64",
	.builds = "riscv64",
	.big_endian = false,
	.nabi = 2,
	.abi = {
		{"riscv64", USERNS_AUDIT_ARCH_RISCV64, 97, 220, 435, 0},
		{"riscv32", USERNS_AUDIT_ARCH_RISCV32, 97, 220, 435, 0},
	},
};

const struct userns_arch *const userns_all_kernels[] = {
	&userns_kernel_x86, &userns_kernel_arm, &userns_kernel_ppc64le, &userns_kernel_s390x,
	&userns_kernel_riscv,
};
const size_t userns_nkernels = sizeof userns_all_kernels / sizeof userns_all_kernels[0];

const struct userns_arch *userns_guard_native(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return &userns_kernel_x86;
#elif (defined(__aarch64__) || defined(__arm__)) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return &userns_kernel_arm;
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return &userns_kernel_ppc64le;
#elif defined(__s390x__) || defined(__s390__)
	return &userns_kernel_s390x;
#elif defined(__riscv)
	return &userns_kernel_riscv;
#else
	return NULL;
#endif
}

/* ---- the assembler: forward jumps to labels, resolved at the end ---------- */

#define MAX_ARGS 6
#define L_ALLOW 0
#define L_EPERM 1
#define L_ENOSYS 2
#define L_BLOCK(g) (3 + (g) * (1 + MAX_ARGS))
#define L_CHECK(g, arg) (L_BLOCK(g) + 1 + (arg))
#define MAX_LABELS L_BLOCK(USERNS_MAX_ABIS)
#define NEXT (-1) /* fall through to the next instruction */

struct assembler {
	struct userns_insn *prog;
	size_t cap, n;
	bool failed;
	int at[MAX_LABELS]; /* where each label was placed, -1: not yet */
	struct {
		uint8_t insn, label;
		bool jt;
	} fix[2 * USERNS_GUARD_MAX_INSNS];
	size_t nfix;
};

static void emit(struct assembler *a, uint16_t code, uint32_t k)
{
	if (a->n >= a->cap) {
		a->failed = true;
		return;
	}
	a->prog[a->n++] = (struct userns_insn){code, 0, 0, k};
}

static void refer(struct assembler *a, bool jt, int label)
{
	if (label == NEXT || a->failed)
		return;
	if (a->nfix >= sizeof a->fix / sizeof a->fix[0]) {
		a->failed = true;
		return;
	}
	a->fix[a->nfix].insn = (uint8_t)(a->n - 1);
	a->fix[a->nfix].jt = jt;
	a->fix[a->nfix].label = (uint8_t)label;
	a->nfix++;
}

static void jump(struct assembler *a, uint16_t code, uint32_t k, int if_true, int if_false)
{
	emit(a, code, k);
	refer(a, true, if_true);
	refer(a, false, if_false);
}

static void place(struct assembler *a, int label) { a->at[label] = (int)a->n; }

static bool resolve(struct assembler *a)
{
	for (size_t i = 0; i < a->nfix; i++) {
		int to = a->at[a->fix[i].label];
		long off = (long)to - (long)a->fix[i].insn - 1;
		/* Classic BPF jumps forward only, at most 255 instructions. */
		if (to < 0 || off < 0 || off > 255)
			return false;
		if (a->fix[i].jt)
			a->prog[a->fix[i].insn].jt = (uint8_t)off;
		else
			a->prog[a->fix[i].insn].jf = (uint8_t)off;
	}
	return true;
}

/* Offset in seccomp_data of the low 32 bits of args[i]: CLONE_NEWUSER is
 * bit 28, and clone itself reads only the low half of its flags. */
static uint32_t arg_low(const struct userns_arch *arch, unsigned i)
{
	return USERNS_DATA_ARGS + 8 * i + (arch->big_endian ? 4 : 0);
}

/* The system calls of every ABI reported under group g's AUDIT_ARCH. */
static void emit_block(struct assembler *a, const struct userns_arch *arch, size_t g,
		       uint32_t audit_arch)
{
	unsigned used = 0; /* argument checks this block jumps to */
	place(a, L_BLOCK(g));
	emit(a, USERNS_BPF_LD_W_ABS, USERNS_DATA_NR);
	for (size_t i = 0; i < arch->nabi; i++) {
		const struct userns_abi *abi = &arch->abi[i];
		if (abi->audit_arch != audit_arch)
			continue;
		unsigned flags_arg = abi->clone_flags_arg < MAX_ARGS ? abi->clone_flags_arg : 0;
		jump(a, USERNS_BPF_JEQ_K, abi->nr_unshare, L_CHECK(g, 0), NEXT);
		jump(a, USERNS_BPF_JEQ_K, abi->nr_clone, L_CHECK(g, flags_arg), NEXT);
		jump(a, USERNS_BPF_JEQ_K, abi->nr_clone3, L_ENOSYS, NEXT);
		used |= 1u << 0 | 1u << flags_arg;
	}
	emit(a, USERNS_BPF_RET_K, USERNS_RET_ALLOW);
	for (unsigned arg = 0; arg < MAX_ARGS; arg++) {
		if (!(used & 1u << arg))
			continue;
		place(a, L_CHECK(g, arg));
		emit(a, USERNS_BPF_LD_W_ABS, arg_low(arch, arg));
		jump(a, USERNS_BPF_JSET_K, USERNS_CLONE_NEWUSER, L_EPERM, L_ALLOW);
	}
}

size_t userns_guard_build(const struct userns_arch *arch, struct userns_insn *prog, size_t cap)
{
	/* Instruction indexes are kept in a byte: a program this builder
	 * makes is a few dozen instructions. */
	struct assembler a = {.prog = prog, .cap = cap < 256 ? cap : 256};
	for (int i = 0; i < MAX_LABELS; i++)
		a.at[i] = -1;
	if (arch->nabi == 0 || arch->nabi > USERNS_MAX_ABIS)
		return 0;

	/* The distinct AUDIT_ARCH values, in table order (native first). */
	uint32_t groups[USERNS_MAX_ABIS] = {0};
	size_t ngroups = 0;
	for (size_t i = 0; i < arch->nabi; i++) {
		bool seen = false;
		for (size_t g = 0; g < ngroups; g++)
			seen |= groups[g] == arch->abi[i].audit_arch;
		if (!seen)
			groups[ngroups++] = arch->abi[i].audit_arch;
	}

	emit(&a, USERNS_BPF_LD_W_ABS, USERNS_DATA_ARCH);
	for (size_t g = 0; g < ngroups; g++)
		jump(&a, USERNS_BPF_JEQ_K, groups[g], L_BLOCK(g), NEXT);
	emit(&a, USERNS_BPF_RET_K, USERNS_RET_KILL_PROCESS);
	for (size_t g = 0; g < ngroups; g++)
		emit_block(&a, arch, g, groups[g]);
	place(&a, L_ALLOW);
	emit(&a, USERNS_BPF_RET_K, USERNS_RET_ALLOW);
	place(&a, L_EPERM);
	emit(&a, USERNS_BPF_RET_K, USERNS_RET_ERRNO | EPERM);
	place(&a, L_ENOSYS);
	emit(&a, USERNS_BPF_RET_K, USERNS_RET_ERRNO | ENOSYS);
	if (a.failed || !resolve(&a))
		return 0;
	return a.n;
}
