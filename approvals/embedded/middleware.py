"""The WSGI app in front of moto: one request at a time, successful writes journaled first."""

from __future__ import annotations

import contextlib
import errno
import io
import json
import logging
import re
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from approvals.embedded.journal import JournalWriter, Record
from approvals.embedded.protocol import (
    DEFAULT_REGION,
    DUMMY_ACCESS_KEY_ID,
    DYNAMODB_PREFIX,
    STREAMS_PREFIX,
    is_mutating_operation,
)

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["JournalingApp"]

# The package logs on one logger, as it did when it was a single module.
log = logging.getLogger("approvals.embedded")

# moto derives the region from the User-Agent first, then from the SigV4 credential scope.
_UA_REGION = re.compile(r"region/(?P<region>[a-z]{2}-[a-z]+-\d{1})")
_JSON_CONTENT_TYPE = "application/x-amz-json-1.0"


class JournalingApp:
    """WSGI app: serializes DynamoDB requests into moto and journals successful writes."""

    def __init__(self, apps: dict[str, WSGIApplication], account_id: str) -> None:
        """Front moto's *apps* (keyed by ``X-Amz-Target`` prefix), filing under *account_id*.

        Nothing is journaled until :meth:`open_journal`.
        """
        self._apps = apps
        self._account_id = account_id
        self._lock = threading.Lock()
        self._journal: JournalWriter | None = None
        self._closed = False
        self._broken: str | None = None
        self.regions: set[str] = set()
        self.writes_since_snapshot = 0

    # journal file

    def open_journal(self, path: Path, *, fsync: bool) -> None:
        """Journal successful writes to *path* from now on; ``OSError`` if it cannot be opened."""
        self._journal = JournalWriter(path, fsync=fsync)

    def close_journal(self) -> None:
        """Close the journal once the request in flight (if any) is done."""
        with self._lock:
            if self._journal is not None:
                self._journal.close()
                self._journal = None

    def close(self) -> None:
        """Refuse every request from now on (503), once the request in flight is done."""
        with self._lock:
            self._closed = True

    def _append(self, record: Record) -> None:
        if self._journal is None:
            raise OSError(errno.EBADF, "journal is not open")
        self._journal.append(record)

    # request handling

    def _app_for(self, target: str) -> WSGIApplication:
        prefix = STREAMS_PREFIX if target.startswith(STREAMS_PREFIX) else DYNAMODB_PREFIX
        return self._apps[prefix]

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if not target.startswith((DYNAMODB_PREFIX, STREAMS_PREFIX)):
            return _refuse(
                start_response,
                "400 Bad Request",
                "UnknownOperationException",
                "the embedded server only serves the DynamoDB API",
            )
        body = _read_body(environ)
        region = _request_region(environ)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ["HTTP_X_MOTO_ACCOUNT_ID"] = self._account_id
        with self._lock:
            if self._closed:
                return _refuse(
                    start_response,
                    "503 Service Unavailable",
                    "ServiceUnavailable",
                    "the embedded DynamoDB server is stopping",
                )
            if self._broken is not None:
                return _refuse(
                    start_response, "500 Internal Server Error", "InternalServerError", self._broken
                )
            status, headers, payload = _call_wsgi(self._app_for(target), environ)
            if status.startswith("2") and is_mutating_operation(target):
                record = Record(target, region, body.decode("utf-8", "surrogateescape"))
                try:
                    self._append(record)
                except OSError as e:
                    # moto applied the write but it is not durable: refuse to report success,
                    # and refuse everything after, rather than silently diverge from the journal.
                    self._broken = f"embedded DynamoDB journal write failed, restart needed: {e}"
                    log.error("%s", self._broken)
                    return _refuse(
                        start_response,
                        "500 Internal Server Error",
                        "InternalServerError",
                        self._broken,
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


def _refuse(start_response: StartResponse, status: str, code: str, message: str) -> list[bytes]:
    """Answer with a DynamoDB-style JSON error (``__type`` *code*) without calling moto."""
    body = json.dumps(
        {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message}
    ).encode()
    start_response(
        status,
        [("Content-Type", _JSON_CONTENT_TYPE), ("Content-Length", str(len(body)))],
    )
    return [body]


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
