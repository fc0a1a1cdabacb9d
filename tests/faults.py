"""Fault injection through botocore's event hooks: the store's real client meets a bad network.

``FaultInjector(store)`` hooks the store's botocore client at ``before-send`` (ahead of anything
else) and plays a plan, one action per HTTP attempt; attempts beyond the plan go through.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.exceptions import ConnectionClosedError, ReadTimeoutError
from botocore.httpsession import URLLib3Session

from approvals import DynamoDBStore

Action = Callable[[AWSPreparedRequest], AWSResponse | None]


class _Body:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def error_response(status: int, code: str, message: str = "injected") -> Action:
    """An action answering with a DynamoDB JSON error, without reaching the server."""
    body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message})

    def respond(request: AWSPreparedRequest) -> AWSResponse:
        headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "injected"}
        return AWSResponse(request.url, status, headers, _Body(body.encode()))

    return respond


def http_status(status: int) -> Action:
    """An action answering with a bare HTTP status (a load balancer's 500/503)."""

    def respond(request: AWSPreparedRequest) -> AWSResponse:
        return AWSResponse(request.url, status, {"Content-Type": "text/html"}, _Body(b"<html/>"))

    return respond


def connection_reset(request: AWSPreparedRequest) -> None:
    """An action failing the attempt as a reset connection."""
    raise ConnectionClosedError(endpoint_url=request.url)


def read_timeout(request: AWSPreparedRequest) -> None:
    """An action failing the attempt as a read timeout."""
    raise ReadTimeoutError(endpoint_url=request.url)


def lands_then_response_lost(request: AWSPreparedRequest) -> None:
    """An action that delivers the request to the server, then loses the response."""
    URLLib3Session().send(request)
    raise ConnectionClosedError(endpoint_url=request.url)


class FaultInjector:
    """Plays ``plan`` on the store's client, one action per attempt, counting attempts."""

    def __init__(self, store: DynamoDBStore, *plan: Action, operation: str = "*") -> None:
        self.attempts = 0
        self._plan = list(plan)
        self._lock = threading.Lock()
        store.dynamodb_table().client.meta.events.register_first(
            f"before-send.dynamodb.{operation}", self._before_send
        )

    def _before_send(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
        with self._lock:
            self.attempts += 1
            action = self._plan.pop(0) if self._plan else None
        return None if action is None else action(request)
