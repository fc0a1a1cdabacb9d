"""Where the local store lives: the platform's per-user data directory."""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["DEFAULT_FILE_NAME", "default_data_dir", "default_path"]

DEFAULT_FILE_NAME = "requests.sqlite3"


def default_data_dir() -> Path:
    """Return the directory the local store keeps its data in (not created).

    ``$APPROVALS_DATA_DIR`` if set and non-empty; otherwise the per-user data directory:
    ``$XDG_DATA_HOME/approvals`` or ``~/.local/share/approvals`` on Linux and other Unixes,
    ``~/Library/Application Support/approvals`` on macOS and ``%LOCALAPPDATA%\\approvals`` on
    Windows.
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


def default_path() -> Path:
    """Return the file of the local :class:`~approvals.SQLiteStore`: ``requests.sqlite3`` in
    :func:`default_data_dir`."""
    return default_data_dir() / DEFAULT_FILE_NAME
