#!/usr/bin/env bash
# The user-namespace guard's tables (init/userns_guard.c) against the kernel
# headers: __NR_unshare, __NR_clone and __NR_clone3 of every ABI, taken
# from asm/unistd*.h through the C preprocessor with that ABI's own macros
# (so x32's __X32_SYSCALL_BIT and arm's __NR_SYSCALL_BASE are applied as
# the headers apply them).
#
# Header sets: the host's linux-libc-dev (/usr/include/x86_64-linux-gnu) and
# Debian's cross packages (/usr/TRIPLET/include, linux-libc-dev-ARCH-cross,
# installed by scripts/install-cross-deps.sh). A set that is absent is
# skipped with the reason; a table row without any known header set fails.
#
# Usage: tests/unit/check_syscall_numbers.sh build/unit/test_userns_guard
set -uo pipefail

table_bin=${1:?usage: $0 build/unit/test_userns_guard}
table=$("$table_bin" --table) || { echo "not ok - $table_bin --table failed"; exit 1; }

# kernel abi | candidate include directories | the ABI's predefined macros
specs=(
    "x86_64 x86_64|/usr/include/x86_64-linux-gnu /usr/x86_64-linux-gnu/include|-D__x86_64__"
    "x86_64 x32|/usr/include/x86_64-linux-gnu /usr/x86_64-linux-gnu/include|-D__x86_64__ -D__ILP32__"
    "x86_64 i386|/usr/include/x86_64-linux-gnu /usr/x86_64-linux-gnu/include|-D__i386__"
    "aarch64 aarch64|/usr/aarch64-linux-gnu/include /usr/include/aarch64-linux-gnu|-D__aarch64__"
    "aarch64 arm|/usr/arm-linux-gnueabihf/include /usr/include/arm-linux-gnueabihf|-D__arm__ -D__ARM_EABI__"
    "ppc64le ppc64le|/usr/powerpc64le-linux-gnu/include /usr/include/powerpc64le-linux-gnu|-D__powerpc__ -D__powerpc64__"
    "ppc64le ppc|/usr/powerpc64le-linux-gnu/include /usr/include/powerpc64le-linux-gnu|-D__powerpc__"
    "s390x s390x|/usr/s390x-linux-gnu/include /usr/include/s390x-linux-gnu|-D__s390__ -D__s390x__"
    "s390x s390|/usr/s390x-linux-gnu/include /usr/include/s390x-linux-gnu|-D__s390__"
    "riscv64 riscv64|/usr/riscv64-linux-gnu/include /usr/include/riscv64-linux-gnu|-D__riscv -D__LP64__"
    "riscv64 riscv32|/usr/riscv64-linux-gnu/include /usr/include/riscv64-linux-gnu|-D__riscv"
)

passed=0 failed=0 skipped=0
CPP=${CPP:-cpp}

# numbers DIR DEFINES: "unshare clone clone3" as the headers define them.
numbers() {
    local out
    # -undef: none of the host's own architecture macros; -nostdinc: only
    # this header set (its asm-generic/ included).
    # shellcheck disable=SC2086 # the defines are separate words
    out=$(printf '#include <asm/unistd.h>\n@ __NR_unshare __NR_clone __NR_clone3\n' |
        "$CPP" -P -undef -nostdinc -I"$1" $2 - 2>/dev/null | sed -n 's/^@ //p') || return 1
    [ -n "$out" ] || return 1
    local words=() w
    # Each value is an expression such as (__X32_SYSCALL_BIT + 56) once
    # expanded: (0x40000000 + 56). Split on the spaces cpp leaves between
    # the three, keeping each parenthesised expression whole.
    read -r -a words <<<"$(sed 's/ *+ */+/g; s/( */(/g; s/ *)/)/g' <<<"$out")"
    [ ${#words[@]} -eq 3 ] || return 1
    local vals=()
    for w in "${words[@]}"; do
        case $w in *[!0-9a-fA-Fx+\(\)]*) return 1 ;; esac
        vals+=($((w)))
    done
    echo "${vals[*]}"
}

while read -r kernel abi want_unshare want_clone want_clone3; do
    spec=""
    for s in "${specs[@]}"; do
        [ "${s%%|*}" = "$kernel $abi" ] && spec=$s
    done
    if [ -z "$spec" ]; then
        echo "not ok - $kernel/$abi: no kernel header set known for this ABI (add one to $0)"
        failed=$((failed + 1)); continue
    fi
    rest=${spec#*|}
    dirs=${rest%%|*}
    defines=${rest#*|}
    dir=""
    for d in $dirs; do
        [ -f "$d/asm/unistd.h" ] && { dir=$d; break; }
    done
    if [ -z "$dir" ]; then
        echo "skip - $kernel/$abi: no asm/unistd.h in $dirs (scripts/install-cross-deps.sh installs them)"
        skipped=$((skipped + 1)); continue
    fi
    if ! got=$(numbers "$dir" "$defines"); then
        echo "not ok - $kernel/$abi: could not read the numbers from $dir/asm/unistd.h"
        failed=$((failed + 1)); continue
    fi
    want="$want_unshare $want_clone $want_clone3"
    if [ "$got" = "$want" ]; then
        echo "ok - $kernel/$abi: unshare clone clone3 = $got ($dir)"
        passed=$((passed + 1))
    else
        echo "not ok - $kernel/$abi: table says $want, $dir says $got"
        failed=$((failed + 1))
    fi
done <<<"$table"

echo "check_syscall_numbers: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
