"""The Django app's policy and identity settings: APPROVALS["POLICY"], ["REQUIRE_RULE"],
["TRUSTED_PROXIES"], checked by ``manage.py check`` (E004, E005)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured

from approvals import MemoryStore
from approvals.contrib.django import get_enforcement
from tests.contrib.api_spec import ONCALL_POLICY
from tests.contrib.djangotests.conftest import UseStore


def _messages() -> dict[str, str]:
    return {message.id: message.msg for message in run_checks() if message.id}


def test_a_policy_path_is_loaded_once_and_again_after_the_setting_changes(
    use_store: UseStore, tmp_path: Path
) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(ONCALL_POLICY)
    use_store(MemoryStore(), POLICY=str(path))
    first = get_enforcement()
    assert first.policy is not None
    assert first.policy.rule_for("billing").name == "prod-oncall"  # type: ignore[union-attr]
    assert get_enforcement() is first
    use_store(MemoryStore())
    assert get_enforcement().policy is None


def test_a_policy_file_that_cannot_be_loaded_is_check_error_e005(
    use_store: UseStore, tmp_path: Path
) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(ONCALL_POLICY.replace("max_duration: 1h", "max_duration: 9h"))
    use_store(MemoryStore(), POLICY=str(path))
    assert "max_duration" in _messages()["approvals.E005"]
    with pytest.raises(ImproperlyConfigured, match="max_duration"):
        get_enforcement()


def test_requiring_a_rule_without_a_policy_is_check_error_e005(use_store: UseStore) -> None:
    use_store(MemoryStore(), REQUIRE_RULE=True)
    assert "needs a policy" in _messages()["approvals.E005"]


def test_a_policy_of_the_wrong_type_is_check_error_e005_naming_the_setting_once(
    use_store: UseStore,
) -> None:
    use_store(MemoryStore(), POLICY=42)
    message = _messages()["approvals.E005"]
    assert message.count('settings.APPROVALS["POLICY"]') == 1
    assert "must be a path to a policy file" in message


@pytest.mark.parametrize(
    ("key", "value"), [("REQUIRE_RULE", "yes"), ("TRUSTED_PROXIES", ["proxy.internal"])]
)
def test_a_malformed_policy_or_proxy_setting_is_check_error_e004(
    use_store: UseStore, key: str, value: object
) -> None:
    use_store(MemoryStore(), **{key: value})
    assert key in _messages()["approvals.E004"]
