"""Who may decide what: an app's :class:`~approvals.policy.ApprovalPolicy`, enforced the same way
by the JSON API, both example apps and any view of your own (no framework import)."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from approvals.errors import ValidationError
from approvals.identity import same_identity
from approvals.request import Request

from .http import HTTPProblem

if TYPE_CHECKING:
    from approvals.policy import ApprovalPolicy

__all__ = ["Enforcement"]


@dataclass(frozen=True)
class Enforcement:
    """The approval policy an app enforces; None: anyone signed in but the requester decides.

    Whether a profile no rule covers may be decided at all is the policy's ``require_rule``.
    """

    policy: ApprovalPolicy | None = None

    @classmethod
    def from_settings(
        cls, policy: object, *, require_rule: object = False, setting: str = "APPROVALS_POLICY"
    ) -> Enforcement:
        """Build from an app's settings: ``policy`` is None or ``""`` (no policy), a path to the
        policy file (str or path-like), or an ApprovalPolicy; ``require_rule=True`` makes the
        policy refuse every profile no rule covers (as its own ``require_rule`` does).

        ValidationError naming ``setting`` for another type, a require_rule that is not a bool,
        require_rule without a policy (nobody could decide anything), or a policy file that is
        missing or malformed (:meth:`ApprovalPolicy.from_file`'s message after the setting).
        """
        if not isinstance(require_rule, bool):
            raise ValidationError(f"{setting}: require_rule must be True or False", field=setting)
        if policy is None or policy == "":
            if require_rule:
                raise ValidationError(
                    f"requiring a rule needs a policy: set {setting}, or nobody may decide "
                    "anything",
                    field=setting,
                )
            return cls()
        return cls(_load_policy(policy, setting, require_rule=require_rule))

    def on_create(self, request: Request) -> Request:
        """Return ``request`` as it is to be stored: auto-approved when the policy says so,
        otherwise unchanged. Raises nothing."""
        if self.policy is None:
            return request
        return self.policy.auto_approve(request)

    def may_decide(self, request: Request, actor: str) -> bool:
        """True when ``actor`` may approve or deny ``request`` as far as identity and policy go
        (whether it is still pending and unexpired is the request's own business)."""
        if same_identity(actor, request.requester):
            return False
        return self.policy is None or self.policy.may_approve(request, actor)

    def check_decision(self, request: Request, actor: str) -> None:
        """Raise HTTPProblem 403 when the policy does not let ``actor`` decide ``request``:
        ``not-approver`` (with ``rule``), or ``no-rule`` when no rule covers the profile and the
        policy requires one.

        Returns quietly for the requester: the request's own transition refuses a
        self-decision with a ValidationError naming ``approver``.
        """
        if self.may_decide(request, actor) or same_identity(actor, request.requester):
            return
        assert self.policy is not None
        rule = self.policy.rule_for(request.profile)
        if rule is None:
            raise HTTPProblem(
                403,
                "no-rule",
                "No approval rule for this profile",
                f"no rule of the approval policy covers profile {request.profile!r}, and this app "
                f"requires one: nobody may decide request {request.id}",
                request_id=request.id,
                profile=request.profile,
            )
        raise HTTPProblem(
            403,
            "not-approver",
            "Not an approver of this request",
            f"{actor} is not an approver under rule {rule.name!r} (profile {request.profile!r}), "
            f"so may not decide request {request.id}",
            request_id=request.id,
            rule=rule.name,
        )


def _load_policy(policy: object, setting: str, *, require_rule: bool) -> ApprovalPolicy:
    from approvals.policy import ApprovalPolicy

    if isinstance(policy, ApprovalPolicy):
        if require_rule and not policy.require_rule:
            return dataclasses.replace(policy, require_rule=True)
        return policy
    if isinstance(policy, (str, os.PathLike)):
        try:
            return ApprovalPolicy.from_file(os.fspath(policy), require_rule=require_rule)
        except ValidationError as exc:
            raise ValidationError(f"{setting}: {exc}", field=exc.field) from exc
    raise ValidationError(
        f"{setting} must be a path to a policy file or an ApprovalPolicy, "
        f"not {type(policy).__name__}",
        field=setting,
    )
