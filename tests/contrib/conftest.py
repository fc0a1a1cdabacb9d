"""Fixtures shared by the Flask and Django integration tests."""

from __future__ import annotations

import socket

import pytest

from approvals import DynamoDBStore, Store
from tests.helpers import REGION, new_table_name


@pytest.fixture
def unreachable_store() -> Store:
    """A DynamoDBStore whose endpoint refuses connections (nothing listens on the port)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return DynamoDBStore(
        new_table_name(),
        region=REGION,
        host=f"http://127.0.0.1:{port}",
        max_retries=0,
        connect_timeout=2,
        read_timeout=2,
    )


@pytest.fixture
def missing_table_store(moto: None) -> Store:
    """A DynamoDBStore (moto) on a table that does not exist."""
    return DynamoDBStore(new_table_name(), region=REGION)
