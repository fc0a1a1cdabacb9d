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

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import json
import logging
import os
import re
import socket
import sys
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from werkzeug.serving import BaseWSGIServer

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

log = logging.getLogger(__name__)

#: Region the embedded server advertises to clients (any region a client signs with works).
DEFAULT_REGION = "us-east-1"
#: Credentials handed to clients of the embedded server; moto does not check signatures.
DUMMY_ACCESS_KEY_ID = "AKIAEMBEDDEDAPPROVALS"
DUMMY_SECRET_ACCESS_KEY = "approvals-embedded-dynamodb-not-a-secret"

JOURNAL_NAME = "journal.jsonl"
LOCK_NAME = "lock"
_JOURNAL_FORMAT = "approvals-embedded-journal"
_JOURNAL_VERSION = 1

_DYNAMODB_PREFIX = "DynamoDB_20120810."
_STREAMS_PREFIX = "DynamoDBStreams_20120810."
_READ_ONLY_OPERATIONS = frozenset({"Query", "Scan", "BatchGetItem", "TransactGetItems"})
_READ_ONLY_PREFIXES = ("Get", "Describe", "List")
_BATCH_SIZE = 25  # BatchWriteItem's limit

# moto derives the region from the User-Agent first, then from the SigV4 credential scope.
_UA_REGION = re.compile(r"region/(?P<region>[a-z]{2}-[a-z]+-\d{1})")
_JSON_CONTENT_TYPE = "application/x-amz-json-1.0"


class EmbeddedServerError(RuntimeError):
    """The embedded DynamoDB server could not be started or used."""


class DataDirLockedError(EmbeddedServerError):
    """Another embedded server (in this or another process) is using the data directory."""


class JournalCorruptError(EmbeddedServerError):
    """The journal holds an unreadable record that is not a torn last line."""


def default_data_dir() -> Path:
    """Return the directory the embedded server keeps its data in.

    ``$APPROVALS_DATA_DIR`` if set and non-empty; otherwise the per-user data directory:
    ``$XDG_DATA_HOME/approvals`` or ``~/.local/share/approvals`` on Linux and other Unixes,
    ``~/Library/Application Support/approvals`` on macOS and ``%LOCALAPPDATA%\\approvals`` on
    Windows.  The directory is not created.
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


def ensure_dummy_credentials() -> None:
    """Set ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY`` to dummy values if they are unset.

    Clients that are given only an endpoint and a region (PynamoDB, boto3) still need some
    credentials to sign requests; the embedded server accepts any.  Existing values are kept.
    """
    os.environ.setdefault("AWS_ACCESS_KEY_ID", DUMMY_ACCESS_KEY_ID)
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", DUMMY_SECRET_ACCESS_KEY)


def is_mutating_operation(target: str) -> bool:
    """Tell whether the request with ``X-Amz-Target`` *target* can change state (is journaled)."""
    if not target.startswith(_DYNAMODB_PREFIX):
        return False  # DynamoDB Streams is read-only; anything else is refused anyway.
    operation = target[len(_DYNAMODB_PREFIX) :]
    return not (operation in _READ_ONLY_OPERATIONS or operation.startswith(_READ_ONLY_PREFIXES))


class EmbeddedDynamoDB:
    """A DynamoDB-compatible server (moto) on a loopback port, persisted in a data directory.

    Use as a context manager or call :meth:`start` and :meth:`stop`::

        with EmbeddedDynamoDB() as db:
            client = boto3.client("dynamodb", **db.client_kwargs())

    See the module documentation for the persistence guarantees and limits.
    """

    _accounts_in_use: ClassVar[set[str]] = set()
    _registry_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        data_dir: Path | str | os.PathLike[str] | None = None,
        *,
        port: int = 0,
        fsync: bool = False,
    ) -> None:
        """Configure (but do not start) a server.

        *data_dir* defaults to :func:`default_data_dir` (resolved now).  *port* 0 picks a free
        port.  *fsync* makes every journaled write call ``fsync`` (survives power loss, not
        only process death).
        """
        path = Path(data_dir) if data_dir is not None else default_data_dir()
        self._data_dir = path.expanduser().absolute()
        self._requested_port = port
        self._fsync = fsync
        self._state_lock = threading.Lock()
        self._account_id: str | None = None
        self._lock_fd: int | None = None
        self._app: _JournalingApp | None = None
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._endpoint_url: str | None = None

    # -- properties ---------------------------------------------------------------------------

    @property
    def data_dir(self) -> Path:
        """The absolute data directory (holds ``journal.jsonl`` and ``lock``)."""
        return self._data_dir

    @property
    def journal_path(self) -> Path:
        """The journal file inside :attr:`data_dir`."""
        return self._data_dir / JOURNAL_NAME

    @property
    def region(self) -> str:
        """The region clients should use (``us-east-1``)."""
        return DEFAULT_REGION

    @property
    def endpoint_url(self) -> str:
        """``http://127.0.0.1:PORT`` while running; :class:`EmbeddedServerError` otherwise."""
        if self._endpoint_url is None:
            raise EmbeddedServerError("the embedded DynamoDB server is not running")
        return self._endpoint_url

    @property
    def running(self) -> bool:
        """Whether the server is started and serving."""
        return self._endpoint_url is not None

    def client_kwargs(self) -> dict[str, str]:
        """Keyword arguments for ``boto3.client("dynamodb", ...)`` / ``boto3.resource``."""
        return {
            "endpoint_url": self.endpoint_url,
            "region_name": self.region,
            "aws_access_key_id": DUMMY_ACCESS_KEY_ID,
            "aws_secret_access_key": DUMMY_SECRET_ACCESS_KEY,
        }

    def describe(self) -> str:
        """A one-line human description, e.g. for the notice printed on stderr."""
        where = self._endpoint_url or "(not running)"
        return f"embedded DynamoDB (moto) at {where}, data in {self._data_dir}"

    def __repr__(self) -> str:
        return (
            f"EmbeddedDynamoDB(data_dir={str(self._data_dir)!r}, endpoint={self._endpoint_url!r})"
        )

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> str:
        """Lock the data directory, replay the journal, start serving; return the endpoint URL.

        Raises :class:`DataDirLockedError` if the data directory is in use,
        :class:`JournalCorruptError` if the journal cannot be read, and
        :class:`EmbeddedServerError` for other failures (already running, port unavailable).
        """
        with self._state_lock:
            if self._endpoint_url is not None:
                raise EmbeddedServerError(f"{self!r} is already running")
            try:
                return self._start()
            except BaseException:
                self._teardown()
                raise

    def stop(self) -> None:
        """Stop serving, compact the journal if this run wrote anything, release the lock.

        Idempotent.  Requests still arriving on open connections are refused.
        """
        with self._state_lock:
            if self._app is None and self._lock_fd is None:
                return
            self._teardown(compact=True)

    def __enter__(self) -> EmbeddedDynamoDB:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- internals ----------------------------------------------------------------------------

    def _start(self) -> str:
        try:
            self._data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise EmbeddedServerError(f"cannot create data directory {self._data_dir}: {e}") from e
        self._lock_fd = _lock_data_dir(self._data_dir)
        self._account_id = self._claim_account()

        apps = _moto_apps()
        _drop_moto_account(self._account_id)
        app = _JournalingApp(apps, self._account_id)
        self._app = app

        contents = _read_journal(self.journal_path)
        failures = 0
        for record in contents.records:
            status, body = app.dispatch(record.target, record.region, record.body)
            app.regions.add(record.region)
            if not 200 <= status < 300:
                failures += 1
                log.warning(
                    "embedded DynamoDB: replaying %s from %s failed (HTTP %d): %s",
                    record.target,
                    self.journal_path,
                    status,
                    body[:300].decode("utf-8", "replace"),
                )
        if failures:
            log.warning("embedded DynamoDB: %d journal record(s) did not replay", failures)
        if not contents.clean:
            _write_snapshot(self.journal_path, app.snapshot_records())
        app.open_journal(self.journal_path, fsync=self._fsync)

        self._serve(app)
        assert self._endpoint_url is not None
        return self._endpoint_url

    def _claim_account(self) -> str:
        explicit = os.environ.get("MOTO_ACCOUNT_ID")
        if explicit:
            account = explicit
        else:
            digest = hashlib.sha256(str(self._data_dir).encode("utf-8", "surrogateescape"))
            account = f"{int.from_bytes(digest.digest()[:8], 'big') % 10**12:012d}"
        with EmbeddedDynamoDB._registry_lock:
            if account in EmbeddedDynamoDB._accounts_in_use:
                hint = (
                    " (MOTO_ACCOUNT_ID is set, so moto cannot keep two embedded servers apart:"
                    " only one per process)"
                    if explicit
                    else ""
                )
                raise EmbeddedServerError(
                    f"another embedded DynamoDB server in this process uses moto account "
                    f"{account}{hint}"
                )
            EmbeddedDynamoDB._accounts_in_use.add(account)
        return account

    def _serve(self, app: _JournalingApp) -> None:
        from werkzeug.serving import make_server

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            if os.name != "nt":
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", self._requested_port))
            sock.listen(128)
        except OSError as e:
            sock.close()
            raise EmbeddedServerError(
                f"cannot listen on 127.0.0.1:{self._requested_port}: {e.strerror or e}"
            ) from e
        try:
            # Werkzeug dups the descriptor; passing it avoids make_server's sys.exit on bind errors.
            server = make_server(
                "127.0.0.1",
                sock.getsockname()[1],
                app,
                threaded=True,
                request_handler=_make_handler(),
                fd=sock.fileno(),
            )
        finally:
            sock.close()
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"embedded-dynamodb:{server.port}",
            daemon=True,
        )
        self._thread.start()
        self._endpoint_url = f"http://127.0.0.1:{server.port}"

    def _teardown(self, *, compact: bool = False) -> None:
        """Release everything _start acquired, in reverse order; tolerate partial starts."""
        self._endpoint_url = None
        app, self._app = self._app, None
        if self._server is not None:
            if self._thread is not None:
                self._server.shutdown()  # stop accepting; serve_forever closes the socket
            else:
                self._server.server_close()
        if app is not None:
            app.close()  # waits for the request in flight, refuses the rest
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._server = None
        if app is not None:
            app.close_journal()  # before the rename below (Windows cannot replace an open file)
            if compact and app.writes_since_snapshot:
                try:
                    _write_snapshot(self.journal_path, app.snapshot_records())
                except Exception:
                    # The journal is complete without the snapshot: only compaction is lost.
                    log.warning("embedded DynamoDB: journal compaction failed", exc_info=True)
        if self._account_id is not None:
            if app is not None:
                _drop_moto_account(self._account_id)
            with EmbeddedDynamoDB._registry_lock:
                EmbeddedDynamoDB._accounts_in_use.discard(self._account_id)
            self._account_id = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the descriptor releases the lock
            self._lock_fd = None


# ---------------------------------------------------------------------------------------------
# moto glue


def _moto_apps() -> dict[str, WSGIApplication]:
    """moto's DynamoDB and DynamoDB Streams Flask apps, keyed by ``X-Amz-Target`` prefix.

    Going straight to them (rather than through moto's all-services dispatcher) keeps every
    other moto service and the ``/moto-api`` control endpoints unreachable, and is faster.
    """
    try:
        from moto.moto_server.werkzeug_app import create_backend_app
    except ImportError as e:  # pragma: no cover - depends on the installation
        raise EmbeddedServerError(
            "the embedded DynamoDB server needs moto with its server extra: "
            "pip install 'moto[dynamodb,server]>=5'"
        ) from e
    return {
        _DYNAMODB_PREFIX: create_backend_app("dynamodb"),
        _STREAMS_PREFIX: create_backend_app("dynamodbstreams"),
    }


def _drop_moto_account(account_id: str) -> None:
    """Forget moto's DynamoDB state for *account_id* (before replay, and to free memory)."""
    from moto.core.base_backend import backend_lock
    from moto.dynamodb.models import dynamodb_backends

    with backend_lock:
        dynamodb_backends.pop(account_id, None)


# ---------------------------------------------------------------------------------------------
# the journaling WSGI middleware


def _request_region(environ: WSGIEnvironment) -> str:
    """The region moto will file the request under (same precedence as moto)."""
    match = _UA_REGION.search(environ.get("HTTP_USER_AGENT", ""))
    if match:
        return match.group("region")
    auth = environ.get("HTTP_AUTHORIZATION", "")
    if "AWS4" in auth:
        with contextlib.suppress(IndexError):
            return str(auth.split(",")[0].split("/")[2])
    return DEFAULT_REGION


def _error_body(code: str, message: str) -> bytes:
    return json.dumps(
        {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message}
    ).encode()


class _JournalingApp:
    """WSGI app: serializes DynamoDB requests into moto and journals successful writes."""

    def __init__(self, apps: dict[str, WSGIApplication], account_id: str) -> None:
        self._apps = apps
        self._account_id = account_id
        self._lock = threading.Lock()
        self._journal_fd: int | None = None
        self._fsync = False
        self._closed = False
        self._broken: str | None = None
        self.regions: set[str] = set()
        self.writes_since_snapshot = 0

    # journal file

    def open_journal(self, path: Path, *, fsync: bool) -> None:
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0)
        self._journal_fd = os.open(path, flags, 0o600)
        self._fsync = fsync

    def close_journal(self) -> None:
        with self._lock:
            if self._journal_fd is not None:
                os.close(self._journal_fd)
                self._journal_fd = None

    def close(self) -> None:
        with self._lock:
            self._closed = True

    def _append(self, line: bytes) -> None:
        fd = self._journal_fd
        if fd is None:
            raise OSError(errno.EBADF, "journal is not open")
        view = memoryview(line)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        if self._fsync:
            os.fsync(fd)

    # request handling

    def _app_for(self, target: str) -> WSGIApplication:
        prefix = _STREAMS_PREFIX if target.startswith(_STREAMS_PREFIX) else _DYNAMODB_PREFIX
        return self._apps[prefix]

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if not target.startswith((_DYNAMODB_PREFIX, _STREAMS_PREFIX)):
            return _respond(
                start_response,
                "400 Bad Request",
                _error_body(
                    "UnknownOperationException",
                    "the embedded server only serves the DynamoDB API",
                ),
            )
        body = _read_body(environ)
        region = _request_region(environ)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ["HTTP_X_MOTO_ACCOUNT_ID"] = self._account_id
        with self._lock:
            if self._closed:
                return _respond(
                    start_response,
                    "503 Service Unavailable",
                    _error_body("ServiceUnavailable", "the embedded DynamoDB server is stopping"),
                )
            if self._broken is not None:
                return _respond(
                    start_response,
                    "500 Internal Server Error",
                    _error_body("InternalServerError", self._broken),
                )
            status, headers, payload = _call_wsgi(self._app_for(target), environ)
            if status.startswith("2") and is_mutating_operation(target):
                record = _Record(target, region, body.decode("utf-8", "surrogateescape"))
                try:
                    self._append(record.to_line())
                except OSError as e:
                    # moto applied the write but it is not durable: refuse to report success,
                    # and refuse everything after, rather than silently diverge from the journal.
                    self._broken = f"embedded DynamoDB journal write failed, restart needed: {e}"
                    log.error("%s", self._broken)
                    return _respond(
                        start_response,
                        "500 Internal Server Error",
                        _error_body("InternalServerError", self._broken),
                    )
                self.regions.add(region)
                self.writes_since_snapshot += 1
        start_response(status, headers)
        return [payload]

    def dispatch(self, target: str, region: str, body: str) -> tuple[int, bytes]:
        """Apply one request in-process (no journaling); return (HTTP status, response body)."""
        from werkzeug.test import EnvironBuilder

        data = body.encode("utf-8", "surrogateescape")
        builder = EnvironBuilder(
            method="POST",
            path="/",
            base_url="http://127.0.0.1/",
            headers=[
                ("Content-Type", _JSON_CONTENT_TYPE),
                ("X-Amz-Target", target),
                (
                    "Authorization",
                    f"AWS4-HMAC-SHA256 Credential={DUMMY_ACCESS_KEY_ID}/20200101/{region}"
                    "/dynamodb/aws4_request, SignedHeaders=host;x-amz-target, Signature=0",
                ),
                ("X-Moto-Account-Id", self._account_id),
            ],
            data=data,
        )
        try:
            environ = builder.get_environ()
        finally:
            builder.close()
        with self._lock:
            status, _, payload = _call_wsgi(self._app_for(target), environ)
        return int(status.split(" ", 1)[0]), payload

    def _api(self, region: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        status, payload = self.dispatch(_DYNAMODB_PREFIX + operation, region, json.dumps(params))
        if not 200 <= status < 300:
            raise EmbeddedServerError(
                f"{operation} failed during journal compaction (HTTP {status}): "
                f"{payload[:300].decode('utf-8', 'replace')}"
            )
        result: dict[str, Any] = json.loads(payload) if payload else {}
        return result

    # snapshot

    def snapshot_records(self) -> Iterator[_Record]:
        """The current state as journal records, read back through the DynamoDB API."""
        for region in sorted(self.regions):
            for name in self._table_names(region):
                table = self._api(region, "DescribeTable", {"TableName": name})["Table"]
                create = _create_table_params(table)
                tags = self._tags(region, table["TableArn"])
                if tags:
                    create["Tags"] = tags
                yield _Record.api(region, "CreateTable", create)
                ttl = self._api(region, "DescribeTimeToLive", {"TableName": name})
                ttl_desc = ttl.get("TimeToLiveDescription", {})
                if ttl_desc.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"):
                    spec = {"Enabled": True, "AttributeName": ttl_desc["AttributeName"]}
                    yield _Record.api(
                        region,
                        "UpdateTimeToLive",
                        {"TableName": name, "TimeToLiveSpecification": spec},
                    )
                batch: list[dict[str, Any]] = []
                for item in self._items(region, name):
                    batch.append({"PutRequest": {"Item": item}})
                    if len(batch) == _BATCH_SIZE:
                        yield _Record.api(region, "BatchWriteItem", {"RequestItems": {name: batch}})
                        batch = []
                if batch:
                    yield _Record.api(region, "BatchWriteItem", {"RequestItems": {name: batch}})
        self.writes_since_snapshot = 0

    def _table_names(self, region: str) -> Iterator[str]:
        params: dict[str, Any] = {}
        while True:
            page = self._api(region, "ListTables", params)
            yield from page.get("TableNames", [])
            if "LastEvaluatedTableName" not in page:
                return
            params = {"ExclusiveStartTableName": page["LastEvaluatedTableName"]}

    def _tags(self, region: str, arn: str) -> list[dict[str, str]]:
        tags: list[dict[str, str]] = []
        params: dict[str, Any] = {"ResourceArn": arn}
        while True:
            page = self._api(region, "ListTagsOfResource", params)
            tags.extend(page.get("Tags", []))
            if not page.get("NextToken"):
                return tags
            params = {"ResourceArn": arn, "NextToken": page["NextToken"]}

    def _items(self, region: str, table: str) -> Iterator[dict[str, Any]]:
        params: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
        while True:
            page = self._api(region, "Scan", params)
            yield from page.get("Items", [])
            if not page.get("LastEvaluatedKey"):
                return
            params = {**params, "ExclusiveStartKey": page["LastEvaluatedKey"]}


def _create_table_params(table: dict[str, Any]) -> dict[str, Any]:
    """Turn a DescribeTable ``Table`` into the CreateTable request that recreates it."""
    billing = table.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")
    provisioned = billing == "PROVISIONED"

    def throughput(desc: dict[str, Any]) -> dict[str, Any]:
        pt = desc.get("ProvisionedThroughput", {})
        return {
            "ReadCapacityUnits": pt.get("ReadCapacityUnits", 1) or 1,
            "WriteCapacityUnits": pt.get("WriteCapacityUnits", 1) or 1,
        }

    params: dict[str, Any] = {
        "TableName": table["TableName"],
        "KeySchema": table["KeySchema"],
        "AttributeDefinitions": table["AttributeDefinitions"],
        "BillingMode": billing,
    }
    if provisioned:
        params["ProvisionedThroughput"] = throughput(table)
    gsis = []
    for index in table.get("GlobalSecondaryIndexes") or []:
        gsi = {k: index[k] for k in ("IndexName", "KeySchema", "Projection")}
        if provisioned:
            gsi["ProvisionedThroughput"] = throughput(index)
        gsis.append(gsi)
    if gsis:
        params["GlobalSecondaryIndexes"] = gsis
    lsis = [
        {k: index[k] for k in ("IndexName", "KeySchema", "Projection")}
        for index in table.get("LocalSecondaryIndexes") or []
    ]
    if lsis:
        params["LocalSecondaryIndexes"] = lsis
    stream = table.get("StreamSpecification") or {}
    if stream.get("StreamEnabled"):
        params["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": stream["StreamViewType"],
        }
    if table.get("DeletionProtectionEnabled"):
        params["DeletionProtectionEnabled"] = True
    return params


def _read_body(environ: WSGIEnvironment) -> bytes:
    stream = environ["wsgi.input"]
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > 0:
        return bytes(stream.read(length))
    if environ.get("wsgi.input_terminated"):
        return bytes(stream.read())
    return b""


def _call_wsgi(app: WSGIApplication, environ: WSGIEnvironment) -> tuple[str, list[Any], bytes]:
    """Run a WSGI app to completion, returning (status, headers, body) without sending."""
    captured: list[Any] = []
    chunks: list[bytes] = []

    def start_response(status: str, headers: list[Any], exc_info: Any = None) -> Any:
        captured[:] = [status, headers]
        return chunks.append

    result = app(environ, start_response)
    try:
        chunks.extend(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    status, headers = captured
    return str(status), list(headers), b"".join(chunks)


def _respond(start_response: StartResponse, status: str, body: bytes) -> list[bytes]:
    start_response(
        status,
        [("Content-Type", _JSON_CONTENT_TYPE), ("Content-Length", str(len(body)))],
    )
    return [body]


# ---------------------------------------------------------------------------------------------
# HTTP server plumbing


def _make_handler() -> Any:
    from werkzeug.serving import WSGIRequestHandler

    # Werkzeug closes the connection after every response, so stop() never waits on idle
    # keep-alive connections; a request racing stop() gets 503 from _JournalingApp.
    class _QuietHandler(WSGIRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            pass

        def log(self, type: str, message: str, *args: Any) -> None:
            log.debug("embedded DynamoDB http %s: " + message.rstrip(), type, *args)

    return _QuietHandler


# ---------------------------------------------------------------------------------------------
# journal file format: one JSON object per line.
#   {"format": "approvals-embedded-journal", "version": 1}      header
#   {"target": "DynamoDB_20120810.CreateTable", "region": "us-east-1", "body": "<request>"}
#   ...                                                           snapshot records
#   {"snapshot_end": true}                                        end of the last compaction
#   {"target": "DynamoDB_20120810.PutItem", ...}                  writes since (journaled live)
# Records after the marker mean the journal needs compacting; that happens at the next start.


@dataclass(frozen=True)
class _Record:
    target: str
    region: str
    body: str

    @classmethod
    def api(cls, region: str, operation: str, params: dict[str, Any]) -> _Record:
        return cls(_DYNAMODB_PREFIX + operation, region, json.dumps(params, separators=(",", ":")))

    def to_line(self) -> bytes:
        data = {"target": self.target, "region": self.region, "body": self.body}
        # ensure_ascii keeps lone surrogates (undecodable request bytes) representable.
        return (json.dumps(data, separators=(",", ":")) + "\n").encode("ascii")

    @classmethod
    def parse(cls, value: Any) -> _Record | None:
        if not isinstance(value, dict):
            return None
        target, region, body = value.get("target"), value.get("region"), value.get("body")
        if isinstance(target, str) and isinstance(region, str) and isinstance(body, str):
            return cls(target, region, body)
        return None


_HEADER_LINE = (
    json.dumps({"format": _JOURNAL_FORMAT, "version": _JOURNAL_VERSION}, separators=(",", ":"))
    + "\n"
).encode("ascii")
_SNAPSHOT_END_LINE = b'{"snapshot_end":true}\n'


@dataclass
class _JournalContents:
    records: list[_Record] = field(default_factory=list)
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


def _read_journal(path: Path) -> _JournalContents:
    contents = _JournalContents()
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
            record = _Record.parse(parsed)
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


def _write_snapshot(path: Path, records: Iterable[_Record]) -> None:
    """Atomically replace the journal at *path* with *records* as a complete snapshot."""
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


# ---------------------------------------------------------------------------------------------
# data directory lock


def _lock_data_dir(data_dir: Path) -> int:
    """Take an exclusive, non-blocking lock on ``data_dir/lock``; return its descriptor."""
    path = data_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        _try_lock(fd)
    except OSError as e:
        holder = ""
        with contextlib.suppress(OSError, ValueError):
            with open(path, encoding="ascii") as f:
                pid = int(f.read().strip() or "0")
            if pid:
                holder = f" (held by process {pid})"
        os.close(fd)
        raise DataDirLockedError(
            f"the embedded DynamoDB data directory {data_dir} is in use by another "
            f"embedded server{holder}; stop it, or set APPROVALS_DATA_DIR to another directory"
        ) from e
    except BaseException:
        os.close(fd)
        raise
    with contextlib.suppress(OSError):
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
    return fd


if sys.platform == "win32":

    def _try_lock(fd: int) -> None:
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

else:

    def _try_lock(fd: int) -> None:
        import fcntl

        # flock locks belong to the open file description, so a second instance in the same
        # process is refused too (unlike POSIX record locks).
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
