"""Where the embedded server keeps its data, and the lock that gives one server a data dir."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from approvals.embedded.errors import DataDirLockedError

__all__ = ["LOCK_NAME", "default_data_dir", "lock_data_dir"]

LOCK_NAME = "lock"


def default_data_dir() -> Path:
    """Return the directory the embedded server keeps its data in.

    ``$APPROVALS_DATA_DIR`` if set and non-empty; otherwise the per-user data directory:
    ``$XDG_DATA_HOME/approvals`` or ``~/.local/share/approvals`` on Linux and other Unixes,
    ``~/Library/Application Support/approvals`` on macOS and ``%LOCALAPPDATA%\\approvals`` on
    Windows.  The directory is not created.
    """
    explicit = os.environ.get("APPROVALS_DATA_DIR")
    if explicit:
        return Path(explicit).expanduser()
    if sys.platform == "win32":
        local = os.environ.get("LOCALAPPDATA")
        base = Path(local) if local else Path.home() / "AppData" / "Local"
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        xdg = os.environ.get("XDG_DATA_HOME")
        # The XDG spec says relative paths are invalid and must be ignored.
        base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".local" / "share"
    return base / "approvals"


def lock_data_dir(data_dir: Path) -> int:
    """Take an exclusive, non-blocking lock on ``data_dir/lock``; return its descriptor.

    Closing the descriptor releases the lock.  Raises :class:`DataDirLockedError` if another
    server holds it (naming that server's process when it can), and ``OSError`` if the lock
    file cannot be opened.
    """
    path = data_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        _try_lock(fd)
    except OSError as e:
        holder = ""
        with contextlib.suppress(OSError, ValueError):
            with open(path, encoding="ascii") as f:
                pid = int(f.read().strip() or "0")
            if pid:
                holder = f" (held by process {pid})"
        os.close(fd)
        raise DataDirLockedError(
            f"the embedded DynamoDB data directory {data_dir} is in use by another "
            f"embedded server{holder}; stop it, or set APPROVALS_DATA_DIR to another directory"
        ) from e
    except BaseException:
        os.close(fd)
        raise
    with contextlib.suppress(OSError):
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
    return fd


if sys.platform == "win32":

    def _try_lock(fd: int) -> None:
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

else:

    def _try_lock(fd: int) -> None:
        import fcntl

        # flock locks belong to the open file description, so a second instance in the same
        # process is refused too (unlike POSIX record locks).
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
