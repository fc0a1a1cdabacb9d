"""Embedded DynamoDB-compatible server backed by a local, crash-safe journal.

When neither an endpoint nor a region is configured, approvals runs against an in-process
DynamoDB-compatible server -- the way Django falls back to SQLite.  The server is moto's
DynamoDB implementation served over HTTP on a loopback port; the data lives in memory and is
made durable by a journal in a local data directory (:func:`default_data_dir`).

Persistence
    Every DynamoDB request that moto applied successfully and that can change state (anything
    but ``Get*``/``Describe*``/``List*``, ``Query``, ``Scan``, ``BatchGetItem`` and
    ``TransactGetItems``) is appended to ``journal.jsonl`` *before* the HTTP response is handed
    to the client.  A caller that saw a write succeed can therefore be SIGKILLed immediately
    afterwards without losing it.  By default the journal is written with ``os.write`` only
    (page cache: survives the death of the process, not of the machine); pass ``fsync=True``
    to also survive power loss, at the cost of one fsync per write.  Failed requests
    (conditional check failures, validation errors, cancelled transactions) are not journaled.
    Requests are applied and journaled one at a time, so journal order is application order.

    On :meth:`EmbeddedDynamoDB.start` the journal is replayed into moto before the port is
    opened; a torn last line (a write cut short by SIGKILL) is ignored.  After a run that
    wrote anything -- on :meth:`EmbeddedDynamoDB.stop`, or on the next start after a crash --
    the journal is compacted into a snapshot (``CreateTable`` per table, ``UpdateTimeToLive``,
    and the items as ``BatchWriteItem`` requests), written to a temporary file and atomically
    renamed over the journal.

Limits
    * Only the DynamoDB API (and the read-only DynamoDB Streams API) is served; other moto
      services and moto's ``/moto-api`` control endpoints are refused.
    * moto keeps its backends in process-global state.  Each instance is isolated in its own
      moto account (derived from the data directory), so several instances in one process on
      different data directories do not see each other's tables.  Setting ``MOTO_ACCOUNT_ID``
      defeats that isolation: then only one instance per process is allowed
      (:class:`EmbeddedServerError` otherwise).  Do not use ``moto.mock_aws`` in a process that
      runs an embedded server: moto resets *all* backends when a mock starts or stops.
    * A data directory is used by one instance at a time (an exclusive ``flock`` on
      ``<data_dir>/lock``; ``msvcrt`` locking on Windows); a second user gets
      :class:`DataDirLockedError`.
    * Data is held in memory and replayed on every start, so it suits development-sized data
      (replay runs at tens of thousands of items per second).  Only what the DynamoDB API can
      describe survives compaction: tables, key schema, GSIs/LSIs, billing mode, streams
      setting, tags, TTL and items.  Backups, SSE settings, contributor insights and the like
      are kept only until the next compaction.
"""

from approvals.embedded.datadir import LOCK_NAME as LOCK_NAME
from approvals.embedded.datadir import default_data_dir
from approvals.embedded.errors import DataDirLockedError, EmbeddedServerError, JournalCorruptError
from approvals.embedded.journal import JOURNAL_NAME as JOURNAL_NAME
from approvals.embedded.protocol import (
    DEFAULT_REGION,
    DUMMY_ACCESS_KEY_ID,
    DUMMY_SECRET_ACCESS_KEY,
    ensure_dummy_credentials,
)
from approvals.embedded.protocol import is_mutating_operation as is_mutating_operation
from approvals.embedded.server import EmbeddedDynamoDB

# JOURNAL_NAME, LOCK_NAME and is_mutating_operation stay importable from here as they were
# before the package split (the `as` form re-exports them), without joining `import *`.
__all__ = [
    "DEFAULT_REGION",
    "DUMMY_ACCESS_KEY_ID",
    "DUMMY_SECRET_ACCESS_KEY",
    "DataDirLockedError",
    "EmbeddedDynamoDB",
    "EmbeddedServerError",
    "JournalCorruptError",
    "default_data_dir",
    "ensure_dummy_credentials",
]
