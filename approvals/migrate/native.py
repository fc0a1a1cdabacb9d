"""Reading DynamoDB's own table exports (``ExportTableToPointInTime``, DYNAMODB_JSON)::

    PREFIX/AWSDynamoDB/EXPORT-ID/manifest-summary.json   exportArn, itemCount, manifestFilesS3Key
    PREFIX/AWSDynamoDB/EXPORT-ID/manifest-files.json     a line per data file: dataFileS3Key,
                                                          itemCount, md5Checksum
    PREFIX/AWSDynamoDB/EXPORT-ID/data/NAME.json.gz        gzip; a line per item: {"Item": ...}

DynamoDB writes the manifests last, so a readable manifest means a complete export. Each data
file streams in constant memory; its item count (and MD5, when given) is checked.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from botocore.exceptions import BotoCoreError, ClientError

from approvals.errors import StoreError, ValidationError
from approvals.migrate.format import encode_item
from approvals.migrate.generic import item_codec
from approvals.migrate.protocol import RawItem
from approvals.migrate.report import MigrationReport
from approvals.request import Request

__all__ = ["TableExport", "parse_s3_url", "read_table_export", "s3_errors"]

SUMMARY = "manifest-summary.json"
_CHUNK = 1 << 20


def parse_s3_url(url: str) -> tuple[str, str]:
    """Return (bucket, key prefix without a trailing slash) of ``s3://bucket/prefix``."""
    if not isinstance(url, str) or not url.startswith("s3://"):
        raise ValidationError(f"expected an s3://bucket/prefix URL, got {url!r:.80}", field="url")
    bucket, _, prefix = url[len("s3://") :].partition("/")
    if not bucket:
        raise ValidationError(f"no bucket in {url!r:.80}", field="url")
    return bucket, prefix.strip("/")


@dataclass(frozen=True)
class TableExport:
    """One complete ExportTableToPointInTime export, on S3 or in a local directory.

    Build it with :func:`read_table_export`. ``summary`` is the parsed manifest-summary.json.
    """

    location: str
    summary: dict[str, Any]
    _source: _Source

    @property
    def item_count(self) -> int:
        """How many items the export holds (its manifest's count)."""
        return int(self.summary.get("itemCount") or 0)

    def items(self) -> Iterator[RawItem]:
        """Yield every item exactly as stored (DynamoDB JSON), file by file.

        StoreError when a data file is missing, damaged, or holds another count of items than
        its manifest says.
        """
        manifest = self._source.read(str(self.summary["manifestFilesS3Key"]))
        for number, line in enumerate(manifest.decode("utf-8").splitlines(), 1):
            if line.strip():
                yield from self._data_file(json.loads(line), number)

    def requests(self) -> Iterator[Request]:
        """Yield every item as a Request, decoded as a scan decodes it (StoreError if malformed)."""
        codec = item_codec()
        for raw in self.items():
            yield codec.to_request(raw)

    def write_jsonl(self, fp: IO[str]) -> MigrationReport:
        """Write every item to ``fp`` in the JSON Lines format, as :func:`export_jsonl` does."""
        report = MigrationReport(operation="export")
        for raw in self.items():
            fp.write(encode_item(raw))
            report.scanned += 1
            report.written += 1
        report.complete = True
        return report

    def _data_file(self, entry: dict[str, Any], number: int) -> Iterator[RawItem]:
        key = entry.get("dataFileS3Key")
        if not isinstance(key, str):
            raise StoreError(f"{self.location}: manifest-files.json line {number} has no file")
        digest = hashlib.md5(usedforsecurity=False)
        inflate = zlib.decompressobj(wbits=31)  # gzip
        pending = b""
        count = 0
        for chunk in self._source.chunks(key):
            digest.update(chunk)
            pending += inflate.decompress(chunk)
            *lines, pending = pending.split(b"\n")
            for line in lines:
                if line.strip():
                    count += 1
                    yield _item(line, key)
        pending += inflate.flush()
        if pending.strip():
            count += 1
            yield _item(pending, key)
        expected = entry.get("itemCount")
        if expected is not None and int(expected) != count:
            raise StoreError(f"{key}: {count} items, its manifest says {expected}")
        md5 = entry.get("md5Checksum")
        if md5 and md5 not in (digest.hexdigest(), base64.b64encode(digest.digest()).decode()):
            raise StoreError(f"{key}: damaged (its MD5 differs from the manifest's)")


def read_table_export(location: str | os.PathLike[str], *, s3_client: Any = None) -> TableExport:
    """Open the export at ``location``: ``s3://bucket/prefix`` or a local directory (a copy of
    the bucket's prefix, e.g. made with ``aws s3 sync``).

    ``location`` is the export's own directory (holding manifest-summary.json) or the prefix
    given to the export (holding ``AWSDynamoDB/EXPORT-ID/``), which must then hold exactly one
    export. ``s3_client`` is a botocore or boto3 S3 client (default: one for the environment's
    region and credentials).

    Raises ValidationError when there is no complete export there, several, or one in a format
    other than a full DYNAMODB_JSON export; StoreError when S3 refuses.
    """
    if isinstance(location, str) and location.startswith("s3://"):
        bucket, prefix = parse_s3_url(location)
        source: _Source = _S3Source(s3_client or _default_s3_client(), bucket)
        where = f"s3://{bucket}/"
    else:
        prefix = ""
        source = _LocalSource(Path(location))
        where = f"{location}/"
    summary_key = _find_summary(source, prefix, where)
    try:
        summary = json.loads(source.read(summary_key))
    except ValueError:
        summary = None
    if not isinstance(summary, dict) or not isinstance(summary.get("manifestFilesS3Key"), str):
        raise ValidationError(
            f"{where}{summary_key} is not an export's manifest summary", field="location"
        )
    if summary.get("outputFormat", "DYNAMODB_JSON") != "DYNAMODB_JSON" or summary.get(
        "exportType", "FULL_EXPORT"
    ) != ("FULL_EXPORT"):
        raise ValidationError(
            f"{where}{summary_key} is a {summary.get('exportType')} export in "
            f"{summary.get('outputFormat')}; only full DYNAMODB_JSON exports can be read",
            field="location",
        )
    if isinstance(source, _LocalSource):
        source.export_dir = source.root / summary_key.rpartition(SUMMARY)[0]
    return TableExport(location=f"{where}{summary_key}", summary=summary, _source=source)


def _find_summary(source: _Source, prefix: str, where: str) -> str:
    base = f"{prefix}/" if prefix else ""
    found = sorted(key for key in source.list(base) if key.rpartition("/")[2] == SUMMARY)
    direct = [key for key in found if key == base + SUMMARY]
    if direct:
        return direct[0]
    depth = base.count("/") + 2  # PREFIX/AWSDynamoDB/ID/manifest-summary.json
    nested = [k for k in found if k.startswith(base + "AWSDynamoDB/") and k.count("/") == depth]
    if len(nested) == 1:
        return nested[0]
    if not nested:
        raise ValidationError(
            f"no complete table export under {where}{base} (no {SUMMARY})", field="location"
        )
    raise ValidationError(
        f"{len(nested)} exports under {where}{base}; give one of them: "
        + ", ".join(key.rpartition("/")[0] for key in nested[:5]),
        field="location",
    )


def _item(line: bytes, key: str) -> RawItem:
    try:
        item = json.loads(line)["Item"]
    except (ValueError, KeyError, TypeError) as exc:
        raise StoreError(f"{key}: a line is not an exported item ({exc})", retryable=False) from exc
    if not isinstance(item, dict):
        raise StoreError(f"{key}: a line is not an exported item", retryable=False)
    raw: RawItem = item
    return raw


class _Source:
    """Where an export's files are: keys are S3 keys, as the manifests name them."""

    def list(self, prefix: str) -> list[str]:
        raise NotImplementedError

    def chunks(self, key: str) -> Iterator[bytes]:
        raise NotImplementedError

    def read(self, key: str) -> bytes:
        return b"".join(self.chunks(key))


class _LocalSource(_Source):
    def __init__(self, root: Path) -> None:
        self.root = root
        self.export_dir = root  # the directory of manifest-summary.json, once found

    def list(self, prefix: str) -> list[str]:
        if not self.root.is_dir():
            raise ValidationError(f"{self.root} is not a directory", field="location")
        return [p.relative_to(self.root).as_posix() for p in self.root.rglob(SUMMARY)]

    def _path(self, key: str) -> Path:
        candidate = self.root / key
        # The manifests name S3 keys (PREFIX/AWSDynamoDB/ID/...): the part after the ID is
        # where the file is in the export's directory.
        marker = key.rfind("AWSDynamoDB/")
        parts = key[marker:].split("/", 2)
        if candidate.exists() or marker < 0 or len(parts) < 3:
            return candidate
        return self.export_dir / parts[2]

    def chunks(self, key: str) -> Iterator[bytes]:
        path = self._path(key)
        try:
            with path.open("rb") as file:
                while chunk := file.read(_CHUNK):
                    yield chunk
        except FileNotFoundError:
            raise StoreError(f"{path}: missing from the export", retryable=False) from None


class _S3Source(_Source):
    def __init__(self, client: Any, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def list(self, prefix: str) -> list[str]:
        keys: list[str] = []
        with s3_errors(f"s3://{self.bucket}/{prefix}"):
            for page in self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix
            ):
                keys.extend(entry["Key"] for entry in page.get("Contents") or [])
        return keys

    def chunks(self, key: str) -> Iterator[bytes]:
        with s3_errors(f"s3://{self.bucket}/{key}"):
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
            while chunk := body.read(_CHUNK):
                yield chunk


@contextmanager
def s3_errors(where: str) -> Iterator[None]:
    """Turn an S3 failure inside the block into a StoreError naming ``where``."""
    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise StoreError(
            f"{where}: S3 refused ({error.get('Code')}: {error.get('Message')})", retryable=False
        ) from exc
    except BotoCoreError as exc:
        raise StoreError(f"{where}: S3 unreachable ({exc})", retryable=True) from exc


def _default_s3_client() -> Any:
    import botocore.session

    return botocore.session.get_session().create_client("s3")
