"""RequestModel: the PynamoDB model of the Go service's ``sentinel-requests`` table.

It declares the attributes with the Go service's names and types, the three GSIs, the TTL field
and the optimistic-lock condition. It raises PynamoDB's own exceptions; only the store turns them
into the library's errors.

Apps that want PynamoDB directly can use it as any model::

    Bound = bind_model("sentinel-requests", region="eu-west-1")
    for item in Bound.status_index.query("pending", scan_index_forward=False):
        print(item.id, item.requester)
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar, Final

from pynamodb.attributes import Attribute, TTLAttribute, UnicodeAttribute
from pynamodb.constants import PAY_PER_REQUEST_BILLING_MODE
from pynamodb.expressions.condition import Condition
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from approvals.attributes import GoDurationAttribute, RFC3339TimeAttribute
from approvals.request import IMMUTABLE_FIELDS

__all__ = [
    "DEFAULT_TABLE_NAME",
    "INDEX_KEYS",
    "ProfileIndex",
    "RequestModel",
    "RequesterIndex",
    "StatusIndex",
    "all_of",
    "bind_model",
]

DEFAULT_TABLE_NAME = "sentinel-requests"
"""The Go service's table name."""


class _IndexMeta:
    projection = AllProjection()
    attributes: ClassVar[dict[str, Attribute[Any]]]  # filled in by PynamoDB


class _ByCreatedAt(GlobalSecondaryIndex["RequestModel"]):  # type: ignore[no-untyped-call]
    """A GSI of the table: one partition attribute, sorted by ``created_at``, all projected."""

    created_at = RFC3339TimeAttribute(range_key=True)


class RequesterIndex(_ByCreatedAt):  # type: ignore[no-untyped-call]
    """``gsi-requester``: a requester's requests by ``created_at``."""

    class Meta(_IndexMeta):
        index_name = "gsi-requester"

    requester = UnicodeAttribute(hash_key=True)


class StatusIndex(_ByCreatedAt):  # type: ignore[no-untyped-call]
    """``gsi-status``: the requests in one status by ``created_at``."""

    class Meta(_IndexMeta):
        index_name = "gsi-status"

    status = UnicodeAttribute(hash_key=True)


class ProfileIndex(_ByCreatedAt):  # type: ignore[no-untyped-call]
    """``gsi-profile``: the requests for one profile by ``created_at``."""

    class Meta(_IndexMeta):
        index_name = "gsi-profile"

    profile = UnicodeAttribute(hash_key=True)


class RequestModel(Model):
    """One approval request item, attribute for attribute as the Go service stores it.

    Use :func:`bind_model` to get a subclass bound to a table, region and endpoint at run time.
    """

    class Meta:
        table_name = DEFAULT_TABLE_NAME
        billing_mode = PAY_PER_REQUEST_BILLING_MODE

    id = UnicodeAttribute(hash_key=True)
    requester = UnicodeAttribute()
    profile = UnicodeAttribute()
    justification = UnicodeAttribute()
    duration = GoDurationAttribute()
    status = UnicodeAttribute()
    created_at = RFC3339TimeAttribute()
    updated_at = RFC3339TimeAttribute()
    expires_at = RFC3339TimeAttribute()
    ttl = TTLAttribute(null=True)
    approver = UnicodeAttribute(null=True)
    approver_comment = UnicodeAttribute(null=True)

    requester_index = RequesterIndex()
    status_index = StatusIndex()
    profile_index = ProfileIndex()

    LOCK_FIELDS: ClassVar[tuple[str, ...]] = ("updated_at", "status", *IMMUTABLE_FIELDS)
    """The attributes the update condition compares, in its order: the lock token, the status
    and every immutable field."""

    @classmethod
    def lock_condition(cls, item: RequestModel, *, expected_status: str) -> Condition:
        """Return the update condition for ``item`` as the caller read it.

        The stored item must exist with the same ``updated_at`` (the lock token), be in
        ``expected_status``, and have every immutable field equal to ``item``'s. Comparing the
        stored representations makes an item the Go service wrote match exactly.
        """
        return all_of(
            *(
                getattr(cls, name) == (expected_status if name == "status" else getattr(item, name))
                for name in cls.LOCK_FIELDS
            )
        )


INDEX_KEYS: Final[Mapping[str, tuple[str, str]]] = MappingProxyType(
    {
        index.Meta.index_name: (
            next(a.attr_name for a in index.Meta.attributes.values() if a.is_hash_key),
            next(a.attr_name for a in index.Meta.attributes.values() if a.is_range_key),
        )
        for index in (RequesterIndex, StatusIndex, ProfileIndex)
    }
)
"""Each GSI's name -> (partition key, sort key), as declared above; every GSI projects ALL."""


class _AllOf(Condition):
    """Conditions joined by AND at one level: ``a AND b AND c``.

    PynamoDB's ``&`` nests a parenthesis per term; some DynamoDB-compatible servers (dynalite)
    parse nested expressions in exponential time, so the lock condition stays flat.
    """

    def __init__(self, *conditions: Condition) -> None:
        super().__init__("AND", *conditions)
        self.format_string = " AND ".join(f"({{{i}}})" for i in range(len(conditions)))


def all_of(*conditions: Condition) -> Condition:
    """Return a condition that holds when every one of ``conditions`` holds."""
    if not conditions:
        raise ValueError("all_of needs at least one condition")
    return conditions[0] if len(conditions) == 1 else _AllOf(*conditions)


def bind_model(
    table_name: str = DEFAULT_TABLE_NAME,
    *,
    region: str | None = None,
    host: str | None = None,
    **settings: Any,
) -> type[RequestModel]:
    """Return a RequestModel subclass bound to ``table_name`` at ``region``/``host``.

    ``settings`` are further PynamoDB ``Meta`` options (``connect_timeout_seconds``,
    ``read_timeout_seconds``, ``max_retry_attempts``, ``max_pool_connections``, ...). Each call
    returns a new class with its own connection, so stores on different tables coexist.
    """
    meta_attrs: dict[str, Any] = {
        "table_name": table_name,
        "billing_mode": PAY_PER_REQUEST_BILLING_MODE,
        **settings,
    }
    if region is not None:
        meta_attrs["region"] = region
    if host is not None:
        meta_attrs["host"] = host
    namespace = {
        "Meta": type("Meta", (), meta_attrs),
        "__module__": __name__,
        "_connection": None,
    }
    bound: type[RequestModel] = type(f"RequestModel_{table_name}", (RequestModel,), namespace)
    return bound
