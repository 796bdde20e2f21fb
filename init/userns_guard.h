/* The user-namespace guard: a seccomp program that refuses creating a user
 * namespace.
 *
 * Why: an app without capabilities can still unshare(CLONE_NEWUSER) and be
 * "root" with every capability inside the new namespace, which reaches
 * kernel code that capabilities exist to keep it from (most recent
 * container escapes start there). Docker's and Podman's default profiles
 * refuse it; a Kubernetes pod runs Unconfined unless told otherwise.
 *
 * The rule, on every system call ABI the kernel offers a process:
 *  - unshare and clone with CLONE_NEWUSER in their flags: EPERM;
 *  - clone3: ENOSYS (its flags live in memory a filter cannot read; C
 *    libraries then fall back to clone, as under Docker's default profile);
 *  - any other system call: allowed;
 *  - an AUDIT_ARCH the table does not know: the process is killed (it cannot
 *    come from this kernel, and nothing unfiltered may get through).
 *
 * Pure: the program is a function of an architecture descriptor (the
 * kernel's byte order and, per ABI, its AUDIT_ARCH value, system call
 * numbers and where clone keeps its flags), so the unit tests build and
 * run it for every architecture on any host. The numbers are the kernel
 * headers' (asm/unistd*.h), checked against them by
 * tests/unit/check_syscall_numbers.sh. privilege.c installs the program.
 *
 * Not libseccomp: it would bring its own copies of every architecture's
 * syscall tables and a general rule compiler, tens of kB in a static binary
 * that must stay well under 100 kB, for one rule that is a few dozen
 * instructions (docs/userns.md). */
#ifndef INIT_USERNS_GUARD_H
#define INIT_USERNS_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Kernel ABI (linux/filter.h, linux/seccomp.h, linux/audit.h, which a
 * musl build does not see); the unit test compares each with the headers. */
#define USERNS_BPF_LD_W_ABS 0x20  /* BPF_LD | BPF_W | BPF_ABS */
#define USERNS_BPF_JEQ_K 0x15     /* BPF_JMP | BPF_JEQ | BPF_K */
#define USERNS_BPF_JSET_K 0x45    /* BPF_JMP | BPF_JSET | BPF_K */
#define USERNS_BPF_RET_K 0x06     /* BPF_RET | BPF_K */
#define USERNS_RET_KILL_PROCESS 0x80000000u
#define USERNS_RET_ERRNO 0x00050000u
#define USERNS_RET_ALLOW 0x7fff0000u
#define USERNS_CLONE_NEWUSER 0x10000000u
/* struct seccomp_data: int nr; __u32 arch; __u64 instruction_pointer;
 * __u64 args[6]. */
#define USERNS_DATA_NR 0
#define USERNS_DATA_ARCH 4
#define USERNS_DATA_ARGS 16

#define USERNS_AUDIT_ARCH_X86_64 0xc000003eu
#define USERNS_AUDIT_ARCH_I386 0x40000003u
#define USERNS_AUDIT_ARCH_AARCH64 0xc00000b7u
#define USERNS_AUDIT_ARCH_ARM 0x40000028u
#define USERNS_AUDIT_ARCH_PPC64LE 0xc0000015u
#define USERNS_AUDIT_ARCH_PPC 0x00000014u
#define USERNS_AUDIT_ARCH_S390X 0x80000016u
#define USERNS_AUDIT_ARCH_S390 0x00000016u
#define USERNS_AUDIT_ARCH_RISCV64 0xc00000f3u
#define USERNS_AUDIT_ARCH_RISCV32 0x400000f3u

#define USERNS_SECCOMP_MODE_FILTER 2 /* PR_SET_SECCOMP's mode; Seccomp: 2 */

/* One instruction, laid out as the kernel's struct sock_filter. */
struct userns_insn {
	uint16_t code;
	uint8_t jt, jf;
	uint32_t k;
};

/* The program as PR_SET_SECCOMP takes it (struct sock_fprog). */
struct userns_fprog {
	unsigned short len;
	struct userns_insn *filter;
};

/* One system call ABI of a kernel. ABIs may share an AUDIT_ARCH value (x32
 * and x86_64: x32's numbers carry bit 30). */
struct userns_abi {
	const char *name; /* "x86_64", "i386", "x32", ... */
	uint32_t audit_arch;
	uint32_t nr_unshare, nr_clone, nr_clone3;
	uint8_t clone_flags_arg; /* 0; 1 on s390, whose clone takes the stack first */
};

#define USERNS_MAX_ABIS 3

/* A kernel: every ABI it offers a process, and its byte order, which says
 * where the low 32 bits of a 64-bit argument sit in seccomp_data (+4 on a
 * big-endian kernel, whatever the calling ABI). */
struct userns_arch {
	const char *name;  /* the kernel, e.g. "x86_64 (amd64)" */
	const char *builds; /* the release builds that run on it */
	bool big_endian;
	size_t nabi;
	struct userns_abi abi[USERNS_MAX_ABIS];
};

extern const struct userns_arch userns_kernel_x86, userns_kernel_arm, userns_kernel_ppc64le,
	userns_kernel_s390x, userns_kernel_riscv;

/* Every table, for the tests. */
extern const struct userns_arch *const userns_all_kernels[];
extern const size_t userns_nkernels;

/* The table of the kernel this build runs on (an armv7 build may run on an
 * arm64 kernel, so its table is arm64's, which includes 32-bit ARM); NULL
 * for a build without one (an architecture capinit is not released for, or
 * whose kernel's byte order it cannot know). */
const struct userns_arch *userns_guard_native(void);

/* Room for the largest program any table gives. */
#define USERNS_GUARD_MAX_INSNS 48

/* Write the program for `arch` into prog (room for cap instructions).
 * Returns its length, or 0 when it does not fit or a jump would be too
 * long for classic BPF (never for the tables above: the tests check). */
size_t userns_guard_build(const struct userns_arch *arch, struct userns_insn *prog, size_t cap);

#endif
