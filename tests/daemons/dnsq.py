#!/usr/bin/python3
"""A DNS query over UDP, as a client sees the server: the DNS oracle of the
daemons stage (dig would pull bind9's libraries in for one query).

    dnsq.py SERVER NAME ADDRESS

Sends one A query for NAME to SERVER:53 and exits 0 when the answer holds
ADDRESS, 1 otherwise (no answer within a second, an error code, another
address). Runs as any user, with no capability: it is also a --probe-check.
"""
import random
import socket
import struct
import sys


def query(server, name, timeout=1.0):
    qid = random.randrange(1 << 16)
    header = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)  # RD, one question
    qname = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    packet = header + qname + struct.pack(">HH", 1, 1)  # A, IN
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(packet, (server, 53))
        reply, _ = s.recvfrom(4096)
    rid, flags, _qd, ancount, _ns, _ar = struct.unpack(">HHHHHH", reply[:12])
    if rid != qid or flags & 0x000F:
        return []
    pos = 12 + len(qname) + 4
    addresses = []
    for _ in range(ancount):
        if reply[pos] & 0xC0 == 0xC0:  # a compressed name: two bytes
            pos += 2
        else:
            while reply[pos]:
                pos += reply[pos] + 1
            pos += 1
        rtype, _cls, _ttl, rdlen = struct.unpack(">HHIH", reply[pos:pos + 10])
        pos += 10
        if rtype == 1 and rdlen == 4:
            addresses.append(socket.inet_ntoa(reply[pos:pos + 4]))
        pos += rdlen
    return addresses


def main():
    server, name, want = sys.argv[1:4]
    try:
        got = query(server, name)
    except OSError as e:
        print(f"dnsq: {server}: {e}", file=sys.stderr)
        return 1
    if want not in got:
        print(f"dnsq: {name} at {server}: {got or 'no address'}, not {want}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
