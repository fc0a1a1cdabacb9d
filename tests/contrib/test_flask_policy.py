"""The Flask extension's policy and identity settings: APPROVALS_POLICY, APPROVALS_REQUIRE_RULE,
APPROVALS_TRUSTED_PROXIES; a misconfigured app does not start."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("flask")

from flask import Flask

from approvals import MemoryStore, ValidationError
from approvals.contrib.flask import Approvals, api_blueprint, get_enforcement, proxy_user
from approvals.policy import ApprovalPolicy
from tests.contrib.api_spec import ONCALL_POLICY


def _app(**config: object) -> Flask:
    app = Flask(__name__)
    app.config.update(config)
    Approvals(app, store=MemoryStore(), identity_loader=proxy_user)
    app.register_blueprint(api_blueprint(), url_prefix="/api")
    return app


def test_a_policy_path_is_loaded_when_the_app_starts(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(ONCALL_POLICY)
    app = _app(APPROVALS_POLICY=str(path))
    enforcement = get_enforcement(app)
    assert enforcement.policy is not None
    assert [rule.name for rule in enforcement.policy.rules] == [
        "prod-oncall",
        "sandbox-self-service",
    ]
    assert enforcement.policy.require_rule is False


def test_a_policy_object_is_used_as_given() -> None:
    policy = ApprovalPolicy.from_yaml(ONCALL_POLICY)
    assert get_enforcement(_app(APPROVALS_POLICY=policy)).policy is policy


def test_without_a_policy_nothing_is_enforced_beyond_self_approval() -> None:
    assert get_enforcement(_app()).policy is None


def test_a_policy_file_that_cannot_be_loaded_stops_the_app(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(ONCALL_POLICY.replace("approvers: [bob, Carol]", "aprovers: [bob]"))
    with pytest.raises(ValidationError, match="aprovers"):
        _app(APPROVALS_POLICY=str(path))


def test_requiring_a_rule_without_a_policy_stops_the_app() -> None:
    with pytest.raises(ValidationError, match="APPROVALS_POLICY"):
        _app(APPROVALS_REQUIRE_RULE=True)


def test_a_malformed_trusted_proxy_stops_the_app() -> None:
    with pytest.raises(ValidationError, match="not an IP address"):
        _app(APPROVALS_TRUSTED_PROXIES=["proxy.internal"])


def test_the_identity_header_is_ignored_when_no_proxy_is_trusted() -> None:
    client = _app().test_client()
    reply = client.get("/api/requests?status=pending", headers={"X-Forwarded-User": "alice"})
    assert reply.status_code == 401


def test_the_identity_header_name_is_configurable() -> None:
    client = _app(
        APPROVALS_TRUSTED_PROXIES="127.0.0.1", APPROVALS_IDENTITY_HEADER="X-Auth-Request-User"
    ).test_client()
    forwarded = {"X-Forwarded-User": "alice"}
    assert client.get("/api/requests?status=pending", headers=forwarded).status_code == 401
    named = {"X-Auth-Request-User": "alice"}
    assert client.get("/api/requests?status=pending", headers=named).status_code == 200


def test_a_policy_setting_of_another_type_stops_the_app() -> None:
    with pytest.raises(ValidationError, match="APPROVALS_POLICY must be a path"):
        _app(APPROVALS_POLICY=42)
