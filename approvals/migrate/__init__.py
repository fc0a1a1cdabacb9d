"""approvals.migrate: bulk operations for data-migration scripts on a requests table.

* :func:`scan_requests` -- every request, by a parallel Scan, in constant memory.
* :func:`export_jsonl` / :func:`import_jsonl` -- one request per line, every stored string kept
  (the format: :mod:`approvals.migrate.format`).
* :func:`sweep_expired` -- pending requests past ``expires_at`` become ``expired``.
* :func:`normalize` -- items in the Go service's older forms are rewritten canonically.
* :func:`rewrite` -- the general form: a function maps each Request to a Request or None.
* :func:`export_table_to_s3`, :func:`read_table_export`, :func:`import_table_from_s3` --
  DynamoDB's own export and import, for tables too large to scan from one machine.

Every bulk operation takes ``dry_run``, ``rate_limit`` (capacity units per second),
``progress`` (called with a :class:`MigrationReport` after each page or batch) and
``checkpoint`` (a path or :class:`Checkpoint`: killed and rerun with it, the operation finishes
with nothing lost and nothing written twice). Writes are conditional: a request changed
meanwhile is counted as a conflict, never overwritten. A store with ``dynamodb_table()`` is
migrated on its items exactly as stored, any other Store through its public methods. Options
are checked (:class:`BulkOptions`) before any call. Raises only :class:`~approvals.ApprovalsError`
(plus OSError from files you pass).

Usage::

    from approvals import DynamoDBStore
    from approvals.migrate import export_jsonl, sweep_expired

    store = DynamoDBStore("sentinel-requests", region="eu-west-1")
    print(sweep_expired(store, checkpoint="sweep.ckpt").summary())
    with open("requests.jsonl", "a", encoding="utf-8") as out:
        export_jsonl(store, out, checkpoint="export.ckpt")
"""

from approvals.migrate.bulk import Transform, canonical_time, normalize, rewrite, sweep_expired
from approvals.migrate.checkpoint import Checkpoint
from approvals.migrate.format import decode_line, encode_item
from approvals.migrate.jsonl import IMPORT_MODES, export_jsonl, import_jsonl
from approvals.migrate.native import TableExport, read_table_export
from approvals.migrate.options import DEFAULT_PAGE_SIZE, DEFAULT_SEGMENTS, BulkOptions
from approvals.migrate.report import MAX_REPORTED_IDS, MigrationReport, ProgressCallback
from approvals.migrate.scan import scan_requests
from approvals.migrate.table_jobs import export_table_to_s3, import_table_from_s3, upload_for_import
from approvals.migrate.throttle import CapacityLimiter

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "DEFAULT_SEGMENTS",
    "IMPORT_MODES",
    "MAX_REPORTED_IDS",
    "BulkOptions",
    "CapacityLimiter",
    "Checkpoint",
    "MigrationReport",
    "ProgressCallback",
    "TableExport",
    "Transform",
    "canonical_time",
    "decode_line",
    "encode_item",
    "export_jsonl",
    "export_table_to_s3",
    "import_jsonl",
    "import_table_from_s3",
    "normalize",
    "read_table_export",
    "rewrite",
    "scan_requests",
    "sweep_expired",
    "upload_for_import",
]
