"""What the SQLiteStore tests read from a file with sqlite3 itself, beside the store."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any


def stored_rows(path: Path) -> dict[str, dict[str, Any]]:
    """Every row of the ``requests`` table of the file at ``path``, by id, by column name."""
    connection = sqlite3.connect(path)
    try:
        connection.row_factory = sqlite3.Row
        return {row["id"]: dict(row) for row in connection.execute("SELECT * FROM requests")}
    finally:
        connection.close()


def as_row(item: dict[str, dict[str, str]]) -> dict[str, Any]:
    """A DynamoDB item as the row SQLiteStore keeps for it: numbers as integers, an absent
    approver or comment as ""."""
    row: dict[str, Any] = {"approver": "", "approver_comment": ""}
    for name, typed in item.items():
        ((kind, value),) = typed.items()
        row[name] = int(value) if kind == "N" else value
    return row


def integrity(path: Path) -> str:
    """SQLite's own check of the file: "ok" when it is sound."""
    connection = sqlite3.connect(path)
    try:
        result: str = connection.execute("PRAGMA integrity_check").fetchone()[0]
        return result
    finally:
        connection.close()
