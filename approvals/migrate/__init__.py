"""approvals.migrate: bulk operations for data-migration scripts on a requests table.

Scan, export and import JSON Lines, sweep expired requests, normalize or :func:`rewrite` items,
and drive DynamoDB's own export to and import from S3. Every bulk operation takes the
:class:`BulkOptions` keywords (``dry_run``, ``rate_limit``, ``progress``, ``checkpoint``, ...),
checked before any call; killed and rerun with its checkpoint, it finishes with nothing lost and
nothing written twice. Writes are conditional: a request changed meanwhile is a conflict, never
overwritten. Raises only :class:`~approvals.ApprovalsError` (plus OSError from files you pass).
README, "Writing a migration script", has the details.

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
