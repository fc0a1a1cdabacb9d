"""Faults: after the SDK's retries every backend failure is a StoreError that says what to do."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import BotoCoreError, ClientError
from botocore.retries.standard import ExponentialBackoff
from pynamodb.exceptions import PynamoDBException

from approvals import (
    AccessDenied,
    ConcurrentModification,
    DynamoDBStore,
    RequestExists,
    RequestStatus,
    StoreError,
    StoreUnavailable,
    TableNotFound,
    Throttled,
)
from tests.faults import (
    Action,
    FaultInjector,
    connection_reset,
    error_response,
    http_status,
    lands_then_response_lost,
    read_timeout,
)
from tests.helpers import REGION, make_dynamodb_store, new_request
from tests.reliability import record

RETRIES = 2  # so every fault below is seen 3 times before it surfaces


@pytest.fixture(autouse=True)
def _no_backoff_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    # The SDK's backoff schedule is botocore's business; these tests only count the attempts.
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0.001)


@pytest.fixture(params=["dynalite", "moto-server"])
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def endpoint(request: pytest.FixtureRequest, backend: str) -> str:
    fixture = {"dynalite": "dynalite_endpoint", "moto-server": "moto_server_endpoint"}
    url: str = request.getfixturevalue(fixture[backend])
    return url


@pytest.fixture
def store(endpoint: str) -> DynamoDBStore:
    return make_dynamodb_store(endpoint, max_retries=RETRIES, read_timeout=5, connect_timeout=2)


FAULTS: dict[str, tuple[Callable[[], Action], type[StoreError], bool]] = {
    "ProvisionedThroughputExceeded": (
        lambda: error_response(400, "ProvisionedThroughputExceededException"),
        Throttled,
        True,
    ),
    "ThrottlingException": (lambda: error_response(400, "ThrottlingException"), Throttled, True),
    "HTTP 500": (lambda: error_response(500, "InternalServerError"), StoreUnavailable, True),
    "HTTP 503": (lambda: http_status(503), StoreUnavailable, True),
    "connection reset": (lambda: connection_reset, StoreUnavailable, True),
    "read timeout": (lambda: read_timeout, StoreUnavailable, True),
    "access denied": (lambda: error_response(400, "AccessDeniedException"), AccessDenied, False),
}
OPERATIONS: dict[str, Callable[[DynamoDBStore], Any]] = {
    "get": lambda s: s.get("0123456789abcdef"),
    "create": lambda s: s.create(new_request()),
    "list": lambda s: s.list_by_status(RequestStatus.PENDING),
}


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_persistent_fault_surfaces_as_the_right_store_error(
    store: DynamoDBStore, fault: str, operation: str, backend: str
) -> None:
    make_action, error_type, retryable = FAULTS[fault]
    injector = FaultInjector(store, *[make_action() for _ in range(10)])
    with pytest.raises(error_type) as caught:
        OPERATIONS[operation](store)
    error = caught.value
    assert error.retryable is retryable
    assert isinstance(error.__cause__, (ClientError, BotoCoreError, PynamoDBException))
    assert store.table_name in str(error)
    expected_attempts = 1 + RETRIES if retryable else 1
    assert injector.attempts == expected_attempts
    record(
        "faults",
        f"{fault} on {operation} ({backend})",
        surfaced=type(error).__name__,
        retryable=retryable,
        attempts=injector.attempts,
    )


@pytest.mark.parametrize("fault", sorted(name for name, f in FAULTS.items() if f[2]))
def test_a_transient_fault_is_retried_away(store: DynamoDBStore, fault: str) -> None:
    created = store.create(new_request())
    injector = FaultInjector(store, FAULTS[fault][0]())
    assert store.get(created.id) == created
    assert injector.attempts == 2


def test_a_missing_table_names_the_table_and_region(endpoint: str) -> None:
    store = DynamoDBStore("approvals-missing-table", region=REGION, host=endpoint)
    with pytest.raises(TableNotFound) as caught:
        store.get("0123456789abcdef")
    assert "approvals-missing-table" in str(caught.value)
    assert REGION in str(caught.value)
    assert caught.value.retryable is False
    record("faults", "table missing on get", surfaced="TableNotFound", retryable=False)


def test_an_unreachable_endpoint_is_store_unavailable() -> None:
    store = DynamoDBStore(
        region=REGION, host="http://127.0.0.1:9", max_retries=0, connect_timeout=1
    )
    with pytest.raises(StoreUnavailable) as caught:
        store.get("0123456789abcdef")
    assert caught.value.retryable is True
    assert "127.0.0.1:9" in str(caught.value)


def test_retries_and_timeouts_are_settable_by_environment(
    monkeypatch: pytest.MonkeyPatch, endpoint: str
) -> None:
    monkeypatch.setenv("APPROVALS_MAX_RETRIES", "0")
    store = make_dynamodb_store(endpoint)
    injector = FaultInjector(store, *[http_status(503) for _ in range(3)])
    with pytest.raises(StoreUnavailable):
        store.get("0123456789abcdef")
    assert injector.attempts == 1


# -- ambiguous writes: applied by the server, response lost, retried by the SDK --------------


def test_a_create_whose_response_was_lost_succeeds_on_retry(
    store: DynamoDBStore, backend: str
) -> None:
    request = new_request()
    injector = FaultInjector(store, lands_then_response_lost, operation="PutItem")
    assert store.create(request) == request
    assert injector.attempts == 2
    assert store.get(request.id) == request
    record("ambiguous writes", f"create, response lost ({backend})", outcome="ok", attempts=2)


def test_an_update_whose_response_was_lost_succeeds_on_retry(
    store: DynamoDBStore, backend: str
) -> None:
    created = store.create(new_request())
    injector = FaultInjector(store, lands_then_response_lost, operation="UpdateItem")
    approved = store.update(created.approve("bob", "ok"))
    assert injector.attempts == 2
    assert approved.status is RequestStatus.APPROVED
    assert store.get(created.id) == approved
    record("ambiguous writes", f"update, response lost ({backend})", outcome="ok", attempts=2)


def test_a_repeated_create_without_a_retry_is_still_request_exists(store: DynamoDBStore) -> None:
    request = store.create(new_request())
    with pytest.raises(RequestExists):
        store.create(request)


def test_a_lost_response_does_not_hide_another_writers_update(store: DynamoDBStore) -> None:
    created = store.create(new_request())
    store.update(created.deny("carol"))
    FaultInjector(store, connection_reset, operation="UpdateItem")
    with pytest.raises(ConcurrentModification):
        store.update(created.approve("bob"))
