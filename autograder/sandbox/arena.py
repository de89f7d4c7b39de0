"""The suite's plan as a zygote holds it: encoded traces, raw, in one private mapping.

Every sandbox is a fork of the zygote and inherits what the zygote holds, so the zygote holds
the plan (the recorded traces of a hidden suite, see :mod:`autograder.speedups.replay`) where a
student's code can never reach it: not as Python objects on its heap (which every fork
inherits, and which would leave freed copies behind even once dropped), but as the bytes the
grader sent, copied from the receive buffer (itself never inherited, ``MADV_DONTFORK``)
straight into this arena. Nothing is decoded in the zygote.

A sandbox's relay (:mod:`autograder.sandbox.relay`) inherits the arena, marks it
``MADV_DONTFORK`` before it forks the student process, and hands the student one trace at a
time, each only once the previous one is answered.

The arena is a ``MAP_PRIVATE`` anonymous mapping: a fork copies the page table entries of
its few pages (no fault when the relay reads them), and its copy is the relay's own.
"""

from __future__ import annotations

import mmap

#: An entry as the grader sends it: this tag, the entry's index, then the encoded trace
#: (nothing for an entry that is not planned, e.g. a trace too large for one control message).
#: The tag keeps any other message that arrives without a file descriptor (a request whose
#: descriptor the kernel dropped) from being taken for an entry.
_TAG = b"PLAN"
_HEADER = len(_TAG) + 4
_INITIAL_SIZE = 256 * 1024


def entry(index: int, trace: bytes | None) -> bytes:
    """A plan entry as the grader sends it to the zygote."""
    return _TAG + index.to_bytes(4, "big") + (trace or b"")


class PlanArena:
    """Plan entries by index, each an encoded trace or nothing (not planned)."""

    def __init__(self) -> None:
        self._map: mmap.mmap | None = None
        self._used = 0
        #: Per entry: (offset, length) in the arena, or None. Offsets, never trace data.
        self._spans: list[tuple[int, int] | None] = []

    def __len__(self) -> int:
        return len(self._spans)

    def add(self, received: memoryview) -> bool:
        """Store an entry from the buffer it was received in, without decoding it; say
        whether it was one (the next entry of the plan, tagged as such)."""
        if len(received) < _HEADER or received[: len(_TAG)] != _TAG:
            return False
        if int.from_bytes(received[len(_TAG) : _HEADER], "big") != len(self._spans):
            return False  # entries come in order, each once
        length = len(received) - _HEADER
        if length == 0:
            self._spans.append(None)
            return True
        self._reserve(self._used + length)
        assert self._map is not None
        # mmap's slice assignment copies from the buffer: no bytes object in between.
        self._map[self._used : self._used + length] = received[_HEADER:]
        self._spans.append((self._used, length))
        self._used += length
        return True

    def _reserve(self, size: int) -> None:
        if self._map is None:
            capacity = max(_INITIAL_SIZE, size)
            self._map = mmap.mmap(-1, capacity, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        elif size > len(self._map):
            self._map.resize(max(size, 2 * len(self._map)))

    def trace(self, index: int) -> bytes | None:
        """Entry ``index``'s encoded trace, or ``None`` if it is not planned."""
        span = self._spans[index] if 0 <= index < len(self._spans) else None
        if span is None or self._map is None:
            return None
        offset, length = span
        return self._map[offset : offset + length]

    def hide_from_children(self) -> None:
        """Keep the arena out of every process this one forks from now on (the relay, before
        it forks the student process). Its mapping object then stands for memory that the
        child does not have: the child must never touch or free it."""
        if self._map is not None:
            self._map.madvise(mmap.MADV_DONTFORK)


#: The zygote's plan (each zygote process holds one; the grader's process never fills it).
ZYGOTE_PLAN = PlanArena()
