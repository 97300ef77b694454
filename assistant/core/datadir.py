"""The data folder as a whole: one writer at a time, read-only folders, full disks.

- `write_lock`: an inter-process lock (flock on CX_DATA_DIR/.write.lock) that `ingest`,
  `index`, `doctor` repairs and chat uploads hold while they write, so two of them never
  interleave their SQLite and Chroma writes (that left records stored but unlinked, and
  Chroma's segments damaged).
- `is_read_only`: the folder cannot be written (permissions, a read-only mount, or
  CX_READ_ONLY): stores open read-only and answers still work.
- `storage_error`: a failed write whose cause is a full disk or a read-only folder, as the
  fixed message that says so (details go to the log), or None for any other cause.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from assistant.core.errors import (
    AssistantError,
    DataFolderBusyError,
    DataFolderReadOnlyError,
    DiskFullError,
)

log = logging.getLogger(__name__)

LOCK_FILE = ".write.lock"
# Under this much free space a failed Chroma write is taken for a full disk: Chroma's
# errors name no cause ("Error in compaction"), and its segment files grow by megabytes.
LOW_SPACE_BYTES = 64 * 1024 * 1024
_MB = 1024 * 1024


def is_read_only(folder: Path, forced: bool = False) -> bool:
    """Whether nothing may be written in `folder` (a file: to it; before it exists, in its
    parent)."""
    if forced:
        return True
    folder = _existing(folder)
    try:  # a read-only mount stops root too, where permission bits do not
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return True
    except OSError:
        return False
    return not os.access(folder, os.W_OK | (os.X_OK if folder.is_dir() else 0))


def read_only_error(folder: Path) -> DataFolderReadOnlyError:
    return DataFolderReadOnlyError(
        f"The data folder {folder} is read-only: answers work, but nothing can be ingested or "
        f"indexed. Run this where the folder is writable (or point CX_DATA_DIR to a writable "
        f"copy); nothing in it needs to be deleted."
    )


def disk_full_error(folder: Path, needed_bytes: int = 0) -> DiskFullError:
    free = _free_bytes(folder)
    needed = max(needed_bytes, LOW_SPACE_BYTES)
    return DiskFullError(
        f"The disk holding {folder} is full: {free // _MB} MB free, about {needed // _MB} MB "
        f"needed. Free some space and run the command again: what was stored is kept, and "
        f"the next `cx-assistant ingest` or `index` finishes the rest."
    )


def _existing(path: Path) -> Path:
    """`path`, or its nearest parent that exists (where it would be written)."""
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


def _free_bytes(folder: Path) -> int:
    try:
        return shutil.disk_usage(_existing(folder)).free
    except OSError:
        return 0


def _says_full(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno == errno.ENOSPC:
            return True
        if "database or disk is full" in str(seen):  # SQLite's words (sqlite3 stays in store/)
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def storage_error(
    exc: BaseException, folder: Path, *, read_only: bool = False, needed_bytes: int = 0
) -> AssistantError | None:
    """The fixed message for a failed write whose cause is the storage (a full disk, a
    read-only folder), or None: the caller keeps its own message for anything else."""
    if isinstance(exc, AssistantError):
        return None
    if _says_full(exc) or _free_bytes(folder) < LOW_SPACE_BYTES:
        log.warning("write in %s failed, the disk is full: %r", folder, exc)
        return disk_full_error(folder, needed_bytes)
    if read_only or is_read_only(folder) or "readonly database" in str(exc):
        log.warning("write in %s failed, the folder is read-only: %r", folder, exc)
        return read_only_error(folder)
    return None


@contextmanager
def write_lock(folder: Path, timeout_s: float, forced_read_only: bool = False) -> Iterator[None]:
    """Hold the data folder's write lock: wait (saying so on stderr) while another process
    holds it, up to `timeout_s`. The lock goes with the process, so a killed writer never
    leaves it behind."""
    if is_read_only(folder, forced_read_only):
        raise read_only_error(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = (folder / LOCK_FILE).open("a")
    except OSError as exc:
        if err := storage_error(exc, folder):
            raise err from exc
        raise
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print("waiting for another ingest/index to finish…", file=sys.stderr, flush=True)
            deadline = time.monotonic() + timeout_s
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise DataFolderBusyError(
                            f"Another ingest or index has been writing in {folder} for more "
                            f"than {timeout_s:g} s (setting CX_WRITE_LOCK_TIMEOUT_S); try "
                            f"again when it has finished."
                        ) from None
                    time.sleep(0.2)
        yield
    finally:
        handle.close()  # closing releases the lock
