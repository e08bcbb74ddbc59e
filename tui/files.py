"""File helpers shared by every layer: nothing the user owns is ever left half-written."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def atomic_write_text(path: Path, text: str, mode: int | None = None) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


# Long enough for another exohop's read-modify-write of a 50,000-tenant file on a slow disk, short
# enough that a lock left by a hung process is reported instead of hanging this one.
LOCK_TIMEOUT_S = 30.0


class FileBusy(OSError):
    """Another process held the lock of a file for longer than the timeout; ``message`` says which."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.strerror = message


def lock_path(path: Path) -> Path:
    """The sibling lock file of ``path`` (``tenants.toml`` → ``tenants.toml.lock``)."""
    return path.with_name(path.name + ".lock")


@contextmanager
def locked(path: Path, timeout: float | None = None) -> Iterator[None]:
    """Hold the lock of ``path`` (a sibling ``.lock`` file) for one read-modify-write.

    Every writer of a user file re-reads it inside this block, so two exohop processes editing the
    same file serialise instead of one overwriting the other's change with its stale copy. The lock
    file is left in place: deleting it would let a third process lock a different inode.
    """
    from filelock import FileLock, Timeout  # here: every start imports this module, few take a lock

    timeout = LOCK_TIMEOUT_S if timeout is None else timeout
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(lock_path(path)), timeout=timeout)
    try:
        lock.acquire()
    except Timeout:
        raise FileBusy(f"{path} is being changed by another exohop (its lock {lock_path(path).name} "
                       f"was held for more than {timeout:.0f} s); try again") from None
    try:
        yield
    finally:
        lock.release()
