"""Builders shared by the approval policy tests."""

from __future__ import annotations

import textwrap
from datetime import datetime, timezone
from typing import Any

from approvals import ApprovalPolicy
from tests.helpers import FIXTURES

EXAMPLE = FIXTURES / "policies" / "sentinel-example.yaml"
"""The policy of the Go service's documentation, as an operator writes it."""


def utc(text: str) -> datetime:
    """An instant written as ISO 8601 in UTC (``2026-11-30T08:00``)."""
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def policy(text: str, **options: Any) -> ApprovalPolicy:
    """The policy of an indented YAML text (``options`` as for ApprovalPolicy.from_yaml)."""
    return ApprovalPolicy.from_yaml(textwrap.dedent(text), **options)
