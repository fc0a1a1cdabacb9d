"""Fixtures of the Go conformance check: the Go client, built once per session, and a table."""

from __future__ import annotations

from pathlib import Path

import pytest

from approvals import DynamoDBStore
from tests.gobuild import go_build
from tests.helpers import REGION
from tests.interop.gorunner import GO_SOURCE, SDK_PACKAGES, GoClient, Interop
from tests.servers.plugin import unique_table_name


@pytest.fixture(scope="session")
def go_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Go client, built once per session (skips locally, fails in CI, without Go)."""
    output = tmp_path_factory.mktemp("goclient") / "goclient"
    return go_build(GO_SOURCE, output, packages=SDK_PACKAGES)


@pytest.fixture
def interop(go_binary: Path, moto_server_endpoint: str) -> Interop:
    """A fresh table made by ``DynamoDBStore.create_table``, and a Go client bound to it."""
    store = DynamoDBStore(unique_table_name("interop"), region=REGION, host=moto_server_endpoint)
    store.create_table()
    return Interop(store, GoClient(go_binary, moto_server_endpoint, store.table_name))
