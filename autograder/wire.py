"""The message format between the trusted grader and the sandbox: plain data only.

Messages are msgpack maps, sent as length-prefixed frames over a socket. The only values that
cross are ``None``, booleans, integers, floats, strings, bytes, lists, string-keyed dicts and
numpy arrays of plain numeric dtypes (an extension type: dtype code, shape, raw bytes). Nothing
is ever unpickled or imported on decode, so a hostile sandbox can send back wrong numbers but
never an object with behaviour (an ndarray subclass, a proxy, a callable).

msgpack rather than JSON: arrays travel as raw bytes (exact floats, no base64) and encoding is
an order of magnitude faster, which matters at hundreds of round trips per submission.
"""

from __future__ import annotations

import functools
import socket
import struct
import time
from typing import Any

import msgpack
import numpy as np

#: Largest frame either side accepts. A student returning a gigantic array is refused here.
MAX_FRAME_BYTES = 64 * 1024 * 1024
#: Largest frame the grader reads from a sandbox. Honest replies take kilobytes; the bound
#: keeps what one hostile frame can make the grader allocate small (see :func:`decode`).
MAX_REPLY_BYTES = 16 * 1024 * 1024
#: Most lists and maps one message from a sandbox may hold. Without it, a 16 MiB frame of
#: empty lists (one byte each) decodes into 16 million list objects, about a gigabyte.
MAX_CONTAINERS = 200_000
#: numpy's own limit on dimensions; a larger count cannot be an array it made.
_MAX_NDIM = 32
_ARRAY_EXT = 1
_HEADER = struct.Struct("!I")
_new_tuple = tuple.__new__
# Plain numeric dtypes only: no object, void, datetime or string arrays cross the boundary.
_ALLOWED_DTYPES = frozenset(
    np.dtype(code).str
    for code in ("?", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f2", "f4", "f8", "c8", "c16")
)


class ProtocolError(Exception):
    """The other side sent something that is not a well-formed message of this protocol."""


class PeerClosed(ProtocolError):
    """The other side closed the connection (for the sandbox: it exited or was killed)."""


def array_ext(array: np.ndarray, data: bytes | None = None) -> msgpack.ExtType:
    """An exact ``np.ndarray`` as the message value it is sent as, now (a copy of its bytes).

    ``data`` is ``array.tobytes()`` when the caller has it already. Raises ``TypeError`` for a
    dtype that may not cross. Building the value ahead of :func:`encode` lets a sender that
    looks at an array's bytes anyway (the sandbox, comparing before and after a call) reuse
    them instead of having them copied again through msgpack's per-value fallback.
    """
    header = _array_header(array.dtype, array.shape)
    # tobytes() is row-major whatever the strides. ExtType is a namedtuple whose __new__ only
    # validates its two fields, which are right by construction here; skipping it saves a
    # Python-level call per array, and the sandbox sends thousands per submission.
    return _new_tuple(
        msgpack.ExtType, (_ARRAY_EXT, header + (array.tobytes() if data is None else data))
    )


def _default(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        # np.asarray drops any subclass.
        return array_ext(value if type(value) is np.ndarray else np.asarray(value))
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"values of type {type(value).__name__} cannot be sent")


@functools.lru_cache(maxsize=1024)
def _array_header(dtype: np.dtype, shape: tuple[int, ...]) -> bytes:
    # Cached: a submission sends the same few dtypes and shapes hundreds of times.
    if dtype.str not in _ALLOWED_DTYPES:
        raise TypeError(f"arrays of dtype {dtype} cannot be sent")
    code = dtype.str.encode()
    return struct.pack(f"!B{len(code)}sB{len(shape)}Q", len(code), code, len(shape), *shape)


def _ext_hook(code: int, data: bytes) -> np.ndarray:
    # Layout: dtype-code length (1 byte), dtype code, ndim (1 byte), ndim uint64 dims, raw data.
    if code != _ARRAY_EXT:
        raise ProtocolError(f"unknown extension type {code}")
    try:
        n = data[0]
        offset = 2 + n + 8 * data[1 + n]
    except IndexError as exc:
        raise ProtocolError("malformed array header") from exc
    dtype, shape, size = _layout(data[:offset])
    if len(data) - offset != size:
        raise ProtocolError("array payload does not match its shape")
    # A writable copy that owns its memory: nothing refers back into the received buffer.
    return np.ndarray(shape, dtype, data, offset).copy()


@functools.lru_cache(maxsize=1024)
def _layout(header: bytes) -> tuple[np.dtype, tuple[int, ...], int]:
    """An array header's dtype, shape and payload size, checked. Cached: the sandbox decodes
    about a thousand arrays per submission, of a few dtypes and shapes (parsing each header
    anew took half the decoding)."""
    try:
        n = header[0]
        dtype_str = header[1 : 1 + n].decode("ascii")
        ndim = header[1 + n]
        shape = struct.unpack_from(f"!{ndim}Q", header, 2 + n)
    except (IndexError, UnicodeDecodeError, struct.error) as exc:
        raise ProtocolError("malformed array header") from exc
    if dtype_str not in _ALLOWED_DTYPES:
        raise ProtocolError(f"refused array dtype {dtype_str[:16]!r}")
    if ndim > _MAX_NDIM or any(dim >= 1 << 32 for dim in shape):
        raise ProtocolError("array shape out of range")
    dtype = np.dtype(dtype_str)
    count = 1
    for dim in shape:
        count *= dim
    return dtype, shape, dtype.itemsize * count


def encode(message: Any) -> bytes:
    """Encode a message; raise ``TypeError`` for anything that is not plain data."""
    return msgpack.packb(message, default=_default, use_bin_type=True, strict_types=True)


def decode(data: bytes, max_containers: int | None = None) -> Any:
    """Decode a message from untrusted bytes into plain Python values and ndarrays.

    With ``max_containers`` (the grader reading a sandbox), a message holding more lists and
    maps than that is refused while it is decoded, before it can take the memory they need.
    """
    try:
        # unpackb bounds every container and string by len(data) on its own.
        if max_containers is None:
            return msgpack.unpackb(data, raw=False, ext_hook=_ext_hook, strict_map_key=True)
        hook = _Budget(max_containers)
        return msgpack.unpackb(
            data,
            raw=False,
            ext_hook=_ext_hook,
            strict_map_key=True,
            object_hook=hook,
            list_hook=hook,
        )
    except ProtocolError:
        raise
    except Exception as exc:  # msgpack raises several types for malformed input
        raise ProtocolError(f"malformed message: {exc}") from exc


class _Budget:
    """Counts the lists and maps a message decodes into; refuses one past the budget."""

    __slots__ = ("left",)

    def __init__(self, budget: int) -> None:
        self.left = budget

    def __call__(self, value: Any) -> Any:
        self.left -= 1
        if self.left < 0:
            raise ProtocolError("a message with too many lists and maps")
        return value


def send(sock: socket.socket, message: Any) -> None:
    send_encoded(sock, encode(message))


def send_encoded(sock: socket.socket, data: bytes) -> None:
    """Send a message that :func:`encode` made."""
    if len(data) > MAX_FRAME_BYTES:
        raise ProtocolError(f"message of {len(data)} bytes exceeds {MAX_FRAME_BYTES}")
    sock.sendall(_HEADER.pack(len(data)) + data)


class Reader:
    """Frames from a stream socket, read in large chunks: one system call per small message.

    ``limit`` bounds each frame; ``max_containers`` is passed on to :func:`decode` (both for
    the grader reading a sandbox, which it trusts for nothing).
    """

    def __init__(
        self,
        sock: socket.socket,
        limit: int = MAX_FRAME_BYTES,
        max_containers: int | None = None,
    ) -> None:
        self.sock = sock
        self.buffer = bytearray()
        self.limit = limit
        self.max_containers = max_containers

    def _fill(self, n: int, deadline: float | None) -> None:
        while len(self.buffer) < n:
            if deadline is not None:
                # Re-arm per read so that a peer dripping bytes cannot stretch the deadline.
                self.sock.settimeout(max(deadline - time.monotonic(), 1e-3))
            chunk = self.sock.recv(max(n - len(self.buffer), 1 << 16))
            if not chunk:
                raise PeerClosed("connection closed")
            self.buffer += chunk

    def has_frame(self) -> bool:
        """Whether a whole frame is already buffered, so that :meth:`recv` will not block."""
        if len(self.buffer) < _HEADER.size:
            return False
        (length,) = _HEADER.unpack_from(self.buffer)
        return len(self.buffer) >= _HEADER.size + length

    def recv(self, deadline: float | None = None) -> Any:
        """Receive one message; raise ``TimeoutError`` when ``deadline`` (monotonic) passes."""
        self._fill(_HEADER.size, deadline)
        (length,) = _HEADER.unpack_from(self.buffer)
        if length > self.limit:
            raise ProtocolError(f"frame of {length} bytes exceeds {self.limit}")
        end = _HEADER.size + length
        self._fill(end, deadline)
        frame = bytes(self.buffer[_HEADER.size : end])
        del self.buffer[:end]
        return decode(frame, self.max_containers)


def recv(sock: socket.socket, deadline: float | None = None, limit: int = MAX_REPLY_BYTES) -> Any:
    """Receive exactly one message, reading no further (for a connection's first frames)."""
    (length,) = _HEADER.unpack(_recv_exactly(sock, _HEADER.size, deadline))
    if length > limit:
        raise ProtocolError(f"frame of {length} bytes exceeds {limit}")
    return decode(_recv_exactly(sock, length, deadline), MAX_CONTAINERS)


def _recv_exactly(sock: socket.socket, n: int, deadline: float | None) -> bytes:
    buffer = bytearray(n)
    view = memoryview(buffer)
    received = 0
    while received < n:
        if deadline is not None:
            sock.settimeout(max(deadline - time.monotonic(), 1e-3))
        count = sock.recv_into(view[received:])
        if count == 0:
            raise PeerClosed("connection closed")
        received += count
    return bytes(buffer)


# numpy Generators cross as their bit generator's state (128-bit integers as decimal strings, as
# msgpack integers stop at 64 bits), so that a draw in the sandbox continues the caller's stream.
GENERATOR_TAG = "__numpy_generator__"


_BIT_GENERATORS = frozenset({"PCG64", "PCG64DXSM", "Philox", "SFC64", "MT19937"})


def generator_to_plain(rng: np.random.Generator) -> dict[str, Any]:
    state = rng.bit_generator.state
    return {GENERATOR_TAG: _stringify_ints(state)}


def generator_from_plain(value: Any) -> np.random.Generator | None:
    """The Generator a tagged dict describes, or ``None`` when ``value`` is not one."""
    if not (isinstance(value, dict) and len(value) == 1 and GENERATOR_TAG in value):
        return None
    state = _parse_ints(value[GENERATOR_TAG])
    name = state.get("bit_generator") if isinstance(state, dict) else None
    if not isinstance(name, str) or name not in _BIT_GENERATORS:
        raise ProtocolError("unknown bit generator")
    bit_generator = getattr(np.random, name)()
    try:
        bit_generator.state = state
    except Exception as exc:  # numpy checks the state its own way; any refusal is ours
        raise ProtocolError(f"malformed generator state: {exc}"[:200]) from exc
    return np.random.Generator(bit_generator)


def _stringify_ints(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _stringify_ints(v) for k, v in value.items()}
    if isinstance(value, int) and not isinstance(value, bool):
        return {"int": str(value)}
    return value


def _parse_ints(value: Any) -> Any:
    if isinstance(value, dict):
        if (
            set(value) == {"int"}
            and isinstance(value["int"], str)
            and value["int"].lstrip("-").isdigit()
        ):
            return int(value["int"])
        return {k: _parse_ints(v) for k, v in value.items()}
    return value
