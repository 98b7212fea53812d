"""
Shared helpers for the modules that read and write the running kernel's tunables in ``/sys``
and ``/proc/sys`` (``_modules/host_tuning.py`` writes them, ``_states/host_tuning.py`` decides
what a failed write means): huge page sizes in their several spellings, whether a tunable can
be written here and, when it cannot, why (a container's ``/sys`` and ``/proc/sys`` are
read-only mounts), and a write that says which of those happened.

Pure Python over paths: no subprocess, no Salt dunder, so the unit tests point it at a
temporary directory standing in for ``/sys``.
"""

import errno
import os
import re

from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "stacksalt_sysfs"

_SIZE = re.compile(r"([1-9][0-9]*)\s*(k|m|g)?(?:i?b)?", re.IGNORECASE)
_UNIT_KB = {"k": 1, "m": 1024, "g": 1024 * 1024}

#: What a write failure was when it is the host's, not the request's: a read-only mount (a
#: container) or a caller without the right. The state reports these and goes on.
UNWRITABLE_KINDS = ("read-only", "permission")


def __virtual__():
    return __virtualname__


class KernelWriteError(CommandExecutionError):
    """A tunable could not be written; ``kind`` is one of :data:`UNWRITABLE_KINDS` or None."""

    def __init__(self, message, kind=None, path=None):
        super().__init__(message)
        self.kind = kind
        self.path = path


def size_kb(size, arg="size"):
    """
    A huge page size in kB from ``2M``, ``2MB``, ``2MiB``, ``2048kB``, ``2048K``, ``1G``, ``1GB``
    or a bare number of kB (an int or digits, as Nova and sysfs count them).
    """
    if isinstance(size, int) and not isinstance(size, bool):
        text = str(size)
    elif isinstance(size, str):
        text = size.strip()
    else:
        text = None
    match = _SIZE.fullmatch(text) if text is not None else None
    if not match:
        raise SaltInvocationError(f"{arg}: a page size such as 2M, 2048kB or 1G, got {size!r}")
    return int(match[1]) * _UNIT_KB[(match[2] or "k").lower()]


def kernel_size(kb):
    """The kernel command line's spelling of a page size in kB: ``2M``, ``1G``, ``64K``."""
    if kb % _UNIT_KB["g"] == 0:
        return f"{kb // _UNIT_KB['g']}G"
    if kb % _UNIT_KB["m"] == 0:
        return f"{kb // _UNIT_KB['m']}M"
    return f"{kb}K"


def mount_read_only(path):
    """Whether the file system holding ``path`` is mounted read-only (statvfs's ST_RDONLY)."""
    return bool(os.statvfs(path).f_flag & os.ST_RDONLY)


def _unwritable(path):
    """(kind, reason) when ``path`` cannot be written here, else (None, None)."""
    if not os.path.exists(path):
        return None, f"{path} does not exist"
    if mount_read_only(path):
        return (
            "read-only",
            f"{path} is on a read-only file system (a container's /sys and /proc/sys are read-only)",
        )
    if not os.access(path, os.W_OK):
        return "permission", f"{path} is not writable by this user (uid {os.geteuid()})"
    return None, None


def unwritable_reason(path):
    """
    Why ``path`` cannot be written here, or None when it can: a read-only mount (what a
    container's ``/sys`` and ``/proc/sys`` are), or no write permission for this user. Asked
    before writing, so that ``test=True`` says what the real run will meet.
    """
    return _unwritable(path)[1]


def read_value(path):
    """The stripped text of a tunable; a missing or unreadable file fails with its path."""
    try:
        with open(path, encoding="ascii") as handle:
            return handle.read().strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise CommandExecutionError(f"{path}: cannot read it: {reason}") from exc


def read_int(path):
    text = read_value(path)
    if not text.isdigit():
        raise CommandExecutionError(f"{path}: expected a whole number, found {text[:40]!r}")
    return int(text)


def _write_text(path, text):
    # sysfs and procfs take one write of the value; O_TRUNC is ignored there
    with open(path, "w", encoding="ascii") as handle:
        handle.write(text)


def write_value(path, value):
    """
    Write ``value`` to the tunable ``path``. A failure raises :class:`KernelWriteError`, whose
    ``kind`` says when it is the host's (``read-only``, ``permission``) rather than the value's.
    """
    kind, reason = _unwritable(path)
    if reason:
        raise KernelWriteError(f"cannot write {path}: {reason}", kind=kind, path=path)
    try:
        _write_text(path, str(value))
    except OSError as exc:
        if exc.errno == errno.EROFS:
            kind, why = "read-only", "read-only file system (a container's /sys and /proc/sys are read-only)"
        elif exc.errno in (errno.EACCES, errno.EPERM):
            kind, why = "permission", f"{exc.strerror} (uid {os.geteuid()})"
        else:
            kind, why = None, exc.strerror or str(exc)
        raise KernelWriteError(f"cannot write {value} to {path}: {why}", kind=kind, path=path) from exc


def unwritable_cause(exc):
    """The reason when ``exc`` (or what caused it) is a write the host refuses, else None."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if getattr(exc, "kind", None) in UNWRITABLE_KINDS:
            return str(exc)
        exc = exc.__cause__ or exc.__context__
    return None
