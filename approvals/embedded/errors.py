"""The errors the embedded DynamoDB server raises."""

from __future__ import annotations

__all__ = ["DataDirLockedError", "EmbeddedServerError", "JournalCorruptError"]


class EmbeddedServerError(RuntimeError):
    """The embedded DynamoDB server could not be started or used."""


class DataDirLockedError(EmbeddedServerError):
    """Another embedded server (in this or another process) is using the data directory."""


class JournalCorruptError(EmbeddedServerError):
    """The journal holds an unreadable record that is not a torn last line."""
