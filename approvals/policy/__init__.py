"""The approval policy: who may approve which profiles, and which requests approve themselves.

The same file format and the same decisions as the Go service's approval policy (see README,
"Approval policy"). Pure Python apart from :meth:`ApprovalPolicy.from_ssm`, which imports boto3
when called.

Usage::

    policy = ApprovalPolicy.from_file("approval-policy.yaml")
    request = policy.auto_approve(Request.new(...))   # approved by policy, or unchanged
    if policy.may_approve(request, "bob"):
        store.update(request.approve("bob"))
"""

from __future__ import annotations

from approvals.policy.approval_policy import ApprovalPolicy
from approvals.policy.loader import SUPPORTED_VERSIONS
from approvals.policy.rules import WEEKDAYS, ApprovalRule, AutoApprove, TimeWindow

__all__ = [
    "SUPPORTED_VERSIONS",
    "WEEKDAYS",
    "ApprovalPolicy",
    "ApprovalRule",
    "AutoApprove",
    "TimeWindow",
]
