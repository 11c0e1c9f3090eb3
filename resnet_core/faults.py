"""Faults of the machine a person can fix, named in their words: a full disk
(:class:`DiskFull`), a run store held by another process (:class:`StoreBusy`) and a home
folder that cannot be used (:class:`HomeUnusable`).

Whatever raised them (``open``, Keras's ``model.save``, SQLite), :func:`disk_full` and
:func:`store_busy` recognise them, so the run store, the training loop, the command line
and the pages say the same thing: what happened, where, and what to do.
"""

from __future__ import annotations

import errno
import shutil
import sqlite3
from pathlib import Path

LOW_SPACE = 1 << 20  # bytes: a disk with less free is full for our writes
_NO_SPACE_WORDS = ("no space left on device", "database or disk is full", "disk quota")


class StoreBusy(RuntimeError):
    """The run store is locked by another process for longer than we wait."""

    def __init__(self, home: str | Path | None = None):
        self.home = home
        super().__init__("the run store is busy (another process holds it); try again")


class DiskFull(OSError):
    """No space left where the explorer writes: says where, what it was doing, what
    was freed and what to do."""

    def __init__(
        self,
        folder: str | Path,
        doing: str = "",
        freed: int = 0,
        then: str = "free space there, then try again",
    ):
        self.folder, self.freed = Path(folder), freed
        text = f"no space left on the disk holding {folder}"
        if doing:
            text += f": {doing} failed"
        if freed:
            text += f"; its partial file ({freed / 1e6:.1f} MB) was removed"
        super().__init__(errno.ENOSPC, f"{text}; {then}")

    def __str__(self) -> str:
        return self.strerror


class HomeUnusable(OSError):
    """The explorer's home cannot be made or written (a file in its place, a folder
    without permission, a read-only disk): says which, why, and what to do."""

    def __init__(self, home: str | Path, exc: BaseException):
        if isinstance(exc, (FileExistsError, NotADirectoryError)):
            why = "a file stands where a folder is needed"
        elif isinstance(exc, PermissionError) or getattr(exc, "errno", None) == errno.EROFS:
            why = "no permission to write there"
        else:
            why = getattr(exc, "strerror", None) or str(exc)
        super().__init__(
            getattr(exc, "errno", None) or errno.EACCES,
            f"the explorer's home {home} cannot be used ({why}); set RESNET_EXPLORER_HOME "
            "to a folder you can write, or fix that one",
        )

    def __str__(self) -> str:
        return self.strerror


def free_bytes(folder: str | Path) -> int | None:
    """Free bytes on the disk holding ``folder`` (or its nearest existing parent)."""
    path = Path(folder)
    while not path.exists() and path != path.parent:
        path = path.parent
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return None


def _chain(exc: BaseException):
    """``exc`` and the exceptions it was raised from or during (a few levels)."""
    seen = 0
    while exc is not None and seen < 8:
        yield exc
        exc, seen = exc.__cause__ or exc.__context__, seen + 1


def disk_full(exc: BaseException, folder: str | Path | None = None) -> bool:
    """Whether ``exc`` (or what caused it) is a full disk: ENOSPC or EDQUOT from any
    writer, SQLite's "database or disk is full", or a SQLite I/O error while the disk
    holding ``folder`` has (almost) nothing free (SQLite says only "disk I/O error"
    when its shared-memory file cannot grow)."""
    for e in _chain(exc):
        if isinstance(e, DiskFull):
            return True
        if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if any(w in str(e).lower() for w in _NO_SPACE_WORDS):
            return True
        if (
            isinstance(e, sqlite3.Error)
            and folder is not None
            and (
                getattr(e, "sqlite_errorname", "").startswith("SQLITE_IOERR")
                or "disk i/o error" in str(e).lower()
            )
        ):
            free = free_bytes(folder)
            if free is not None and free < LOW_SPACE:
                return True
    return False


def store_busy(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite giving up on a lock another connection holds."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    name = getattr(exc, "sqlite_errorname", "")
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or any(
        w in str(exc).lower() for w in ("database is locked", "table is locked", "schema is locked")
    )


USER_FAULTS = (DiskFull, StoreBusy, HomeUnusable)
"""The faults a page or command reports as they are: the person can fix them."""


def named(exc: BaseException, folder: str | Path | None = None) -> Exception | None:
    """``exc`` as the fault a person can fix (one of :data:`USER_FAULTS`), or None when
    it is none of them."""
    if isinstance(exc, USER_FAULTS):
        return exc
    if store_busy(exc):
        return StoreBusy(folder)
    if disk_full(exc, folder):
        return DiskFull(folder or "the explorer's home", "writing")
    return None
