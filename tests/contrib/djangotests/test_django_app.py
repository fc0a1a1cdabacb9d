"""The Django app: store from settings, error mapping helpers, system checks, create_table."""

from __future__ import annotations

import io
from typing import Any

import boto3
import pytest
from django.apps import apps as django_apps
from django.core.checks import Tags, run_checks
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError
from django.test import Client

from approvals import DynamoDBStore, MemoryStore, RequestNotFound
from approvals.contrib.django import get_store
from tests.contrib.api_spec import ERROR_CASES, Reply, check_error_reply
from tests.contrib.djangotests import urls
from tests.contrib.djangotests.conftest import BASE_APPROVALS, UseStore
from tests.helpers import REGION, make_dynamodb_store, new_table_name, terraform_table


def _messages(**kwargs: Any) -> dict[str, str]:
    return {message.id: message.msg for message in run_checks(**kwargs)}


# -- the store -----------------------------------------------------------------------------


def test_the_settings_are_read_once_and_again_after_they_change(use_store: UseStore) -> None:
    use_store(MemoryStore(), TRUSTED_PROXIES=["10.0.0.0/8"])
    config = django_apps.get_app_config("approvals")
    first = config.settings()
    assert config.settings() is first  # not re-validated per request
    assert [str(network) for network in first.trusted_proxies] == ["10.0.0.0/8"]
    use_store(MemoryStore(), IDENTITY_HEADER="X-Auth-User")
    assert config.settings().identity_header == "X-Auth-User"
    assert config.settings().trusted_proxies == ()


def test_get_store_builds_one_dynamodb_store_from_the_settings(settings: Any) -> None:
    settings.APPROVALS = {
        "TABLE": "access-requests",
        "REGION": "eu-west-1",
        "ENDPOINT_URL": "http://127.0.0.1:8000",
    }
    store = get_store()
    assert isinstance(store, DynamoDBStore)
    assert (store.table_name, store.region, store.host) == (
        "access-requests",
        "eu-west-1",
        "http://127.0.0.1:8000",
    )
    assert get_store() is store


def test_changing_the_settings_rebuilds_the_store(settings: Any) -> None:
    settings.APPROVALS = {"TABLE": "first-table"}
    first = get_store()
    settings.APPROVALS = {"TABLE": "second-table"}
    second = get_store()
    assert isinstance(second, DynamoDBStore)
    assert second is not first
    assert second.table_name == "second-table"


def test_a_store_factory_path_builds_the_store(use_store: UseStore) -> None:
    use_store(None, STORE="approvals.MemoryStore")
    assert isinstance(get_store(), MemoryStore)


def test_a_factory_that_returns_no_store_is_improperly_configured(use_store: UseStore) -> None:
    use_store(None, STORE="builtins.dict")
    with pytest.raises(ImproperlyConfigured, match="not a Store"):
        get_store()


def test_missing_settings_are_improperly_configured(settings: Any) -> None:
    del settings.APPROVALS
    with pytest.raises(ImproperlyConfigured, match=r"approvals\.E001"):
        get_store()


# -- error mapping -------------------------------------------------------------------------


@pytest.mark.parametrize(("error", "if_match", "status", "code", "extensions"), ERROR_CASES)
@pytest.mark.parametrize(
    ("path", "middleware"),
    [
        ("/boom/decorated", []),
        ("/boom/async", []),
        ("/boom/plain", ["approvals.contrib.django.problems.ApprovalsErrorMiddleware"]),
    ],
    ids=["decorator", "async-decorator", "middleware"],
)
def test_the_decorator_and_the_middleware_map_library_errors_to_problems(
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
    path: str,
    middleware: list[str],
    error: Exception,
    if_match: bool,
    status: int,
    code: str,
    extensions: dict[str, Any],
) -> None:
    settings.MIDDLEWARE = middleware
    monkeypatch.setattr(urls, "RAISE", [error])
    response = Client().post(path, headers={"If-Match": '"x"'} if if_match else {})
    reply = Reply.of(response.status_code, response.headers, response.content)
    check_error_reply(reply, error, status, code, extensions)


def test_the_middleware_leaves_other_exceptions_to_django(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.MIDDLEWARE = ["approvals.contrib.django.problems.ApprovalsErrorMiddleware"]
    monkeypatch.setattr(urls, "RAISE", [KeyError("not ours")])
    with pytest.raises(KeyError):
        Client().post("/boom/plain")


def test_without_helper_a_library_error_is_not_mapped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(urls, "RAISE", [RequestNotFound("0123456789abcdef")])
    with pytest.raises(RequestNotFound):
        Client().post("/boom/plain")


# -- settings checks -----------------------------------------------------------------------


def test_valid_settings_pass_the_checks() -> None:
    assert _messages(tags=["approvals"]) == {}


def test_missing_settings_are_a_check_error(settings: Any) -> None:
    del settings.APPROVALS
    assert "approvals.E001" in _messages(tags=["approvals"])


def test_a_missing_table_name_is_a_check_error(settings: Any) -> None:
    settings.APPROVALS = {"REGION": "eu-west-1"}
    assert "approvals.E003" in _messages(tags=["approvals"])


def test_a_value_of_the_wrong_type_is_a_check_error(settings: Any) -> None:
    settings.APPROVALS = {**BASE_APPROVALS, "REGION": 42}
    assert "approvals.E004" in _messages(tags=["approvals"])


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("REGION", 42, 'settings.APPROVALS["REGION"] must be a string.'),
        ("IDENTITY", 42, 'settings.APPROVALS["IDENTITY"] must be a callable or its dotted path.'),
        ("REQUIRE_RULE", "yes", 'settings.APPROVALS["REQUIRE_RULE"] must be True or False.'),
        (
            "STORE",
            42,
            'settings.APPROVALS["STORE"] must be a Store or a dotted path to a factory.',
        ),
    ],
)
def test_the_wrong_type_check_names_the_key_and_what_it_must_be(
    settings: Any, key: str, value: object, message: str
) -> None:
    settings.APPROVALS = {**BASE_APPROVALS, key: value}
    assert _messages(tags=["approvals"]) == {"approvals.E004": message}


def test_an_unknown_key_is_a_check_warning(settings: Any) -> None:
    settings.APPROVALS = {**BASE_APPROVALS, "TABEL": "typo"}
    assert "approvals.W001" in _messages(tags=["approvals"])


def test_manage_py_check_fails_on_missing_settings(settings: Any) -> None:
    del settings.APPROVALS
    with pytest.raises(SystemCheckError, match=r"approvals\.E001"):
        call_command("check", stdout=io.StringIO(), stderr=io.StringIO())


# -- database checks -----------------------------------------------------------------------


def test_the_table_check_runs_only_when_database_checks_are_asked_for(
    use_store: UseStore, moto: None
) -> None:
    use_store(None, TABLE=new_table_name(), REGION=REGION)
    assert "approvals.E101" not in _messages()


def test_an_existing_table_with_the_indexes_passes(use_store: UseStore, moto: None) -> None:
    store = make_dynamodb_store()
    use_store(None, TABLE=store.table_name, REGION=REGION)
    assert _messages(tags=[Tags.database], databases=["default"]) == {}


def test_a_missing_table_is_a_database_check_error(use_store: UseStore, moto: None) -> None:
    use_store(None, TABLE=new_table_name(), REGION=REGION)
    assert "approvals.E101" in _messages(tags=[Tags.database], databases=["default"])


def test_a_missing_index_is_a_database_check_error(use_store: UseStore, moto: None) -> None:
    table = terraform_table(new_table_name())
    table["GlobalSecondaryIndexes"] = [
        i for i in table["GlobalSecondaryIndexes"] if i["IndexName"] != "gsi-status"
    ]
    table["AttributeDefinitions"] = [
        a for a in table["AttributeDefinitions"] if a["AttributeName"] != "status"
    ]
    boto3.client("dynamodb", region_name=REGION).create_table(**table)
    use_store(None, TABLE=table["TableName"], REGION=REGION)
    messages = _messages(tags=[Tags.database], databases=["default"])
    assert "gsi-status" in messages["approvals.E102"]


def test_an_unreachable_store_is_a_database_check_error(
    use_store: UseStore, unreachable_store: DynamoDBStore
) -> None:
    use_store(unreachable_store)
    assert "approvals.E103" in _messages(tags=[Tags.database], databases=["default"])


def test_a_memory_store_has_no_table_to_check(use_store: UseStore) -> None:
    use_store(MemoryStore())
    assert _messages(tags=[Tags.database], databases=["default"]) == {}


# -- approvals_create_table ----------------------------------------------------------------


def test_create_table_makes_a_table_that_passes_the_database_check(
    use_store: UseStore, moto: None
) -> None:
    use_store(None, TABLE=new_table_name(), REGION=REGION)
    out = io.StringIO()
    call_command("approvals_create_table", stdout=out)
    assert "is ready" in out.getvalue()
    assert _messages(tags=[Tags.database], databases=["default"]) == {}
    call_command("approvals_create_table", stdout=io.StringIO())  # idempotent


def test_create_table_refuses_a_store_without_a_table(use_store: UseStore) -> None:
    use_store(MemoryStore())
    with pytest.raises(CommandError, match="MemoryStore"):
        call_command("approvals_create_table")


def test_create_table_reports_a_store_failure_as_a_command_error(
    use_store: UseStore, unreachable_store: DynamoDBStore
) -> None:
    use_store(unreachable_store)
    with pytest.raises(CommandError):
        call_command("approvals_create_table")
