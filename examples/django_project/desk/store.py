"""settings.APPROVALS["STORE"] of the local demo: the SQLite store in the user's data directory."""

from __future__ import annotations

import sys

from approvals import SQLiteStore
from approvals.store.paths import default_path


def local_store() -> SQLiteStore:
    """The local SQLite store (``$APPROVALS_DATA_DIR/requests.sqlite3`` when that is set)."""
    path = default_path()
    print(f"approvals: using the local store {path}", file=sys.stderr)
    return SQLiteStore(path)
