"""The framing between a sandbox's relay and its student process (see :mod:`.relay`).

The relay asks one question at a time and waits for its answer; nothing else crosses. Each
question carries a fresh random sequence number, which its answer must repeat:

* a question: ``!IQB`` header (payload length, sequence number, operation), then the payload;
* an answer: ``!IQ`` header (payload length, sequence number), then the payload.

Payloads are raw bytes, so that the relay can forward an answer (the student's encoded reply)
without decoding and re-encoding it, and hand over a trace straight from the plan's arena.
"""

from __future__ import annotations

import struct

QUESTION = struct.Struct("!IQB")
ANSWER = struct.Struct("!IQ")
#: A cell's index, ahead of its source (UTF-8) in a ``CELL`` question.
CELL_INDEX = struct.Struct("!I")

#: Run one cell; answer: an encoded ``{"status", "error"?}`` (:func:`.schema.cell_answer`).
CELL = 1
#: After the cells; answer: encoded ``{"names", "output", "output_truncated"}``.
NAMES = 2
#: One call; payload: an encoded ``{"target", "method", "args", "kwargs"}``; answer: the reply.
CALL = 3
#: Run a recorded trace (a replay request, or an entry of the plan); answer: the reply.
TRACE = 4

#: Largest answer the relay accepts: the grader's envelope around it must still fit in a
#: frame it accepts (:data:`autograder.wire.MAX_REPLY_BYTES`).
MAX_ANSWER_BYTES = 16 * 1024 * 1024 - 4096
