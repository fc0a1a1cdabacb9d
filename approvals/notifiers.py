"""Built-in notifiers for :class:`~approvals.events.NotifyingStore`: :class:`LoggingNotifier`,
:class:`WebhookNotifier` (signed JSON; receivers check it with :func:`verify_signature`) and
:class:`SNSNotifier` (extra ``sns``).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import itertools
import json
import logging
import random
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError as NetworkError,
    HTTPClientError,
    NoCredentialsError,
    PartialCredentialsError,
)

from approvals.errors import ValidationError
from approvals.events import Event, NotificationError

if TYPE_CHECKING:
    from mypy_boto3_sns.client import SNSClient
    from mypy_boto3_sns.type_defs import MessageAttributeValueTypeDef

__all__ = [
    "DELIVERY_HEADER",
    "EVENT_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "LoggingNotifier",
    "SNSNotifier",
    "WebhookNotifier",
    "sign",
    "verify_signature",
]

SIGNATURE_HEADER = "X-Approvals-Signature"
"""Header carrying ``sha256=<hex HMAC of "<timestamp>.<body>">``."""
TIMESTAMP_HEADER = "X-Approvals-Timestamp"
"""Header carrying the Unix seconds at which the delivery attempt was signed."""
EVENT_HEADER = "X-Approvals-Event"
"""Header carrying the event kind (created, approved, ...)."""
DELIVERY_HEADER = "X-Approvals-Delivery"
"""Header carrying an id that is the same on every retry of one event."""

_USER_AGENT = "approvals-webhook/1"


class LoggingNotifier:
    """Logs each event on ``logger`` (default ``approvals.events``) at ``level`` (INFO).

    The record's message names the request, the kind and the actor; its attributes ``kind``,
    ``request_id``, ``requester``, ``profile``, ``actor`` and ``status`` serve structured
    handlers. The justification and the approver's comment are never logged.
    """

    def __init__(self, logger: logging.Logger | None = None, level: int = logging.INFO) -> None:
        self.logger = logger if logger is not None else logging.getLogger("approvals.events")
        self.level = level

    def __repr__(self) -> str:
        return f"LoggingNotifier({self.logger.name!r})"

    def notify(self, event: Event) -> None:
        """Log ``event``; returns None."""
        if not self.logger.isEnabledFor(self.level):
            return
        request = event.request
        self.logger.log(
            self.level,
            "approval request %s %s by %s (requester=%s profile=%s)",
            request.id,
            event.kind.value,
            event.actor or "(unknown)",
            request.requester,
            request.profile,
            extra={
                "kind": event.kind.value,
                "request_id": request.id,
                "requester": request.requester,
                "profile": request.profile,
                "actor": event.actor,
                "status": request.status.value,
            },
        )


def sign(secret: str | bytes, timestamp: str, body: bytes) -> str:
    """Return the signature header value for ``body`` sent at ``timestamp`` (``sha256=<hex>``).

    ``<hex>`` is the HMAC-SHA256, keyed with ``secret``, of ``<timestamp>.<body>``, where
    ``timestamp`` is the ``X-Approvals-Timestamp`` header (Unix seconds): signing it lets a
    receiver refuse replays of old deliveries. ``X-Approvals-Delivery`` is the same on every
    retry of one event, so a receiver can drop duplicates.
    """
    digest = hmac.new(_key(secret), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify_signature(
    secret: str | bytes,
    body: bytes,
    timestamp: str,
    signature: str,
    *,
    tolerance: float = 300.0,
    now: float | None = None,
) -> bool:
    """Return True when ``signature`` signs ``body`` at ``timestamp`` with ``secret``, and the
    timestamp is within ``tolerance`` seconds of ``now`` (default: the current time).

    For receivers of :class:`WebhookNotifier` deliveries: pass the raw request body and the
    ``X-Approvals-Timestamp`` and ``X-Approvals-Signature`` headers. Never raises.
    """
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return False
    moment = time.time() if now is None else now
    if abs(moment - sent) > tolerance:
        return False
    try:
        expected = sign(secret, timestamp, body)
    except (TypeError, ValueError, UnicodeError):
        return False
    return hmac.compare_digest(expected.encode(), str(signature).encode("utf-8", "replace"))


def _key(secret: str | bytes) -> bytes:
    return secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # urllib would turn a redirected POST into a GET without the body: refuse redirects instead.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class WebhookNotifier:
    """POSTs each event as JSON to ``url``, signed with HMAC-SHA256 keyed with ``secret``.

    The body is ``payload(event)`` serialized as JSON (default :meth:`Event.to_dict`, without
    the justification and comment when ``include_text`` is False); a Slack-style payload is
    ``payload=lambda e: {"text": ...}``. Each attempt waits at most ``timeout`` seconds. A 5xx
    answer, a timeout or a connection failure is retried, up to ``max_attempts`` attempts in all,
    after ``backoff`` seconds doubled per retry (at most ``max_backoff``, with jitter); a 3xx or
    4xx answer is not retried. :meth:`notify` raises :class:`~approvals.events.NotificationError`
    when the event could not be delivered. The URL's path and query (which often hold a token)
    never appear in errors, logs or ``repr``.
    """

    def __init__(
        self,
        url: str,
        secret: str | bytes,
        *,
        timeout: float = 5.0,
        max_attempts: int = 4,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        payload: Callable[[Event], Any] | None = None,
        include_text: bool = True,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValidationError("url must be an http:// or https:// URL", field="url")
        if not secret:
            raise ValidationError("secret must not be empty", field="secret")
        if max_attempts < 1:
            raise ValidationError("max_attempts must be at least 1", field="max_attempts")
        if timeout <= 0 or backoff < 0 or max_backoff < 0:
            raise ValidationError("timeout must be positive and backoffs not negative")
        self.url = url
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._secret = _key(secret)
        self._payload = payload
        self._include_text = include_text
        self._headers = dict(headers or {})
        self._where = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
        self._opener = urllib.request.build_opener(_NoRedirect)

    def __repr__(self) -> str:
        return f"WebhookNotifier({self._where!r})"

    def notify(self, event: Event) -> None:
        """Deliver ``event``; returns None once the server answered 2xx.

        Raises NotificationError (``retryable`` True for 5xx/timeouts) when every attempt failed
        or the server refused the event (3xx/4xx).
        """
        if self._payload is not None:
            data = self._payload(event)
        else:
            data = event.to_dict(include_text=self._include_text)
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        delivery = uuid.uuid4().hex
        for attempt in itertools.count(1):
            failure, retryable = self._post(event, body, delivery)
            if failure is None:
                return
            if not retryable or attempt >= self.max_attempts:
                raise NotificationError(
                    f"webhook {self._where} did not take the {event.kind.value} event "
                    f"after {attempt} attempt(s): {failure}",
                    request_id=event.request_id,
                    retryable=retryable,
                )
            time.sleep(self._delay(attempt))

    def _post(self, event: Event, body: bytes, delivery: str) -> tuple[str | None, bool]:
        """Return (None, False) on success, else (why it failed, whether to retry)."""
        # Signed per attempt, so a retry after a long backoff is not refused as stale.
        timestamp = str(int(time.time()))
        headers = {
            **self._headers,
            "Content-Type": "application/json",
            "User-Agent": _USER_AGENT,
            EVENT_HEADER: event.kind.value,
            DELIVERY_HEADER: delivery,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(self._secret, timestamp, body),
        }
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            exc.close()
            return f"HTTP {exc.code}", exc.code >= 500
        except urllib.error.URLError as exc:
            return _describe(exc.reason), True
        except (http.client.HTTPException, OSError) as exc:  # timeouts, resets mid-response
            return _describe(exc), True
        return None, False

    def _delay(self, attempt: int) -> float:
        ceiling = min(self.max_backoff, self.backoff * 2.0 ** (attempt - 1))
        # Jitter spreads the retries of many writers hitting one struggling receiver.
        return ceiling * random.uniform(0.5, 1.0)


def _describe(reason: object) -> str:
    if isinstance(reason, BaseException):
        return f"{type(reason).__name__}: {reason}" if str(reason) else type(reason).__name__
    return str(reason)


class SNSNotifier:
    """Publishes each event to the SNS topic ``topic_arn`` (needs boto3: extra ``sns``).

    The message is the JSON of :meth:`Event.to_dict` (without the justification and comment when
    ``include_text`` is False), the subject ``approval request <id> <kind>``, and the message
    attributes ``kind``, ``status``, ``profile``, ``requester``, ``request_id`` (and ``actor``
    when known) are strings subscribers can filter on. ``client`` is a boto3 SNS client (default:
    a new one for ``region``). :meth:`notify` raises a
    :class:`~approvals.events.NotificationError` when SNS refuses or cannot be reached
    (``retryable`` for throttling, server errors and network failures).
    """

    def __init__(
        self,
        topic_arn: str,
        *,
        client: SNSClient | None = None,
        region: str | None = None,
        include_text: bool = True,
    ) -> None:
        if not isinstance(topic_arn, str) or not topic_arn.startswith("arn:"):
            raise ValidationError("topic_arn must be an SNS topic ARN", field="topic_arn")
        self.topic_arn = topic_arn
        self._include_text = include_text
        self._client = client if client is not None else _sns_client(topic_arn, region)
        self.region = self._client.meta.region_name

    def __repr__(self) -> str:
        return f"SNSNotifier({self.topic_arn!r})"

    def notify(self, event: Event) -> None:
        """Publish ``event``; returns None, raises NotificationError when SNS fails."""
        request = event.request
        attributes: dict[str, MessageAttributeValueTypeDef] = {
            name: {"DataType": "String", "StringValue": value}
            for name, value in (
                ("kind", event.kind.value),
                ("status", request.status.value),
                ("profile", request.profile),
                ("requester", request.requester),
                ("request_id", request.id),
                ("actor", event.actor),
            )
            if value  # SNS refuses empty attribute values
        }
        message = json.dumps(event.to_dict(include_text=self._include_text), ensure_ascii=False)
        try:
            self._client.publish(
                TopicArn=self.topic_arn,
                Message=message,
                Subject=f"approval request {request.id} {event.kind.value}",
                MessageAttributes=attributes,
            )
        except (ClientError, BotoCoreError) as exc:
            where = f"topic {self.topic_arn} in region {self.region or 'default'}"
            raise _sns_failure(exc, f"SNS publish to {where}", request_id=request.id) from exc


def _sns_client(topic_arn: str, region: str | None) -> SNSClient:
    try:
        import boto3
    except ImportError as exc:
        raise ImportError("SNSNotifier needs boto3: pip install 'approvals[sns]'") from exc
    if region is None:
        # arn:aws:sns:<region>:<account>:<name>: publish where the topic lives.
        fields = topic_arn.split(":")
        region = fields[3] if len(fields) > 5 and fields[3] else None
    try:
        return boto3.client("sns", region_name=region)
    except BotoCoreError as exc:
        raise _sns_failure(exc, f"SNS client setup for topic {topic_arn}") from exc


# SNS error codes a later try may get past.
_SNS_RETRYABLE = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "KMSThrottling",
    "InternalError",
    "InternalFailure",
    "ServiceUnavailable",
}
_SNS_DENIED = {
    "AuthorizationError",
    "AccessDenied",
    "AccessDeniedException",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
}


def _sns_failure(
    exc: ClientError | BotoCoreError, action: str, *, request_id: str | None = None
) -> NotificationError:
    """Return the NotificationError for a failed SNS call; the caller raises it ``from exc``."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code") or "")
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        detail = f"{code or status}: {error.get('Message') or ''}".rstrip(": ")
        retryable = code in _SNS_RETRYABLE or status >= 500
        if code in _SNS_RETRYABLE and status < 500:
            hint = "SNS throttled it; retry later"
        elif code in _SNS_DENIED:
            hint = "check the credentials and the topic's access policy"
        elif code == "NotFound":
            hint = "the topic does not exist; check the ARN"
        else:
            hint = "retry later" if retryable else "SNS refused it"
        message = f"{action} failed ({detail}); {hint}"
    elif isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
        retryable = False
        message = f"{action} failed: no AWS credentials found ({exc})"
    else:
        retryable = isinstance(exc, (NetworkError, HTTPClientError))
        message = f"{action} failed ({type(exc).__name__}: {exc})"
    return NotificationError(message, request_id=request_id, retryable=retryable)
