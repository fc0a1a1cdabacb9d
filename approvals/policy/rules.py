"""The rules of an approval policy: who approves which profiles, and when a request approves itself.

Frozen values that check themselves on construction (a ValidationError whose message starts with
the key it is about, e.g. ``hours.end: ...``) and decide one question each. Pure Python.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from approvals.duration_text import format_duration
from approvals.errors import ValidationError
from approvals.identity import same_identity
from approvals.request import MAX_DURATION, Request

__all__ = [
    "WEEKDAYS",
    "ApprovalRule",
    "AutoApprove",
    "TimeWindow",
    "check_unique_names",
    "problem",
    "within",
]

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
"""Day names a time window accepts (in any case), in :meth:`datetime.weekday` order."""


def problem(key: str | None, message: str) -> ValidationError:
    """A ValidationError about ``key`` (a dotted key, or None for the whole value)."""
    return ValidationError(f"{key}: {message}" if key else message, field=key)


def within(prefix: str, error: ValidationError) -> ValidationError:
    """``error`` raised by a value found under the key ``prefix``, re-keyed to its full path."""
    if error.field:
        return ValidationError(f"{prefix}.{error}", field=f"{prefix}.{error.field}")
    return ValidationError(f"{prefix}: {error}", field=prefix)


def _names(key: str, values: object) -> tuple[str, ...]:
    """``values`` as a tuple of non-empty strings (a lone string is refused, not split)."""
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise problem(key, "must be a list of names")
    names = tuple(values)
    for index, name in enumerate(names):
        if not isinstance(name, str) or not name:
            raise problem(f"{key}[{index}]", "must be a non-empty string")
    return names


@dataclass(frozen=True, kw_only=True)
class TimeWindow:
    """When a request may approve itself: on ``days``, between ``start`` and ``end``.

    ``days`` are weekday names (empty = every day), stored in lower case; ``start``/``end`` are
    both set or both None, and the window is [start, end). ``timezone`` is where the clock is
    read; None reads it in the zone of the time asked about (UTC for a stored request).
    """

    days: frozenset[str] = frozenset()
    start: dt.time | None = None
    end: dt.time | None = None
    timezone: dt.tzinfo | None = None

    def __post_init__(self) -> None:
        days = _names("days", self.days)
        for day in sorted(days):  # a set has no order: the first unknown name alphabetically
            if day.lower() not in WEEKDAYS:
                raise problem("days", f"{day!r} is not a weekday ({', '.join(WEEKDAYS)})")
        object.__setattr__(self, "days", frozenset(day.lower() for day in days))
        for key in ("start", "end"):
            value = getattr(self, key)
            if value is not None and (not isinstance(value, dt.time) or value.tzinfo is not None):
                raise problem(f"hours.{key}", "must be a time of day without a zone")
        if (self.start is None) != (self.end is None):
            missing = "start" if self.start is None else "end"
            raise problem(f"hours.{missing}", "hours need both start and end")
        if self.start is not None and self.end is not None and self.start >= self.end:
            raise problem(
                "hours.end",
                f"end {self.end:%H:%M} must be after start {self.start:%H:%M} "
                "(the window is [start, end) within one day)",
            )
        if self.timezone is not None and not isinstance(self.timezone, dt.tzinfo):
            raise problem("timezone", "must be a time zone")
        if not self.days and self.start is None:
            raise problem(None, "needs days or hours (an empty window would allow any time)")

    def contains(self, moment: dt.datetime) -> bool:
        """True when ``moment`` (timezone-aware), read in the window's zone, is inside it."""
        local = moment.astimezone(self.timezone) if self.timezone is not None else moment
        if self.days and WEEKDAYS[local.weekday()] not in self.days:
            return False
        if self.start is not None and self.end is not None:
            return self.start <= local.time() < self.end
        return True


@dataclass(frozen=True, kw_only=True)
class AutoApprove:
    """When a request of a rule's profiles approves itself: every condition set here holds.

    ``users`` are the requesters it applies to (empty = anyone, compared with
    :func:`~approvals.request.same_identity`); ``max_duration`` caps the requested duration
    (None = no cap; a zero cap is stored as None); ``time`` limits when the request was created.
    """

    users: tuple[str, ...] = ()
    max_duration: dt.timedelta | None = None
    time: TimeWindow | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "users", _names("users", self.users))
        cap = self.max_duration
        if cap is not None:
            if not isinstance(cap, dt.timedelta):
                raise problem("max_duration", "must be a duration")
            if cap < dt.timedelta(0) or cap > MAX_DURATION:
                shown = f"-{-cap}" if cap < dt.timedelta(0) else str(cap)
                raise problem(
                    "max_duration",
                    f"must be between 0 and {format_duration(MAX_DURATION)}, got {shown}",
                )
            if not cap:
                object.__setattr__(self, "max_duration", None)
        if self.time is not None and not isinstance(self.time, TimeWindow):
            raise problem("time", "must be a TimeWindow")
        if not self.users and self.max_duration is None and self.time is None:
            raise problem(
                None,
                "needs at least one condition: users, max_duration or time "
                "(an empty auto_approve would approve every request)",
            )

    def holds(self, request: Request) -> bool:
        """True when every condition holds for ``request`` (its status is not looked at)."""
        if self.users and not any(same_identity(request.requester, u) for u in self.users):
            return False
        if self.max_duration is not None and request.duration > self.max_duration:
            return False
        return self.time is None or self.time.contains(request.created_at)


@dataclass(frozen=True, kw_only=True)
class ApprovalRule:
    """Who may approve requests for ``profiles`` (empty = every profile): ``approvers``.

    ``auto_approve``, when set, lists the conditions under which a new request of these
    profiles is approved on creation without an approver.
    """

    name: str
    profiles: tuple[str, ...] = field(default=())
    approvers: tuple[str, ...]
    auto_approve: AutoApprove | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise problem("name", "every rule needs a non-empty name")
        object.__setattr__(self, "profiles", _names("profiles", self.profiles))
        object.__setattr__(self, "approvers", _names("approvers", self.approvers))
        if not self.approvers:
            raise problem("approvers", "needs at least one approver")
        if self.auto_approve is not None and not isinstance(self.auto_approve, AutoApprove):
            raise problem("auto_approve", "must be an AutoApprove")

    def applies_to(self, profile: str) -> bool:
        """True when the rule covers ``profile``: it is listed (exact spelling) or none are."""
        return not self.profiles or profile in self.profiles

    def is_approver(self, name: str) -> bool:
        """True when ``name`` is one of the approvers (compared with ``same_identity``)."""
        return any(same_identity(name, approver) for approver in self.approvers)


def check_unique_names(rules: Iterable[ApprovalRule]) -> None:
    """Raise ValidationError (field ``name``) when two of ``rules`` have the same name."""
    first: dict[str, int] = {}
    for number, rule in enumerate(rules, 1):
        earlier = first.setdefault(rule.name, number)
        if earlier != number:
            raise ValidationError(
                f"rule {rule.name!r}: name: rule #{number} has the name of rule #{earlier} "
                "(rule names must be unique)",
                field="name",
            )
