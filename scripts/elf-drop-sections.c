/*
 * elf-drop-sections FILE: drop the section header table (and the section
 * names and .comment after the last segment) from a static ELF executable,
 * in place.
 *
 * Why: the kernel loads a program by its program headers alone; the section
 * headers only serve tools (`size`, `readelf -S`, debuggers), and in a
 * stripped static capinit they and what only they point to were 1.3 kB of
 * the file, past the end of everything that is loaded. What remains is
 * every byte the program headers name, unchanged; `readelf -l` still reads
 * it, and the program runs as it did (docs/releases.md, "Layout and linker
 * flags").
 *
 * A build tool for the host (HOSTCC), in C so that building capinit needs
 * nothing but a C toolchain: a minimal build image has no Python. Any ELF
 * class and byte order (the release architectures); refuses a file with
 * anything loaded after the section data it drops, or with a dynamic
 * section (a dynamic executable's loader may read sections it names).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned char *data;
static int big_endian;

/* Reads an unsigned field of n bytes at off in the file's byte order. */
static uint64_t get(size_t off, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++) {
		int at = big_endian ? i : n - 1 - i;
		v = (v << 8) | data[off + (size_t)at];
	}
	return v;
}

static void put_zero(size_t off, int n)
{
	memset(data + off, 0, (size_t)n);
}

static int fail(const char *path, const char *why)
{
	fprintf(stderr, "elf-drop-sections: %s: %s\n", path, why);
	return 1;
}

/* Reads the file into data; its size, or -1. */
static long read_whole(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	long size = -1;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0) {
		rewind(f);
		data = malloc(size ? (size_t)size : 1);
		if (!data || fread(data, 1, (size_t)size, f) != (size_t)size)
			size = -1;
	}
	fclose(f);
	return size;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: elf-drop-sections FILE\n");
		return 2;
	}
	const char *path = argv[1];
	long size = read_whole(path);
	if (size < 0)
		return fail(path, "cannot read");
	if (size < 64)
		return fail(path, "not an ELF file");

	if (memcmp(data, "\177ELF", 4) != 0 || (data[4] != 1 && data[4] != 2) ||
	    (data[5] != 1 && data[5] != 2))
		return fail(path, "not an ELF file");
	int is64 = data[4] == 2;
	big_endian = data[5] == 2;
	int w = is64 ? 8 : 4; /* the width of an address or offset */
	uint64_t phoff = get(is64 ? 0x20 : 0x1C, w);
	uint64_t shoff = get(is64 ? 0x28 : 0x20, w);
	uint64_t phentsize = get(is64 ? 0x36 : 0x2A, 2);
	uint64_t phnum = get(is64 ? 0x38 : 0x2C, 2);
	if (phoff + phentsize * phnum > (uint64_t)size || phentsize < (is64 ? 56u : 32u))
		return fail(path, "program headers outside the file");

	uint64_t end = phoff + phentsize * phnum;
	for (uint64_t i = 0; i < phnum; i++) {
		size_t at = (size_t)(phoff + i * phentsize);
		uint64_t type = get(at, 4);
		/* Elf64_Phdr: type, flags, offset, vaddr, paddr, filesz;
		 * Elf32_Phdr: type, offset, vaddr, paddr, filesz. */
		uint64_t offset = is64 ? get(at + 8, 8) : get(at + 4, 4);
		uint64_t filesz = is64 ? get(at + 32, 8) : get(at + 16, 4);
		if (type == 2) /* PT_DYNAMIC */
			return fail(path, "dynamic executable, left as it is");
		if (offset + filesz > end)
			end = offset + filesz;
	}
	if (end > (uint64_t)size)
		return fail(path, "a segment ends past the file");
	if (shoff == 0)
		return 0; /* already done */
	if (shoff < end)
		return fail(path, "section headers inside a segment, left as it is");

	/* e_shoff, e_shnum and e_shstrndx: no section header table. */
	put_zero(is64 ? 0x28 : 0x20, w);
	put_zero(is64 ? 0x3C : 0x30, 2);
	put_zero(is64 ? 0x3E : 0x32, 2);

	FILE *f = fopen(path, "r+b");
	if (!f || fwrite(data, 1, (size_t)end, f) != (size_t)end || fflush(f) != 0 ||
	    ftruncate(fileno(f), (off_t)end) != 0 || fclose(f) != 0)
		return fail(path, "cannot write");
	free(data);
	return 0;
}
