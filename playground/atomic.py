"""Writing user data: atomic (a temporary file in the same folder, fsync, rename), private
(0600 files, 0700 folders), and one writer at a time where a file is read, changed and written.

A reader (or a crash) sees the old file or the new one, never half of one. Every failure is a
``WriteFailed``: one line naming the file and the reason; the caller's data in memory is untouched.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from playground.errors import UserError
from playground.user_files import shown

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks; atomic renames still hold
    fcntl = None  # type: ignore[assignment]

#: A temporary file older than this is left over from a killed writer.
STALE_AFTER_S = 3600.0


class WriteFailed(UserError, OSError):
    """A write that did not happen. Also an ``OSError``, so older ``except OSError`` callers hold."""

    def __init__(self, path: Path, failure: BaseException) -> None:
        reason = failure.strerror if isinstance(failure, OSError) and failure.strerror else str(failure)
        if isinstance(failure, OSError) and failure.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            reason += "; free some space and try again"
        elif isinstance(failure, OSError) and failure.errno in (errno.EROFS, errno.EACCES, errno.EPERM,
                                                                errno.ENOTDIR, errno.ENOENT):
            reason += "; choose a folder you can write to"
        super().__init__(f"{shown(path)}: cannot be written ({reason})", exit_code=1)
        self.path = path


def make_private_dir(folder: Path) -> None:
    """Create ``folder`` and its missing parents; every folder this creates is 0700 (``mkdir``'s
    ``parents=True`` would give the parents the umask's mode, e.g. 0755)."""
    missing: list[Path] = []
    while not folder.is_dir() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        path.mkdir(mode=0o700, exist_ok=True)


def write_text_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` (0600), or raise WriteFailed and leave it as it was."""
    try:
        make_private_dir(path.parent)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as failure:
        raise WriteFailed(path, failure) from None
    opened = False
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:  # mkstemp made it 0600
            opened = True
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException as failure:
        if not opened:
            with contextlib.suppress(OSError):
                os.close(handle)
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(failure, OSError):
            raise WriteFailed(path, failure) from None
        raise
    _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``folder`` while reading, changing and writing a file
    in it, so two instances of the app never interleave (the folder itself is locked: no lock
    files are left behind)."""
    try:
        make_private_dir(folder)
        fd = os.open(folder, os.O_RDONLY)
    except OSError as failure:
        raise WriteFailed(folder, failure) from None
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def remove_stale_temporaries(folder: Path, older_than_s: float = STALE_AFTER_S) -> list[Path]:
    """Delete ``.*.tmp`` files a killed writer left in ``folder``; a young one may be another
    instance's write in progress and stays. Returns what was removed."""
    removed: list[Path] = []
    cutoff = time.time() - older_than_s
    try:
        candidates = list(folder.glob(".*.tmp"))
    except OSError:
        return removed
    for candidate in candidates:
        try:
            if candidate.is_file() and not candidate.is_symlink() and candidate.stat().st_mtime < cutoff:
                candidate.unlink()
                removed.append(candidate)
        except OSError:
            continue
    return removed


def ensure_private_file(path: Path) -> None:
    """Create ``path`` empty if missing, make it 0600 and check it can be appended to (the REPL's
    history); raise WriteFailed if not."""
    try:
        make_private_dir(path.parent)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK, 0o600)
    except OSError as failure:
        raise WriteFailed(path, failure) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        os.fchmod(fd, 0o600)
    except OSError as failure:
        raise WriteFailed(path, failure) from None
    finally:
        os.close(fd)
