"""Built-in notifiers: logging, a signed webhook against a real loopback server, SNS via moto."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.config import Config

from approvals import MemoryStore, StoreError, ValidationError
from approvals.events import Event, EventKind, NotificationError, NotifyingStore
from approvals.notifiers import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    LoggingNotifier,
    SNSNotifier,
    WebhookNotifier,
    sign,
    verify_signature,
)
from tests.helpers import REGION, new_request

SECRET = b"shared-webhook-secret"
JUSTIFICATION = "Deploy the hotfix for INC-4821"
COMMENT = "approved for the incident window"


def approved_event() -> Event:
    store = MemoryStore()
    created = store.create(new_request("alice", justification=JUSTIFICATION))
    approved = store.update(created.approve("bob", COMMENT))
    return Event(EventKind.APPROVED, approved, "bob", approved.updated_at)


# -- logging ------------------------------------------------------------------------------


def test_logging_notifier_logs_who_did_what_to_which_request(
    caplog: pytest.LogCaptureFixture,
) -> None:
    event = approved_event()

    with caplog.at_level(logging.INFO, logger="approvals.events"):
        LoggingNotifier().notify(event)

    [record] = caplog.records
    assert record.levelno == logging.INFO
    assert record.getMessage() == (
        f"approval request {event.request_id} approved by bob (requester=alice profile=production)"
    )
    fields = {name: getattr(record, name) for name in ("kind", "request_id", "actor")}
    assert fields == {"kind": "approved", "request_id": event.request_id, "actor": "bob"}


def test_logging_notifier_never_logs_the_justification_or_comment(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG):
        LoggingNotifier().notify(approved_event())

    logged = caplog.text + repr([record.__dict__ for record in caplog.records])
    assert JUSTIFICATION not in logged
    assert COMMENT not in logged


# -- webhook: a real HTTP server on loopback ----------------------------------------------


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes
    signature_valid: bool

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """What the loopback webhook server received, and how it answers next."""

    url: str
    answers: list[int | str] = field(default_factory=list)  # popped per request; then 200
    deliveries: list[Delivery] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    for variable in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(variable, raising=False)
    state = Receiver(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            # Verified independently of approvals.notifiers.sign, as a receiver would.
            timestamp = self.headers.get(TIMESTAMP_HEADER, "")
            expected = hmac.new(SECRET, timestamp.encode() + b"." + body, hashlib.sha256)
            valid = hmac.compare_digest(
                "sha256=" + expected.hexdigest(), self.headers.get(SIGNATURE_HEADER, "")
            )
            with lock:
                state.deliveries.append(Delivery(dict(self.headers), body, valid))
                answer = state.answers.pop(0) if state.answers else 200
            if answer == "hang":  # answer only after the client gave up waiting
                state.release.wait(10)
                answer = 200
            if answer == 302:
                self.send_response(302)
                self.send_header("Location", "/elsewhere")
            else:
                self.send_response(int(answer) if valid else 401)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/T000/B000/token-in-path"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        thread.join()


def webhook(url: str, **options: Any) -> WebhookNotifier:
    options.setdefault("backoff", 0.001)
    return WebhookNotifier(url, SECRET, **options)


def test_webhook_posts_the_event_as_signed_json(receiver: Receiver) -> None:
    event = approved_event()

    webhook(receiver.url).notify(event)

    [delivery] = receiver.deliveries
    assert delivery.signature_valid
    assert delivery.headers["Content-Type"] == "application/json"
    assert delivery.headers[EVENT_HEADER] == "approved"
    assert delivery.json == event.to_dict()


def test_webhook_retries_after_503_and_delivers(receiver: Receiver) -> None:
    receiver.answers = [503]

    webhook(receiver.url).notify(approved_event())

    assert len(receiver.deliveries) == 2
    first, second = receiver.deliveries
    assert first.signature_valid and second.signature_valid
    assert first.body == second.body
    assert first.headers[DELIVERY_HEADER] == second.headers[DELIVERY_HEADER]


def test_webhook_gives_up_after_max_attempts_with_a_retryable_error(receiver: Receiver) -> None:
    receiver.answers = [503, 502, 500]

    with pytest.raises(NotificationError, match="after 3 attempt") as raised:
        webhook(receiver.url, max_attempts=3).notify(approved_event())

    assert raised.value.retryable
    assert len(receiver.deliveries) == 3


def test_webhook_never_retries_a_4xx(receiver: Receiver) -> None:
    receiver.answers = [400]

    with pytest.raises(NotificationError, match="HTTP 400") as raised:
        webhook(receiver.url).notify(approved_event())

    assert not raised.value.retryable
    assert len(receiver.deliveries) == 1


def test_webhook_does_not_follow_a_redirect(receiver: Receiver) -> None:
    receiver.answers = [302]

    with pytest.raises(NotificationError, match="HTTP 302"):
        webhook(receiver.url).notify(approved_event())

    assert len(receiver.deliveries) == 1


def test_webhook_retries_after_a_timeout(receiver: Receiver) -> None:
    receiver.answers = ["hang"]

    webhook(receiver.url, timeout=0.2).notify(approved_event())

    assert len(receiver.deliveries) == 2


def test_webhook_retries_when_the_connection_is_refused() -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/hook"

    with pytest.raises(NotificationError, match="after 2 attempt") as raised:
        webhook(url, max_attempts=2).notify(approved_event())

    assert raised.value.retryable


def test_webhook_errors_and_repr_never_show_the_url_path(receiver: Receiver) -> None:
    receiver.answers = [403]
    notifier = webhook(receiver.url)

    with pytest.raises(NotificationError) as raised:
        notifier.notify(approved_event())

    assert "token-in-path" not in str(raised.value)
    assert "token-in-path" not in repr(notifier)


def test_webhook_sends_a_slack_style_payload(receiver: Receiver) -> None:
    event = approved_event()
    notifier = webhook(
        receiver.url, payload=lambda e: {"text": f"{e.request.requester}'s request was {e.kind}"}
    )

    notifier.notify(event)

    assert receiver.deliveries[0].json == {"text": "alice's request was approved"}
    assert receiver.deliveries[0].signature_valid


def test_webhook_without_text_leaves_out_justification_and_comment(receiver: Receiver) -> None:
    webhook(receiver.url, include_text=False).notify(approved_event())

    body = receiver.deliveries[0].body.decode()
    assert JUSTIFICATION not in body
    assert COMMENT not in body


def test_webhook_failure_through_the_store_is_logged_and_the_write_stands(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.answers = [500, 500]
    store = NotifyingStore(MemoryStore(), webhook(receiver.url, max_attempts=2))

    with caplog.at_level(logging.ERROR, logger="approvals.events"):
        created = store.create(new_request("alice"))

    assert store.get(created.id) == created
    assert "HTTP 500" in caplog.text
    assert "token-in-path" not in caplog.text


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/x", "not a url"])
def test_webhook_refuses_a_url_that_is_not_http(url: str) -> None:
    with pytest.raises(ValidationError):
        WebhookNotifier(url, SECRET)


def test_verify_signature_accepts_what_sign_produced() -> None:
    body = b'{"kind":"created"}'

    signature = sign(SECRET, "1700000000", body)

    assert verify_signature(SECRET, body, "1700000000", signature, now=1700000010)


@pytest.mark.parametrize(
    ("secret", "body", "timestamp", "now"),
    [
        (b"another secret", b'{"kind":"created"}', "1700000000", 1700000000),
        (SECRET, b'{"kind":"approved"}', "1700000000", 1700000000),
        (SECRET, b'{"kind":"created"}', "1700000001", 1700000000),
        (SECRET, b'{"kind":"created"}', "1700000000", 1700000301),
    ],
    ids=["wrong-secret", "tampered-body", "tampered-timestamp", "stale"],
)
def test_verify_signature_refuses(secret: bytes, body: bytes, timestamp: str, now: int) -> None:
    signature = sign(SECRET, "1700000000", b'{"kind":"created"}')

    assert not verify_signature(secret, body, timestamp, signature, now=now)


# -- SNS through moto, read back from a subscribed SQS queue -------------------------------


@dataclass
class Topic:
    arn: str
    sqs: Any
    queue_url: str

    def subscribe_queue(self, name: str, filter_policy: dict[str, Any] | None = None) -> str:
        sns = boto3.client("sns", region_name=REGION)
        url: str = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        attributes = {"FilterPolicy": json.dumps(filter_policy)} if filter_policy else {}
        sns.subscribe(
            TopicArn=self.arn,
            Protocol="sqs",
            Endpoint=arn["Attributes"]["QueueArn"],
            Attributes=attributes,
        )
        return url

    def received(self, queue_url: str | None = None) -> list[dict[str, Any]]:
        response = self.sqs.receive_message(
            QueueUrl=queue_url or self.queue_url, MaxNumberOfMessages=10
        )
        return [json.loads(message["Body"]) for message in response.get("Messages", [])]


@pytest.fixture
def topic(moto: None) -> Topic:
    arn = boto3.client("sns", region_name=REGION).create_topic(Name="approvals")["TopicArn"]
    topic = Topic(arn, boto3.client("sqs", region_name=REGION), "")
    topic.queue_url = topic.subscribe_queue("approvers")
    return topic


def test_sns_publishes_the_event_with_filterable_attributes(topic: Topic) -> None:
    event = approved_event()

    SNSNotifier(topic.arn).notify(event)

    [envelope] = topic.received()
    assert json.loads(envelope["Message"]) == event.to_dict()
    assert envelope["Subject"] == f"approval request {event.request_id} approved"
    attributes = {name: value["Value"] for name, value in envelope["MessageAttributes"].items()}
    assert attributes == {
        "kind": "approved",
        "status": "approved",
        "profile": "production",
        "requester": "alice",
        "request_id": event.request_id,
        "actor": "bob",
    }


def test_sns_subscribers_can_filter_on_the_kind(topic: Topic) -> None:
    decisions = topic.subscribe_queue("decisions", {"kind": ["approved", "denied"]})
    store = NotifyingStore(MemoryStore(), SNSNotifier(topic.arn))

    created = store.create(new_request("alice"))
    store.update(created.approve("bob"))

    assert [json.loads(m["Message"])["kind"] for m in topic.received(decisions)] == ["approved"]
    assert len(topic.received()) == 2


def test_sns_without_text_leaves_out_justification_and_comment(topic: Topic) -> None:
    SNSNotifier(topic.arn, include_text=False).notify(approved_event())

    [envelope] = topic.received()
    assert JUSTIFICATION not in envelope["Message"]
    assert COMMENT not in envelope["Message"]


def test_sns_failure_is_a_notification_error_naming_the_topic(moto: None) -> None:
    missing = f"arn:aws:sns:{REGION}:123456789012:no-such-topic"

    with pytest.raises(NotificationError, match="no-such-topic") as raised:
        SNSNotifier(missing).notify(approved_event())

    assert not isinstance(raised.value, StoreError)
    assert "SNS" in str(raised.value)
    assert "table" not in str(raised.value)
    assert not raised.value.retryable
    assert raised.value.__cause__ is not None


def _answering(status: int, code: str) -> Any:
    """A before-send hook answering every SNS call with an SNS XML error."""
    body = (
        '<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error>'
        f"<Type>Sender</Type><Code>{code}</Code><Message>Rate exceeded</Message>"
        "</Error><RequestId>injected</RequestId></ErrorResponse>"
    ).encode()

    def respond(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        return AWSResponse(request.url, status, {"Content-Type": "text/xml"}, _Raw(body))

    return respond


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def test_an_sns_throttle_is_a_retryable_notification_error_about_sns(topic: Topic) -> None:
    client = boto3.client(
        "sns", region_name=REGION, config=Config(retries={"total_max_attempts": 1})
    )
    client.meta.events.register_first("before-send.sns.Publish", _answering(400, "Throttling"))

    with pytest.raises(NotificationError) as raised:
        SNSNotifier(topic.arn, client=client).notify(approved_event())

    assert raised.value.retryable
    assert "SNS throttled" in str(raised.value)
    assert "DynamoDB" not in str(raised.value)
    assert "capacity" not in str(raised.value)


def test_an_unreachable_sns_is_a_retryable_notification_error() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = boto3.client(
        "sns",
        region_name=REGION,
        endpoint_url=f"http://127.0.0.1:{port}",
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=1),
    )
    arn = f"arn:aws:sns:{REGION}:123456789012:approvals"

    with pytest.raises(NotificationError, match="SNS publish") as raised:
        SNSNotifier(arn, client=client).notify(approved_event())

    assert raised.value.retryable


def test_sns_notifier_uses_the_client_it_is_given(topic: Topic) -> None:
    client = boto3.client("sns", region_name=REGION)

    notifier = SNSNotifier(topic.arn, client=client)
    notifier.notify(approved_event())

    assert notifier.region == REGION
    assert len(topic.received()) == 1


def test_sns_refuses_something_that_is_not_an_arn() -> None:
    with pytest.raises(ValidationError):
        SNSNotifier("approvals-topic")
