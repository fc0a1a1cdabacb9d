""":class:`EmbeddedDynamoDB`: moto's DynamoDB on a loopback port, its lifecycle and moto wiring."""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar

from approvals.embedded.datadir import default_data_dir, lock_data_dir
from approvals.embedded.errors import EmbeddedServerError
from approvals.embedded.journal import JOURNAL_NAME, read_journal, write_snapshot
from approvals.embedded.middleware import JournalingApp
from approvals.embedded.protocol import (
    DEFAULT_REGION,
    DUMMY_ACCESS_KEY_ID,
    DUMMY_SECRET_ACCESS_KEY,
    DYNAMODB_PREFIX,
    STREAMS_PREFIX,
)
from approvals.embedded.snapshot import snapshot_records

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication
    from werkzeug.serving import BaseWSGIServer

__all__ = ["EmbeddedDynamoDB"]

# The package logs on one logger, as it did when it was a single module.
log = logging.getLogger("approvals.embedded")


class EmbeddedDynamoDB:
    """A DynamoDB-compatible server (moto) on a loopback port, persisted in a data directory.

    Use as a context manager or call :meth:`start` and :meth:`stop`::

        with EmbeddedDynamoDB() as db:
            client = boto3.client("dynamodb", **db.client_kwargs())

    See the :mod:`approvals.embedded` documentation for the persistence guarantees and limits.
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
        self._app: JournalingApp | None = None
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
            except OSError as exc:
                # A journal, lock file or snapshot the OS refuses (a directory, a full disk):
                # callers get the documented error, not a bare OSError.
                self._teardown()
                raise EmbeddedServerError(
                    f"cannot start the embedded DynamoDB in {self._data_dir}: {exc}"
                ) from exc
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
        self._lock_fd = lock_data_dir(self._data_dir)
        self._account_id = self._claim_account()

        apps = _moto_apps()
        _drop_moto_account(self._account_id)
        app = JournalingApp(apps, self._account_id)
        self._app = app

        if not self._replay(app):
            self._compact(app)
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

    def _serve(self, app: JournalingApp) -> None:
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
            app.close_journal()  # before _compact renames over it (Windows cannot replace it open)
            if compact and app.writes_since_snapshot:
                try:
                    self._compact(app)
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

    def _replay(self, app: JournalingApp) -> bool:
        """Apply the journal to moto; return whether it is exactly a snapshot already."""
        contents = read_journal(self.journal_path)
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
        return contents.clean

    def _compact(self, app: JournalingApp) -> None:
        """Replace the journal by a snapshot of *app*'s state (its journal must be closed)."""
        write_snapshot(self.journal_path, snapshot_records(app.dispatch, app.regions))


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
        DYNAMODB_PREFIX: create_backend_app("dynamodb"),
        STREAMS_PREFIX: create_backend_app("dynamodbstreams"),
    }


def _drop_moto_account(account_id: str) -> None:
    """Forget moto's DynamoDB state for *account_id* (before replay, and to free memory)."""
    from moto.core.base_backend import backend_lock
    from moto.dynamodb.models import dynamodb_backends

    with backend_lock:
        dynamodb_backends.pop(account_id, None)


# ---------------------------------------------------------------------------------------------
# HTTP server plumbing


def _make_handler() -> Any:
    from werkzeug.serving import WSGIRequestHandler

    # Werkzeug closes the connection after every response, so stop() never waits on idle
    # keep-alive connections; a request racing stop() gets 503 from JournalingApp.
    class _QuietHandler(WSGIRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            pass

        def log(self, type: str, message: str, *args: Any) -> None:
            log.debug("embedded DynamoDB http %s: " + message.rstrip(), type, *args)

    return _QuietHandler
