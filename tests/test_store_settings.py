"""DynamoDBStore's connection settings: arguments first, then APPROVALS_* variables."""

from __future__ import annotations

import pytest

from approvals import ValidationError
from approvals.store.settings import ENVIRONMENT_VARIABLES, connection_settings


@pytest.fixture(autouse=True)
def no_setting_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ENVIRONMENT_VARIABLES.values():
        monkeypatch.delenv(variable, raising=False)


def test_unset_settings_are_left_to_pynamodb() -> None:
    assert connection_settings() == {}


def test_an_unpassed_setting_is_read_from_its_variable_as_its_type(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APPROVALS_READ_TIMEOUT", "2.5")
    monkeypatch.setenv("APPROVALS_MAX_RETRIES", "3")

    assert connection_settings(connect_timeout=1.0) == {
        "connect_timeout_seconds": 1.0,
        "read_timeout_seconds": 2.5,
        "max_retry_attempts": 3,
    }


def test_a_passed_setting_wins_over_its_variable_and_an_empty_variable_is_unset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APPROVALS_MAX_POOL_CONNECTIONS", "not read")
    monkeypatch.setenv("APPROVALS_CONNECT_TIMEOUT", "")

    assert connection_settings(max_pool_connections=5) == {"max_pool_connections": 5}


def test_a_variable_that_is_not_a_number_is_refused_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APPROVALS_MAX_RETRIES", "three")

    with pytest.raises(ValidationError, match="APPROVALS_MAX_RETRIES must be a number") as caught:
        connection_settings()
    assert caught.value.field == "max_retries"
