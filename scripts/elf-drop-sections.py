#!/usr/bin/env python3
"""Drop the section header table (and the section names and .comment after
the last segment) from a static ELF executable, in place.

Why: the kernel loads a program by its program headers alone; the section
headers only serve tools (`size`, `readelf -S`, debuggers), and in a
stripped static capinit they and what only they point to were 1.3 kB of
the file (18 headers of 64 bytes, their names, the compilers' .comment),
past the end of everything that is loaded. What remains is every byte
the program headers name, unchanged; `readelf -l` still reads it, and the
program runs as it did (docs/releases.md, "Layout and linker flags").

Usage: elf-drop-sections.py FILE
Any ELF class and byte order (the release architectures); refuses a file
with anything loaded after the section data it drops, or with a dynamic
section (a dynamic executable's loader may read sections it names).
"""
import struct
import sys


def drop_sections(path):
    with open(path, "rb") as f:
        data = bytearray(f.read())
    if data[:4] != b"\x7fELF" or data[4] not in (1, 2) or data[5] not in (1, 2):
        sys.exit("%s: not an ELF file" % path)
    is64 = data[4] == 2
    order = "<" if data[5] == 1 else ">"
    if is64:
        phoff, shoff = struct.unpack_from(order + "QQ", data, 0x20)
        phentsize, phnum = struct.unpack_from(order + "HH", data, 0x36)
    else:
        phoff, shoff = struct.unpack_from(order + "II", data, 0x1C)
        phentsize, phnum = struct.unpack_from(order + "HH", data, 0x2A)
    end = phoff + phentsize * phnum
    for i in range(phnum):
        at = phoff + i * phentsize
        if is64:
            p_type, _, p_offset, _, _, p_filesz = struct.unpack_from(order + "IIQQQQ", data, at)
        else:
            p_type, p_offset, _, _, p_filesz = struct.unpack_from(order + "IIIII", data, at)
        if p_type == 2:  # PT_DYNAMIC
            sys.exit("%s: dynamic executable, left as it is" % path)
        end = max(end, p_offset + p_filesz)
    if shoff == 0:
        return  # already done
    if shoff < end:
        sys.exit("%s: section headers inside a segment, left as it is" % path)
    # e_shoff, e_shnum and e_shstrndx: no section header table.
    if is64:
        struct.pack_into(order + "Q", data, 0x28, 0)
        struct.pack_into(order + "HH", data, 0x3C, 0, 0)
    else:
        struct.pack_into(order + "I", data, 0x20, 0)
        struct.pack_into(order + "HH", data, 0x30, 0, 0)
    with open(path, "wb") as f:
        f.write(data[:end])


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: elf-drop-sections.py FILE")
    drop_sections(sys.argv[1])
