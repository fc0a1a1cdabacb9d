"""ApprovalPolicy: the Go service's approval policy, the same file and the same decisions."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from approvals.errors import ValidationError
from approvals.identity import same_identity
from approvals.policy.loader import load_rules
from approvals.policy.rules import ApprovalRule, check_unique_names, problem
from approvals.policy.ssm import read_parameter
from approvals.request import AUTO_APPROVED_COMMENT, Request, RequestStatus

__all__ = ["ApprovalPolicy"]


@dataclass(frozen=True)
class ApprovalPolicy:
    """An ordered list of approval rules; the first rule covering a profile decides for it.

    ``require_rule=False`` (the Go default) lets anyone but the requester approve a profile no
    rule covers; ``require_rule=True`` lets nobody approve it.
    """

    rules: tuple[ApprovalRule, ...]
    require_rule: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.rules, ApprovalRule) or not isinstance(self.rules, Iterable):
            raise problem("rules", "must be a list of ApprovalRule")
        rules = tuple(self.rules)
        if not rules:
            raise problem("rules", "the policy needs at least one rule")
        for index, rule in enumerate(rules):
            if not isinstance(rule, ApprovalRule):
                raise problem(f"rules[{index}]", "must be an ApprovalRule")
        check_unique_names(rules)
        object.__setattr__(self, "rules", rules)
        object.__setattr__(self, "require_rule", bool(self.require_rule))

    @classmethod
    def from_yaml(cls, text: str, *, require_rule: bool = False) -> ApprovalPolicy:
        """Parse and validate the policy document ``text``.

        Raises ValidationError naming the rule, the dotted key and the line of the first problem.
        """
        return cls(load_rules(text), require_rule=require_rule)

    @classmethod
    def from_file(
        cls, path: str | os.PathLike[str], *, require_rule: bool = False
    ) -> ApprovalPolicy:
        """Read the UTF-8 policy file at ``path``; ValidationError (field ``path``) if unreadable.

        Problems in the document are reported as :meth:`from_yaml` does, after the path.
        """
        source = os.fspath(path)
        try:
            text = Path(source).read_bytes().decode("utf-8")
        except OSError as exc:
            raise ValidationError(
                f"cannot read the policy file {source!r}: {exc.strerror or exc}", field="path"
            ) from exc
        except UnicodeDecodeError as exc:
            raise ValidationError(
                f"the policy file {source!r} is not UTF-8 text", field="path"
            ) from exc
        return cls(load_rules(text, source=source), require_rule=require_rule)

    @classmethod
    def from_ssm(
        cls,
        name: str,
        *,
        region: str | None = None,
        client: Any = None,
        require_rule: bool = False,
    ) -> ApprovalPolicy:
        """Read the policy from the SSM parameter ``name`` (decrypted; needs boto3).

        ``client`` is a boto3 SSM client (default: one for ``region``). A missing parameter is a
        ValidationError (field ``name``); an AWS failure a StoreError; a bad document as
        :meth:`from_yaml`.
        """
        text = read_parameter(name, region=region, client=client)
        return cls(load_rules(text, source=f"SSM parameter {name!r}"), require_rule=require_rule)

    def rule_for(self, profile: str) -> ApprovalRule | None:
        """The first rule whose profiles include ``profile`` (exact spelling) or are empty."""
        return next((rule for rule in self.rules if rule.applies_to(profile)), None)

    def may_approve(self, request: Request, approver: str) -> bool:
        """True when ``approver`` may approve or deny ``request`` under this policy.

        Never the requester (compared with ``same_identity``) nor an empty name; one of the
        approvers of the rule for the request's profile; anyone else when no rule applies,
        unless ``require_rule``.
        """
        if not isinstance(approver, str) or not approver:
            return False
        if same_identity(approver, request.requester):
            return False
        rule = self.rule_for(request.profile)
        if rule is None:
            return not self.require_rule
        return rule.is_approver(approver)

    def auto_approve(self, request: Request) -> Request:
        """``request`` approved by policy when its rule's auto_approve conditions all hold.

        The approved copy is what the Go service stores: status approved, approver the
        requester, comment ``auto-approved by policy``, ``updated_at`` unchanged. A request that
        is not pending, has no rule, or fails a condition is returned unchanged.
        """
        if request.status is not RequestStatus.PENDING:
            return request
        rule = self.rule_for(request.profile)
        if rule is None or rule.auto_approve is None or not rule.auto_approve.holds(request):
            return request
        return dataclasses.replace(
            request,
            status=RequestStatus.APPROVED,
            approver=request.requester,
            approver_comment=AUTO_APPROVED_COMMENT,
        )
