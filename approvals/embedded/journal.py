"""The journal file: its format, appending to it, reading it back, replacing it by a snapshot.

One JSON object per line::

    {"format": "approvals-embedded-journal", "version": 1}      header
    {"target": "DynamoDB_20120810.CreateTable", "region": "us-east-1", "body": "<request>"}
    ...                                                           snapshot records
    {"snapshot_end": true}                                        end of the last compaction
    {"target": "DynamoDB_20120810.PutItem", ...}                  writes since (journaled live)

Records after the marker mean the journal needs compacting; that happens at the next start.
A run of unreadable lines at the very end is a torn write and is dropped; an unreadable line
followed by valid ones is :class:`JournalCorruptError`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from approvals.embedded.errors import JournalCorruptError
from approvals.embedded.protocol import DYNAMODB_PREFIX

__all__ = [
    "JOURNAL_NAME",
    "JournalContents",
    "JournalWriter",
    "Record",
    "read_journal",
    "write_snapshot",
]

# The package logs on one logger, as it did when it was a single module.
log = logging.getLogger("approvals.embedded")

JOURNAL_NAME = "journal.jsonl"
_JOURNAL_FORMAT = "approvals-embedded-journal"
_JOURNAL_VERSION = 1


def _compact_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


@dataclass(frozen=True)
class Record:
    """One journaled DynamoDB request: its ``X-Amz-Target``, its region and its JSON body."""

    target: str
    region: str
    body: str

    @classmethod
    def api(cls, region: str, operation: str, params: dict[str, Any]) -> Record:
        """Return the record of the DynamoDB *operation* called with *params* in *region*."""
        return cls(DYNAMODB_PREFIX + operation, region, _compact_json(params))

    def to_line(self) -> bytes:
        """Return the record as one journal line (ASCII JSON, newline-terminated)."""
        data = {"target": self.target, "region": self.region, "body": self.body}
        # ensure_ascii keeps lone surrogates (undecodable request bytes) representable.
        return (_compact_json(data) + "\n").encode("ascii")

    @classmethod
    def parse(cls, value: Any) -> Record | None:
        """Return the record a decoded journal line holds, or ``None`` if it holds none."""
        if not isinstance(value, dict):
            return None
        target, region, body = value.get("target"), value.get("region"), value.get("body")
        if isinstance(target, str) and isinstance(region, str) and isinstance(body, str):
            return cls(target, region, body)
        return None


_HEADER_LINE = (
    _compact_json({"format": _JOURNAL_FORMAT, "version": _JOURNAL_VERSION}) + "\n"
).encode("ascii")
_SNAPSHOT_END_LINE = b'{"snapshot_end":true}\n'


@dataclass
class JournalContents:
    """What :func:`read_journal` found: the records to replay, and whether to compact."""

    records: list[Record] = field(default_factory=list)
    exists: bool = False
    snapshot_complete: bool = False
    writes_after_snapshot: int = 0
    torn: bool = False

    @property
    def clean(self) -> bool:
        """True if the file is exactly a snapshot (nothing to compact)."""
        return (
            self.exists
            and self.snapshot_complete
            and not self.torn
            and self.writes_after_snapshot == 0
        )


def read_journal(path: Path) -> JournalContents:
    """Read the journal at *path* (a missing file is an empty journal), dropping a torn tail.

    Raises :class:`JournalCorruptError` if the file is not a journal, has an unsupported
    version, or holds an unreadable line followed by valid ones; ``OSError`` if it cannot be
    read.
    """
    contents = JournalContents()
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed by the with below
    except FileNotFoundError:
        return contents
    contents.exists = True
    bad_line: int | None = None
    with handle:
        for lineno, raw in enumerate(handle, start=1):
            parsed: Any = None
            if raw.endswith(b"\n"):
                with contextlib.suppress(ValueError):
                    parsed = json.loads(raw)
            if lineno == 1 and parsed is not None:
                if not (isinstance(parsed, dict) and parsed.get("format") == _JOURNAL_FORMAT):
                    raise JournalCorruptError(f"{path} is not an approvals embedded journal")
                if parsed.get("version") != _JOURNAL_VERSION:
                    raise JournalCorruptError(
                        f"{path}: journal version {parsed.get('version')!r} is not supported"
                    )
                continue
            record = Record.parse(parsed)
            is_marker = isinstance(parsed, dict) and parsed.get("snapshot_end") is True
            if record is None and not is_marker:
                bad_line = bad_line or lineno
                continue
            if bad_line is not None:
                raise JournalCorruptError(
                    f"{path}: line {bad_line} is unreadable and is followed by valid records; "
                    "the journal is damaged (move it away to start with an empty store)"
                )
            if record is None:
                contents.snapshot_complete = True
            else:
                contents.records.append(record)
                if contents.snapshot_complete:
                    contents.writes_after_snapshot += 1
    # A run of unreadable lines at the very end is a write cut short (SIGKILL, power loss):
    # the client never saw those writes succeed, so they are dropped.
    contents.torn = bad_line is not None
    if contents.torn:
        log.warning("embedded DynamoDB: ignoring a torn write at the end of %s", path)
    return contents


def write_snapshot(path: Path, records: Iterable[Record]) -> None:
    """Atomically replace the journal at *path* with *records* as a complete snapshot.

    The records are written to a temporary file, fsynced and renamed over *path*; on any
    failure (``OSError``, or whatever producing *records* raises) the journal is untouched.
    """
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as out:
            out.write(_HEADER_LINE)
            for record in records:
                out.write(record.to_line())
            out.write(_SNAPSHOT_END_LINE)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    if os.name == "nt":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse fsync on directories
    finally:
        os.close(fd)


class JournalWriter:
    """Appends records to a journal file; not thread-safe (the caller serializes appends)."""

    def __init__(self, path: Path, *, fsync: bool) -> None:
        """Open (creating if needed) the journal at *path* for appending; ``OSError`` if not.

        *fsync* makes every append call ``fsync`` (survives power loss, not only process death).
        """
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0)
        self._fd = os.open(path, flags, 0o600)
        self._fsync = fsync

    def append(self, record: Record) -> None:
        """Write *record* as one line (the whole line, retrying short writes); ``OSError``."""
        fd = self._fd
        view = memoryview(record.to_line())
        while view:
            written = os.write(fd, view)
            view = view[written:]
        if self._fsync:
            os.fsync(fd)

    def close(self) -> None:
        """Close the file; the writer must not be used afterwards."""
        os.close(self._fd)
