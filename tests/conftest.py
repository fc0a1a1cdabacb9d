"""Shared fixtures: the backends every store contract test runs against.

``store`` is parametrised over the backends in ``STORE_BACKENDS``; each yields a fresh, empty store
on its own table. DynamoDB tables are created with raw boto3 exactly as the production Terraform
creates them, so the library is tested against the schema it will meet, not the one it makes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from moto import mock_aws

from approvals import MemoryStore, SQLiteStore, Store
from approvals.events import NotifyingStore
from approvals.notifiers import LoggingNotifier
from tests.helpers import REGION, make_dynamodb_store

pytest_plugins = ["tests.servers.plugin"]


@pytest.fixture(autouse=True)
def _aws_test_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    # Never reach a real account from tests, whatever the developer's environment holds.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def moto() -> Iterator[None]:
    """moto's in-process DynamoDB for the duration of a test."""
    with mock_aws():
        yield


def _memory(request: pytest.FixtureRequest) -> Store:
    return MemoryStore()


def _moto(request: pytest.FixtureRequest) -> Store:
    request.getfixturevalue("moto")
    return make_dynamodb_store()


def _moto_server(request: pytest.FixtureRequest) -> Store:
    return make_dynamodb_store(request.getfixturevalue("moto_server_endpoint"))


def _dynalite(request: pytest.FixtureRequest) -> Store:
    return make_dynamodb_store(request.getfixturevalue("dynalite_endpoint"))


def _sqlite(request: pytest.FixtureRequest) -> Store:
    path = request.getfixturevalue("tmp_path") / "requests.sqlite3"
    store = SQLiteStore(path)
    request.addfinalizer(store.close)
    return store


def _notifying_memory(request: pytest.FixtureRequest) -> Store:
    # Events are built and delivered on every write, so the contract covers the wrapper's path.
    return NotifyingStore(MemoryStore(), LoggingNotifier())


def _notifying_moto(request: pytest.FixtureRequest) -> Store:
    # A wrapped DynamoDBStore: bulk paths must still find its table (store.dynamodb_table()).
    return NotifyingStore(_moto(request), LoggingNotifier())


# Backends of the store contract suite: name -> factory. Later backends (servers, wrappers)
# register themselves here.
STORE_BACKENDS: dict[str, Callable[[pytest.FixtureRequest], Store]] = {
    "memory": _memory,
    "moto": _moto,
    "moto-server": _moto_server,
    "dynalite": _dynalite,
    "notifying-memory": _notifying_memory,
    "notifying-moto": _notifying_moto,
    "sqlite": _sqlite,
}


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the reliability figures the race and fault tests recorded (docs/reliability.md)."""
    from tests.reliability import summary_lines

    lines = summary_lines()
    if lines:
        terminalreporter.section("reliability figures")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(params=sorted(STORE_BACKENDS))
def store(request: pytest.FixtureRequest) -> Store:
    """A fresh empty store, once per backend."""
    return STORE_BACKENDS[request.param](request)
