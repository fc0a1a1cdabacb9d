"""The error hierarchy users catch."""

from __future__ import annotations

import pytest

from approvals import (
    AccessDenied,
    ApprovalsError,
    ConcurrentModification,
    InvalidStateTransition,
    RequestExists,
    RequestNotFound,
    StoreError,
    StoreUnavailable,
    TableNotFound,
    Throttled,
    ValidationError,
)

RID = "0123456789abcdef"


def test_every_error_is_an_approvals_error() -> None:
    for error in (
        ValidationError,
        RequestNotFound,
        RequestExists,
        ConcurrentModification,
        InvalidStateTransition,
        StoreError,
        Throttled,
        StoreUnavailable,
        TableNotFound,
        AccessDenied,
    ):
        assert issubclass(error, ApprovalsError)


def test_builtin_bases_let_generic_handlers_catch_them() -> None:
    assert issubclass(ValidationError, ValueError)
    assert issubclass(RequestNotFound, LookupError)


@pytest.mark.parametrize(
    "error",
    [
        RequestNotFound(RID),
        RequestExists(RID),
        ConcurrentModification(RID),
        InvalidStateTransition(RID, "not pending"),
        ValidationError("bad", field="profile", request_id=RID),
        StoreError("boom", request_id=RID),
    ],
)
def test_errors_about_one_request_carry_and_name_its_id(error: ApprovalsError) -> None:
    assert error.request_id == RID
    assert RID in str(error)


def test_validation_error_names_its_field() -> None:
    assert ValidationError("too short", field="justification").field == "justification"


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (Throttled("x"), True),
        (StoreUnavailable("x"), True),
        (TableNotFound("x"), False),
        (AccessDenied("x"), False),
        (StoreError("x"), False),
        (StoreError("x", retryable=True), True),
    ],
)
def test_store_errors_say_whether_a_retry_may_help(error: StoreError, retryable: bool) -> None:
    assert error.retryable is retryable
