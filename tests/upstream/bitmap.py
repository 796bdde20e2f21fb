"""The part of PyPI's `bitmap` module that tini's run_inner_tests.py uses.

PyPI is not reachable and Debian does not package `bitmap`, so this is our
own stand-in with the same meaning: BitMap.fromstring("...") reads a string
of '0'/'1' whose LAST character is bit 0 (tini feeds it bin() of a
/proc/PID/status signal mask), and nonzero() lists the set bit numbers in
ascending order.
"""


class BitMap:
    def __init__(self, bits=()):
        self._bits = sorted(set(bits))

    @classmethod
    def fromstring(cls, bitstring):
        if any(c not in "01" for c in bitstring):
            raise ValueError("not a bit string: %r" % bitstring)
        return cls(i for i, c in enumerate(reversed(bitstring)) if c == "1")

    def nonzero(self):
        return list(self._bits)
