"""approvals.contrib.http: the error table, ETags and If-Match parsing, the identity a trusted proxy
sends (framework-neutral)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import pytest

import approvals.errors
from approvals import ApprovalsError, Request, StoreError, Throttled, ValidationError
from approvals.contrib.http import (
    ANY_ENTITY,
    ERROR_PROBLEMS,
    EntityTag,
    HTTPProblem,
    entity_tag,
    if_match_allows,
    parse_if_match,
    parse_trusted_proxies,
    problem_for_exception,
    proxy_identity,
)
from approvals.times import parse_time


def _request(updated_at: datetime) -> Request:
    request = Request.new(
        requester="alice",
        profile="production",
        justification="Rotate the deploy keys",
        duration=timedelta(hours=1),
    )
    request.updated_at = updated_at
    return request


def test_every_error_of_the_contract_maps_to_a_problem_below_500() -> None:
    errors = [getattr(approvals.errors, name) for name in approvals.errors.__all__]
    mapped = [klass for klass, _ in ERROR_PROBLEMS]
    for error in errors:
        if error is not ApprovalsError:
            assert any(issubclass(error, klass) for klass in mapped), error


def test_an_unmapped_library_error_is_a_generic_500() -> None:
    problem = problem_for_exception(ApprovalsError("secret internals"), if_match_sent=False)
    assert problem.status == 500
    assert "secret" not in problem.detail


def test_a_store_error_is_logged_with_its_message(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="approvals.contrib"):
        problem_for_exception(Throttled("throttled on table 'secret-table'"), if_match_sent=False)
    assert "secret-table" in caplog.text


def test_retry_after_only_for_retryable_store_errors() -> None:
    retryable = problem_for_exception(StoreError("x", retryable=True), if_match_sent=False)
    final = problem_for_exception(StoreError("x", retryable=False), if_match_sent=False)
    assert retryable.headers["Retry-After"].isdigit()
    assert "Retry-After" not in final.headers


def test_an_http_problem_keeps_its_status_headers_and_extensions() -> None:
    problem = problem_for_exception(
        HTTPProblem(
            401,
            "unauthenticated",
            "Not signed in",
            "sign in",
            headers={"WWW-Authenticate": "x"},
            hint=1,
        ),
        if_match_sent=True,
    )
    assert (problem.status, problem.headers["WWW-Authenticate"], problem.to_json()["hint"]) == (
        401,
        "x",
        1,
    )


def test_the_etag_is_the_stored_updated_at_string_quoted() -> None:
    go_written = parse_time("2026-01-02T03:04:05.123456789+02:00")
    assert entity_tag(_request(go_written)) == '"2026-01-02T03:04:05.123456789+02:00"'


def test_a_fresh_updated_at_makes_a_canonical_etag() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, 600, tzinfo=timezone.utc)
    assert entity_tag(_request(moment)) == '"2026-01-02T03:04:05.000600001Z"'


@pytest.mark.parametrize(
    ("header", "tags"),
    [
        ('"a"', (EntityTag("a"),)),
        ('W/"a"', (EntityTag("a", weak=True),)),
        (' "a" , W/"b",,"c" ', (EntityTag("a"), EntityTag("b", weak=True), EntityTag("c"))),
        ('""', (EntityTag(""),)),
    ],
)
def test_if_match_lists_are_parsed(header: str, tags: tuple[EntityTag, ...]) -> None:
    assert parse_if_match(header) == tags


def test_if_match_star_is_recognised() -> None:
    assert parse_if_match(" * ") == ANY_ENTITY


@pytest.mark.parametrize("header", ["a", '"a" "b"', '"a', 'w/"a"', ",", '"a" x', '"a"b'])
def test_a_malformed_if_match_is_400(header: str) -> None:
    with pytest.raises(HTTPProblem) as raised:
        parse_if_match(header)
    assert raised.value.problem.status == 400


def test_if_match_compares_strongly() -> None:
    assert if_match_allows((EntityTag("x"), EntityTag("a")), '"a"')
    assert not if_match_allows((EntityTag("a", weak=True),), '"a"')
    assert not if_match_allows((EntityTag("A"),), '"a"')


TRUSTED = parse_trusted_proxies(["10.0.0.5", "192.168.8.0/24", "fd00::/64"])


@pytest.mark.parametrize(
    ("value", "remote_addr", "user"),
    [
        ("alice", "10.0.0.5", "alice"),
        ("alice", "192.168.8.77", "alice"),  # inside a trusted network
        ("alice", "fd00::17", "alice"),
        ("alice", "fd00::17%eth0", "alice"),  # an IPv6 zone id
        (" alice ", "10.0.0.5", "alice"),
        ("alice", "10.0.0.6", None),  # any other address: nobody
        ("alice", "127.0.0.1", None),
        ("alice", None, None),
        ("alice", "not-an-address", None),
        ("", "10.0.0.5", None),  # the proxy sent no user
        ("   ", "10.0.0.5", None),
        (None, "10.0.0.5", None),
    ],
)
def test_the_identity_header_counts_only_from_a_trusted_proxy(
    value: str | None, remote_addr: str | None, user: str | None
) -> None:
    assert proxy_identity(value, remote_addr, TRUSTED) == user


def test_without_trusted_proxies_the_identity_header_never_counts() -> None:
    assert parse_trusted_proxies(None) == ()
    assert proxy_identity("alice", "127.0.0.1", ()) is None


def test_one_string_is_one_trusted_proxy() -> None:
    assert proxy_identity("alice", "127.0.0.1", parse_trusted_proxies("127.0.0.1")) == "alice"


@pytest.mark.parametrize("value", [["proxy.internal"], ["10.0.0.300"], 5])
def test_a_malformed_trusted_proxy_is_a_validation_error_naming_the_setting(value: object) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_trusted_proxies(value)
    assert refused.value.field == "APPROVALS_TRUSTED_PROXIES"
