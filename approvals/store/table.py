"""DynamoDBTable: what a DynamoDBStore offers code that talks to its table directly.

Bulk paths ask a store for it (``store.dynamodb_table()``) instead of checking its class, so a
wrapper that forwards the method (NotifyingStore) keeps the fast path.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import AttributeDeserializationError, PynamoDBException

from approvals.errors import ApprovalsError, StoreError, ValidationError
from approvals.model import RequestModel
from approvals.observe import OperationObserver
from approvals.request import Request
from approvals.store.items import ItemConverter
from approvals.store.translate import translate

__all__ = ["DynamoDBTable", "item_id"]

# What a malformed stored value raises while it is decoded.
_MALFORMED = (ValueError, TypeError, KeyError, AttributeError, AttributeDeserializationError)


@dataclass(frozen=True)
class DynamoDBTable:
    """One table as a DynamoDBStore reaches it: the bound model, its client and its items.

    Usage::

        table = store.dynamodb_table()
        with table.operation("backfill"):
            page = table.client.scan(TableName=table.table_name, Limit=100)
        requests = [table.to_request(item) for item in page["Items"]]
    """

    model: type[RequestModel]
    """The RequestModel subclass bound to the table (plain PynamoDB)."""
    region: str | None = None
    """The region the store was given (None: the AWS chain's default)."""
    table_name: str = field(init=False)
    """The table's name."""
    converter: ItemConverter = field(init=False, repr=False, compare=False)
    """The conversion between Requests and raw items, and the write parameters built from it."""
    _observer: OperationObserver = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        table_name: str = self.model.Meta.table_name
        object.__setattr__(self, "table_name", table_name)
        object.__setattr__(self, "converter", ItemConverter(self.model))
        object.__setattr__(self, "_observer", OperationObserver(table_name, region=self.region))

    @property
    def host(self) -> str | None:
        """The endpoint URL the model talks to (None: AWS's own for the region)."""
        host: str | None = getattr(self.model.Meta, "host", None)
        return host

    @property
    def client(self) -> Any:
        """The botocore DynamoDB client of the model (its retries, timeouts and pool).

        Created on first use; call it inside :meth:`operation` so a failure to create it is a
        StoreError too.
        """
        return self.model._get_connection().connection.client

    @contextmanager
    def operation(self, name: str, request_id: str | None = None) -> Iterator[None]:
        """The context every store operation runs in: ``with table.operation("backfill"): ...``.

        Inside it, a botocore or PynamoDB exception leaves as the library's StoreError family
        (``__cause__`` chained), a ValueError from decoding a stored value as StoreError, and
        the calls are logged as one operation ``name`` (nested operations join the outer one).
        """
        with self._observer.observe(name, request_id) as outermost:
            try:
                if outermost:
                    self._observer.instrument(self.client)
                yield
            except ApprovalsError:
                raise
            except (ClientError, BotoCoreError, PynamoDBException) as exc:
                raise translate(
                    exc,
                    operation=name,
                    table=self.table_name,
                    region=self.region,
                    request_id=request_id,
                ) from exc
            except (ValueError, AttributeDeserializationError) as exc:
                raise StoreError(
                    f"{name}: a stored item in table {self.table_name!r} is malformed ({exc})",
                    request_id=request_id,
                    retryable=False,
                ) from exc

    def to_item(self, request: Request) -> dict[str, Any]:
        """Return the raw DynamoDB item of ``request``: the attribute values create writes.

        Does not validate ``request``; ValidationError when a value cannot be written (a naive
        datetime, a required field that is None).
        """
        try:
            return self.converter.to_item(request)
        except (ValueError, TypeError, AttributeError) as exc:
            raise ValidationError(
                f"the request cannot be written as an item ({exc})",
                request_id=getattr(request, "id", None),
            ) from exc

    def to_request(self, item: Mapping[str, Any]) -> Request:
        """Return the Request a raw DynamoDB item holds, decoded as get decodes it.

        StoreError (not retryable, with the item's id) when the item is not a valid request.
        """
        try:
            return self.converter.to_request(item)
        except _MALFORMED as exc:
            raise self._malformed(item, exc) from exc

    def _malformed(self, item: Mapping[str, Any], exc: Exception) -> StoreError:
        return StoreError(
            f"a stored item in table {self.table_name!r} is malformed ({exc})",
            request_id=item_id(item),
            retryable=False,
        )


def item_id(item: object) -> str | None:
    """The id string of a raw item (``{"id": {"S": ...}}``), None when it has none."""
    typed = item.get("id") if isinstance(item, Mapping) else None
    request_id = typed.get("S") if isinstance(typed, Mapping) else None
    return request_id if isinstance(request_id, str) else None
