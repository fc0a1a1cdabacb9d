"""Fixtures of the Go conformance check: the Go client, built once per session, and a table."""

from __future__ import annotations

from pathlib import Path

import pytest

from approvals import DynamoDBStore
from tests.helpers import REGION
from tests.interop.gorunner import GoClient, Interop, build_goclient, missing_toolchain
from tests.servers.plugin import _unavailable, unique_table_name


@pytest.fixture(scope="session")
def go_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Go client, built once per session (skips locally, fails in CI, without Go)."""
    reason = missing_toolchain()
    if reason is not None:
        _unavailable(reason)
    directory = tmp_path_factory.mktemp("goclient")
    binary = directory / "goclient"
    try:
        build_goclient(binary, directory / "gocache")
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    return binary


@pytest.fixture
def interop(go_binary: Path, moto_server_endpoint: str) -> Interop:
    """A fresh table made by ``DynamoDBStore.create_table``, and a Go client bound to it."""
    store = DynamoDBStore(unique_table_name("interop"), region=REGION, host=moto_server_endpoint)
    store.create_table()
    return Interop(store, GoClient(go_binary, moto_server_endpoint, store.table_name))
