"""Small builders shared by the tests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from approvals import Request

NOW = datetime(2026, 11, 28, 12, 0, 0, 123456, tzinfo=timezone.utc)


def new_request(
    requester: str = "alice",
    profile: str = "production",
    *,
    now: datetime | None = None,
    **overrides: Any,
) -> Request:
    """A valid pending request created at ``now`` (default: the real current time)."""
    fields: dict[str, Any] = {
        "justification": "Deploy the hotfix for INC-4821",
        "duration": timedelta(hours=1),
    }
    fields.update(overrides)
    return Request.new(
        requester=requester, profile=profile, now=now or datetime.now(timezone.utc), **fields
    )
