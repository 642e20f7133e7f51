"""Confine the dry-run server's file access with Landlock (Linux 5.13+, no privileges needed).

Defence in depth: the role model already gives pull-request SQL no file-reading primitive. Should
one be found anyway, the server process (and every process it starts) can read only system folders
(``/usr``, ``/lib*``, a few ``/etc`` files; not ``/proc``, where processes of the same user show
their environment), its install tree, and write only its own temp folder and ``/dev/shm``: never
the workspace (``.git/config``), the home folder or the runner's files. Applied in the child
between fork and exec; where the kernel or a seccomp profile lacks Landlock it is skipped
(``supported()`` says which), and the other defences stand alone.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable, Iterable
from pathlib import Path

_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446  # the same numbers on every architecture
_VERSION = 1  # LANDLOCK_CREATE_RULESET_VERSION
_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_ABI1_ALL = (1 << 13) - 1  # execute … make_sym
REFER, TRUNCATE = 1 << 13, 1 << 14
READ = EXECUTE | READ_FILE | READ_DIR

SYSTEM_READ = ("/usr", "/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin", "/etc/ld.so.cache",
               "/etc/localtime", "/etc/passwd", "/etc/group", "/etc/nsswitch.conf", "/etc/ssl", "/dev/urandom",
               "/dev/random")
SYSTEM_WRITE = ("/dev/shm", "/dev/null")


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def abi() -> int:
    """The kernel's Landlock ABI version; 0 when unavailable (old kernel, disabled, seccomp)."""
    try:
        version = int(_libc().syscall(_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(_VERSION)))
    except (OSError, AttributeError):
        return 0
    return max(version, 0)


def supported() -> bool:
    return abi() > 0


def _handled(version: int) -> int:
    return _ABI1_ALL | (REFER if version >= 2 else 0) | (TRUNCATE if version >= 3 else 0)


def restrict(read: Iterable[str | Path], write: Iterable[str | Path], version: int | None = None,
             libc: ctypes.CDLL | None = None) -> bool:
    """Restrict this process (and its future children) to ``read`` and ``write`` paths. True when
    applied. Meant for the child of a fork (``preexec_fn``): it cannot be undone."""
    version = abi() if version is None else version
    if version <= 0:
        return False
    libc = libc or _libc()
    handled = _handled(version)
    attr = ctypes.c_uint64(handled)
    ruleset = int(libc.syscall(_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(8), ctypes.c_uint32(0)))
    if ruleset < 0:
        return False
    try:
        for paths, access in ((read, READ & handled), (write, handled)):
            for path in paths:
                try:
                    fd = os.open(str(path), os.O_PATH | os.O_CLOEXEC)
                except OSError:
                    continue  # absent on this system
                try:
                    allowed = access  # a rule on a file may hold only file rights
                    if not os.path.isdir(str(path)):
                        allowed &= EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE
                    rule = _PathBeneath(allowed, fd)
                    libc.syscall(_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(_PATH_BENEATH), ctypes.byref(rule),
                                 ctypes.c_uint32(0))
                finally:
                    os.close(fd)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            return False
        return int(libc.syscall(_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0))) == 0
    finally:
        os.close(ruleset)


def preexec(read: Iterable[str | Path], write: Iterable[str | Path]) -> Callable[[], None]:
    """A ``preexec_fn`` confining the server to its tree and folder (plus the system paths)."""
    read_all = [str(p) for p in (*SYSTEM_READ, *read)]
    write_all = [str(p) for p in (*SYSTEM_WRITE, *write)]
    # Loaded here, in the parent: the child between fork and exec should not dlopen or import.
    version, libc = abi(), _libc()

    def apply() -> None:
        restrict(read_all, write_all, version, libc)

    return apply
