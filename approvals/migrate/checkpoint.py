"""Checkpoint: a small JSON progress file written atomically, so a killed run can resume.

The file is replaced as a whole (write to a temporary file in the same directory, fsync, rename,
fsync the directory), so after a crash it holds either the previous or the new progress, never a
torn mix. A bulk operation saves it only after the writes it records are acknowledged.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Union

from approvals.errors import ValidationError

__all__ = ["FORMAT", "VERSION", "Checkpoint", "CheckpointLike", "as_checkpoint"]

FORMAT = "approvals-migrate-checkpoint"
VERSION = 1


class Checkpoint:
    """The progress file of one bulk operation at ``path``.

    ``interval`` is the least number of seconds between two saves while the operation runs (it
    always saves at the end and when it stops on an error); 0 saves after every page or batch.
    A rerun with the same file resumes where the last save left off; once the operation is
    complete, a rerun does nothing and returns the recorded report. Delete the file to start
    over.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = Path(path)
        self.interval = interval
        self._clock = clock
        self._last_save: float | None = None

    def __repr__(self) -> str:
        return f"Checkpoint({str(self.path)!r}, interval={self.interval})"

    def load(self) -> dict[str, Any] | None:
        """Return the saved contents, or None when there is no file yet.

        Raises ValidationError when the file is not a checkpoint of this format.
        """
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValidationError(
                f"{self.path} is not an approvals checkpoint; pass a new path or delete it",
                field="checkpoint",
            )
        if data.get("version") != VERSION:
            raise ValidationError(
                f"{self.path} is a checkpoint of version {data.get('version')!r}; "
                f"this library reads version {VERSION}",
                field="checkpoint",
            )
        return data

    def due(self) -> bool:
        """True when ``interval`` seconds have passed since the last save (or none happened)."""
        return self._last_save is None or self._clock() - self._last_save >= self.interval

    def save(self, data: dict[str, Any]) -> None:
        """Atomically replace the file with ``data`` (plus format and version)."""
        payload = {"format": FORMAT, "version": VERSION, **data}
        text = json.dumps(payload, ensure_ascii=False, sort_keys=True, indent=1) + "\n"
        directory = self.path.parent
        directory.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        _fsync_directory(directory)
        self._last_save = self._clock()


CheckpointLike = Union[Checkpoint, str, "os.PathLike[str]"]
"""A :class:`Checkpoint` or the path of one (saved at most once a second)."""


def as_checkpoint(value: CheckpointLike | None) -> Checkpoint | None:
    """Return ``value`` as a Checkpoint (a path becomes ``Checkpoint(path)``), or None."""
    if value is None or isinstance(value, Checkpoint):
        return value
    return Checkpoint(value)


def _fsync_directory(directory: Path) -> None:
    # The rename is durable only once the directory entry is; not possible on every platform.
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
