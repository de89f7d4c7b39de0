"""The file system a sandbox sees, built positively: what the interpreter and numpy need, nothing
else.

The zygote builds it once, after its imports: in a mount namespace of its own it mounts a small
tmpfs, bind-mounts into it, read-only and at their real paths, exactly

* the Python standard library (with any ``site-packages`` inside it masked), the interpreter
  and the symbolic links that lead to it (``sys.executable``),
* numpy's package directory and ``numpy.libs``,
* every shared library these load (the ``DT_NEEDED`` closure of the interpreter, the standard
  library's extension modules and numpy's, and glibc's ``libgcc_s``), with the dynamic linker,
* ``/dev/null``, ``/dev/zero``, ``/dev/urandom``,

then makes that tmpfs its root (``pivot_root``) and detaches the old one. Every sandbox forked
from the zygote inherits this view; on top of it each gets a mount namespace of its own with a
size-limited tmpfs at :data:`SCRATCH` (its working directory, ``HOME`` and ``TMPDIR``), gone
with its last process. Nothing of the project (``solutions``, the hidden suites), no other
package of ``site-packages``, no other submission, no ``/etc``, no ``/proc`` and no ``/sys`` is
in it, whichever way optigrade was installed.

No ``/proc``: nothing the sandbox runs needs it once the zygote has read what it needs, and a
fresh one (for the sandbox's PID namespace) would still show system-wide files (mounts with
their host paths, kernel settings) that uid 0 without capabilities could in part write.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import glob
import importlib.util
import os
import site
import struct
import sys
import sysconfig
from dataclasses import dataclass, field

CLONE_NEWNS, CLONE_NEWUSER = 0x00020000, 0x10000000
CLONE_NEWUTS, CLONE_NEWIPC = 0x04000000, 0x08000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MS_NOATIME, MS_NODIRATIME, MS_RELATIME, MS_STRICTATIME = 1024, 2048, 1 << 21, 1 << 24
MNT_DETACH = 2
#: ``statvfs`` flags that a read-only remount of a bind mount must keep (the kernel refuses to
#: clear flags that an outer user namespace locked), as the matching ``MS_`` flags.
_KEPT_FLAGS = (
    (os.ST_NOSUID, MS_NOSUID),
    (os.ST_NODEV, MS_NODEV),
    (os.ST_NOEXEC, MS_NOEXEC),
    (os.ST_NOATIME, MS_NOATIME),
    (os.ST_NODIRATIME, MS_NODIRATIME),
    (os.ST_RELATIME, MS_RELATIME),
)
_SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "arm64": 41}.get(os.uname().machine)

#: The sandbox's scratch directory: its working directory, ``HOME`` and ``TMPDIR`` (``/tmp`` is a
#: link to it). Not at the root: a Landlock rule names a directory by its inode, and each
#: sandbox's tmpfs has a root inode of its own, while the rule on the directory above the
#: mount point holds for whatever is mounted below it (Landlock does not check the mount point
#: itself), so that one rule, made once in the zygote, serves every sandbox.
SCRATCH = "/home/student"
#: The directory Landlock lets a sandbox write beneath (it holds only the scratch's mount
#: point, on the read-only root).
SCRATCH_RULE = "/home"
#: Where the zygote mounts the root it builds, inside its own mount namespace only: over
#: ``/proc``, where no file the view takes from can be (a venv under ``/tmp`` can).
_BUILD_AT = "/proc"
#: Devices a sandbox may open (reading; writing too for /dev/null).
DEVICES = ("/dev/null", "/dev/zero", "/dev/urandom")
WRITABLE_DEVICES = ("/dev/null",)

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong]
_libc.mount.argtypes += [ctypes.c_char_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
_libc.syscall.restype = ctypes.c_long


class WorldError(OSError):
    """The sandbox's view could not be built (no mount namespace on this machine)."""


def _check(result: int, what: str) -> None:
    if result != 0:
        number = ctypes.get_errno()
        raise WorldError(number, f"{what}: {os.strerror(number)}")


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    _check(
        _libc.mount(
            source.encode() if source else None,
            target.encode(),
            fstype.encode() if fstype else None,
            flags,
            data.encode() if data else None,
        ),
        f"mount {target}",
    )


def unshare(flags: int) -> None:
    _check(_libc.unshare(flags), f"unshare({flags:#x})")


# -- what the sandbox needs ----------------------------------------------------------------------
@dataclass
class View:
    """The paths of a sandbox's world, as seen from the full file system."""

    #: Real paths (no symbolic link on the way) bound read-only, files or directories.
    binds: list[str] = field(default_factory=list)
    #: Symbolic links recreated on the way to the binds: path -> its target, as read.
    links: dict[str, str] = field(default_factory=dict)
    #: Directories inside a bound directory that are hidden behind an empty one.
    masks: list[str] = field(default_factory=list)
    #: What must never be readable inside: checked once the view is built.
    forbidden: list[str] = field(default_factory=list)

    def read_paths(self) -> list[str]:
        """Everything a sandbox may read (for Landlock, the second layer)."""
        return sorted(set(self.binds) - set(DEVICES))


def this_interpreter() -> View:
    """The view for the running interpreter, its standard library and the numpy it imported."""
    import numpy

    stdlib = os.path.dirname(os.__file__)
    wanted = [stdlib, *(p for p in sys.path if p.endswith("lib-dynload") and os.path.isdir(p))]
    wanted += [p for p in sys.path if p.endswith(".zip") and os.path.isfile(p)]
    numpy_dir = os.path.dirname(numpy.__file__)
    wanted.append(numpy_dir)
    libs = os.path.join(os.path.dirname(numpy_dir), "numpy.libs")
    if os.path.isdir(libs):
        wanted.append(libs)
    wanted.append(sys.executable)
    wanted += DEVICES
    view = View()
    for path in wanted:
        _expose(view, os.path.abspath(path))
    compiled = _extension_modules([p for p in wanted if p != stdlib and os.path.isdir(p)])
    for library in sorted(_shared_libraries([sys.executable, *compiled])):
        _expose(view, library)
    view.binds = _outermost(view.binds)
    view.forbidden = _forbidden()
    view.masks = sorted(
        {p for p in view.forbidden if any(_inside(p, b) and p != b for b in view.binds)}
    )
    _kind.cache_clear()
    return view


def _forbidden() -> list[str]:
    """Paths that must stay out of sight: site-packages as a whole and the project."""
    paths = set(site.getsitepackages())
    paths.add(site.getusersitepackages())
    for name in ("purelib", "platlib"):
        paths.add(sysconfig.get_paths()[name])
    paths.update(p for p in sys.path if "site-packages" in p or "dist-packages" in p)
    stdlib = os.path.dirname(os.__file__)
    paths.update(os.path.join(stdlib, name) for name in ("site-packages", "dist-packages"))
    for package in ("solutions", "autograder"):
        with contextlib.suppress(ImportError, ValueError):
            spec = importlib.util.find_spec(package)
            for location in (spec.submodule_search_locations or []) if spec else []:
                paths.add(location)
    return sorted(os.path.realpath(p) for p in paths if p and os.path.isabs(p))


def _inside(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip("/") + "/")


def _outermost(paths: list[str]) -> list[str]:
    """The paths that no other one contains (a bind inside a bound directory is redundant)."""
    kept: list[str] = []
    directories: list[str] = []
    for path in sorted(set(paths)):
        if not any(_inside(path, d) for d in directories):
            kept.append(path)
            if os.path.isdir(path):
                directories.append(path)
    return kept


def _expose(view: View, path: str, depth: int = 0) -> str | None:
    """Add ``path`` to the view: its real path as a bind, the links on the way as links.
    Returns the real path (``None`` if it does not exist)."""
    if depth > 40:
        return None
    real = "/"
    parts = [p for p in path.split("/") if p]
    for index, part in enumerate(parts):
        if part == ".":
            continue
        if part == "..":
            real = os.path.dirname(real)
            continue
        candidate = real + part if real == "/" else real + "/" + part
        kind = _kind(candidate)
        if kind is None:
            return None
        if kind is not _REAL:
            view.links[candidate] = kind
            resolved = os.path.normpath(os.path.join(real, kind))
            return _expose(view, os.path.join(resolved, *parts[index + 1 :]), depth + 1)
        real = candidate
    view.binds.append(real)
    return real


_REAL = ""


@functools.lru_cache(maxsize=4096)
def _kind(path: str) -> str | None:
    """A symbolic link's target, :data:`_REAL` for anything else, ``None`` if nothing is there."""
    try:
        return os.readlink(path)
    except OSError as exc:
        return _REAL if exc.errno == errno.EINVAL else None


def _extension_modules(directories: list[str]) -> list[str]:
    """The shared objects under ``directories`` (lib-dynload, numpy, numpy.libs)."""
    found = []
    for directory in directories:
        for folder, _subfolders, files in os.walk(directory):
            found += [os.path.join(folder, f) for f in files if f.endswith(".so") or ".so." in f]
    return found


# -- shared libraries: the DT_NEEDED closure, as the dynamic linker would resolve it ------------
_PT_LOAD, _PT_DYNAMIC, _PT_INTERP = 1, 2, 3
_DT_NEEDED, _DT_STRTAB, _DT_STRSZ, _DT_RPATH, _DT_RUNPATH = 1, 5, 10, 15, 29


def _elf(path: str) -> tuple[list[str], list[str], str | None] | None:
    """(needed sonames, rpath/runpath directories, interpreter) of an ELF file, or ``None``."""
    try:
        with open(path, "rb") as handle:
            ident = handle.read(64)
            if len(ident) < 52 or ident[:4] != b"\x7fELF":
                return None
            wide, order = ident[4] == 2, "<" if ident[5] == 1 else ">"
            if wide:
                phoff, phentsize, phnum = struct.unpack_from(order + "Q14xHH", ident, 32)
                entry, dyn = order + "IIQQQQQQ", order + "qQ"
            else:
                phoff, phentsize, phnum = struct.unpack_from(order + "I10xHH", ident, 28)
                entry, dyn = order + "IIIIIIII", order + "iI"
            handle.seek(phoff)
            table = handle.read(phentsize * phnum)
            loads, dynamic, interp = [], None, None
            for n in range(phnum):
                fields = struct.unpack_from(entry, table, n * phentsize)
                if wide:
                    kind, _, offset, vaddr, _, filesz = fields[:6]
                else:
                    kind, offset, vaddr, _, filesz = fields[:5]
                if kind == _PT_LOAD:
                    loads.append((vaddr, offset, filesz))
                elif kind == _PT_DYNAMIC:
                    dynamic = (offset, filesz)
                elif kind == _PT_INTERP:
                    handle.seek(offset)
                    interp = handle.read(filesz).split(b"\0")[0].decode()
            if dynamic is None:
                return [], [], interp
            handle.seek(dynamic[0])
            raw = handle.read(dynamic[1])
            size = struct.calcsize(dyn)
            tags = [struct.unpack_from(dyn, raw, i) for i in range(0, len(raw) - size + 1, size)]
            strtab = next((v for t, v in tags if t == _DT_STRTAB), None)
            strsz = next((v for t, v in tags if t == _DT_STRSZ), 0)
            if strtab is None:
                return [], [], interp
            base = next((o + strtab - v for v, o, s in loads if v <= strtab < v + s), None)
            if base is None:
                return [], [], interp
            handle.seek(base)
            strings = handle.read(min(strsz, 1 << 20))

            def string(at: int) -> str:
                return strings[at : strings.find(b"\0", at)].decode(errors="replace")

            needed, paths = [], []
            for tag, value in tags:
                if tag == 0:
                    break
                if tag == _DT_NEEDED:
                    needed.append(string(value))
                elif tag in (_DT_RPATH, _DT_RUNPATH):
                    origin = os.path.dirname(os.path.realpath(path))
                    for entry_path in string(value).split(":"):
                        entry_path = entry_path.replace("${ORIGIN}", origin)
                        paths.append(entry_path.replace("$ORIGIN", origin))
            return needed, paths, interp
    except (OSError, struct.error, UnicodeDecodeError):
        return None


def _realpath(path: str) -> str:
    view = View()
    return _expose(view, path) or path


def _system_library_dirs() -> list[str]:
    multiarch = sysconfig.get_config_var("MULTIARCH") or ""
    dirs = [f"/lib/{multiarch}", f"/usr/lib/{multiarch}"] if multiarch else []
    dirs += ["/lib64", "/usr/lib64", "/lib", "/usr/lib"]
    return [d for d in dirs if os.path.isdir(d)]


def _configured_library_dirs() -> list[str]:
    """Directories of ``/etc/ld.so.conf`` (found through the linker's cache)."""
    found: list[str] = []

    def read(path: str, depth: int = 0) -> None:
        with contextlib.suppress(OSError), open(path) as handle:
            for line in handle:
                line = line.split("#", 1)[0].strip()
                if line.startswith("include") and depth < 4:
                    for included in sorted(glob.glob(line.split(None, 1)[1])):
                        read(included, depth + 1)
                elif line.startswith("/"):
                    found.append(line)

    read("/etc/ld.so.conf")
    return found


def _shared_libraries(roots: list[str]) -> set[str]:
    """Every shared library that loading ``roots`` takes, with the dynamic linker; plus
    ``libgcc_s``, which glibc opens by itself (thread cancellation, unwinding)."""
    system, configured = _system_library_dirs(), _configured_library_dirs()
    listings: dict[str, set[str]] = {}

    def holds(directory: str, name: str) -> bool:
        if directory not in listings:
            try:
                listings[directory] = set(os.listdir(directory))
            except OSError:
                listings[directory] = set()
        return name in listings[directory]

    found: set[str] = set()
    parsed: set[str] = set()
    queue = [(r, []) for r in roots]
    queue.append(("libgcc_s.so.1", []))
    seen_names: set[str] = set()
    while queue:
        item, search = queue.pop()
        if "/" in item:
            path = item
        else:
            if item in seen_names:
                continue
            seen_names.add(item)
            path = next(
                (os.path.join(d, item) for d in [*search, *system, *configured] if holds(d, item)),
                "",
            )
            if not path:
                continue
        found.add(os.path.abspath(path))  # the linker opens it by this name
        real = _realpath(path)
        if real in parsed:
            continue
        parsed.add(real)
        info = _elf(real)
        if info is None:
            continue
        needed, paths, interp = info
        if interp:
            queue.append((interp, []))
        queue += [(name, paths) for name in needed]
    # Libraries found through the linker's cache only are found without it inside the sandbox
    # only if ld.so.cache is there: then it is (a list of library paths, nothing else).
    if any(
        os.path.dirname(p) in configured and os.path.dirname(p) not in system for p in found
    ) and os.path.exists("/etc/ld.so.cache"):
        found.add("/etc/ld.so.cache")
    return {p for p in found if os.path.exists(p)}


# -- building it, in the zygote ------------------------------------------------------------------
def build(view: View) -> None:
    """Enter a mount namespace of our own and make ``view`` our whole file system.

    Called once in the zygote after its imports (an ordinary user's zygote is in a user
    namespace of its own by then). Irreversible once it returns; raises :class:`WorldError`
    (or ``OSError``) if the machine does not allow it, having undone what it mounted: the
    caller then carries on with the full file system, Landlock alone limiting what sandboxes
    read, and says so.
    """
    if _SYS_PIVOT_ROOT is None:
        raise WorldError("pivot_root: unknown system call number on this architecture")
    unshare(CLONE_NEWNS)
    # Nothing we mount from here on reaches the machine, nor does anything mounted there reach us.
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    root = _BUILD_AT
    mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,nr_inodes=4096,mode=0755")
    try:
        _populate(view, root)
        _verify(view, root)
        mount(None, root, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
        os.chdir(root)
        _check(_libc.syscall(_SYS_PIVOT_ROOT, b".", b"."), "pivot_root")
    except OSError:
        os.chdir("/")
        _libc.umount2(root.encode(), MNT_DETACH)
        raise
    # The old root now lies on top of the new one: detach it (and everything under it).
    _check(_libc.umount2(b".", MNT_DETACH), "umount the old root")
    os.chdir("/")


def _populate(view: View, root: str) -> None:
    for path in view.binds:
        _bind(path, root + path)
    for link, target in sorted(view.links.items()):
        if any(_inside(link, b) for b in view.binds):
            continue  # it is there already, inside a bound directory
        where = root + link
        os.makedirs(os.path.dirname(where), exist_ok=True)
        if not os.path.lexists(where):
            os.symlink(target, where)
    empty = root + "/.empty"
    os.mkdir(empty, 0o555)
    for path in view.masks:
        if os.path.isdir(root + path):
            mount(empty, root + path, None, MS_BIND)
            mount(None, root + path, None, MS_BIND | MS_REMOUNT | MS_RDONLY | _kept(empty))
    os.makedirs(root + SCRATCH, exist_ok=True)
    if not os.path.lexists(root + "/tmp"):
        os.symlink(SCRATCH.lstrip("/"), root + "/tmp")


def _bind(source: str, target: str) -> None:
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if not os.path.exists(target):
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o444))
    mount(source, target, None, MS_BIND)
    device = source in DEVICES
    flags = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | _kept(source)
    mount(None, target, None, flags if device else flags | MS_NODEV)


def _kept(path: str) -> int:
    found = os.statvfs(path).f_flag
    return sum(ms for st, ms in _KEPT_FLAGS if found & st)


def _verify(view: View, root: str) -> None:
    """Nothing forbidden is readable in the new root (a last check, once per zygote)."""
    exposed = {os.path.basename(b) for b in view.binds}
    for path in view.forbidden:
        try:
            entries = os.listdir(root + path)
        except OSError:
            continue
        if any(e not in exposed for e in entries):
            raise WorldError(f"{path} is still visible in the sandbox's view: {entries[:5]}")


def _write(path: str, text: str) -> None:
    with open(path, "w") as handle:
        handle.write(text)


# -- each sandbox --------------------------------------------------------------------------------
#: The options of a sandbox's scratch tmpfs (its size is added per sandbox).
_SCRATCH_OPTIONS = "mode=0700,nr_inodes=16384,size="
_SCRATCH_FLAGS = MS_NOSUID | MS_NODEV


def enter_own_namespaces(scratch_mb: int) -> None:
    """In a freshly forked sandbox: own mount, IPC and UTS namespaces, and a fresh tmpfs of
    ``scratch_mb`` MiB at :data:`SCRATCH`, which becomes the working directory.

    The mount namespace is a copy of the zygote's minimal one (a few dozen mounts, copied in
    microseconds); the tmpfs and any System V IPC object go with the sandbox's last process.
    Raises :class:`WorldError` where the namespaces cannot be had.
    """
    unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS)
    mount("tmpfs", SCRATCH, "tmpfs", _SCRATCH_FLAGS, f"{_SCRATCH_OPTIONS}{scratch_mb}m")
    os.chdir(SCRATCH)


class FallbackScratch:
    """Scratch directories where no mount namespace can be had: one directory per zygote,
    made at its start, emptied before each sandbox, removed when the zygote exits (and, if the
    zygote was killed, by the next zygote to start). No size quota: the doctor says so."""

    PREFIX = "optigrade-scratch-"

    def __init__(self) -> None:
        base = os.environ.get("TMPDIR") or "/tmp"
        self.root = os.path.join(base, f"{self.PREFIX}{os.getpid()}")
        reclaim_abandoned_scratch(base)
        remove_tree(self.root)
        os.mkdir(self.root, 0o700)
        self.path = os.path.join(self.root, "box")
        os.mkdir(self.path, 0o700)

    def empty(self) -> bool:
        """Empty the directory for the next sandbox; say whether it is now empty."""
        return remove_tree(self.path, keep_root=True)

    def remove(self) -> None:
        remove_tree(self.root)


def reclaim_abandoned_scratch(base: str) -> None:
    """Remove the fallback scratch of zygotes that are gone."""
    with contextlib.suppress(OSError):
        for name in os.listdir(base):
            pid = name.removeprefix(FallbackScratch.PREFIX)
            ours = name.startswith(FallbackScratch.PREFIX) and pid.isdigit()
            if ours and not os.path.exists(f"/proc/{pid}"):
                remove_tree(os.path.join(base, name))


_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def remove_tree(path: str, keep_root: bool = False) -> bool:
    """Remove ``path`` and everything beneath it (only what is beneath, with ``keep_root``);
    say whether that succeeded.

    What a sandbox wrote: a tree may be deeper than Python's recursion limit (which stops
    ``shutil.rmtree`` and ``os.walk`` here) and its paths longer than ``PATH_MAX``, and it may
    have made its folders unreadable. So the walk holds one directory descriptor at a time,
    goes down by name and back up through ``..``, never follows a link, and makes each folder
    accessible before it enters. Called when no process of the sandbox is left to race it.
    """
    try:
        fd = os.open(path, _DIRECTORY)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    below: list[str] = []  # the names from path down to the directory fd is open on
    done = False
    try:
        while True:
            child = None
            with os.scandir(fd) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        child = entry.name
                        break
                    with contextlib.suppress(OSError):
                        os.unlink(entry.name, dir_fd=fd)
            if child is not None:
                with contextlib.suppress(OSError):
                    os.chmod(child, 0o700, dir_fd=fd)
                inner = os.open(child, _DIRECTORY, dir_fd=fd)
                os.close(fd)
                fd = inner
                below.append(child)
                continue
            if not below:  # path itself is empty now
                done = True
                break
            outer = os.open("..", _DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = outer
            os.rmdir(below.pop(), dir_fd=fd)  # fails only if something stayed: give up
    except OSError:
        done = False
    finally:
        os.close(fd)
    if done and not keep_root:
        try:
            os.rmdir(path)
        except OSError:
            return False
    return done
