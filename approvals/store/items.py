"""A Request to and from raw DynamoDB items, and the write parameters DynamoDBStore sends.

Every value goes through the bound model's own attributes (``serialize``, ``deserialize``,
``attr_name``), so the items and expressions are the ones PynamoDB would build, without a model
instance per item (tests/test_store_wire.py holds them to PynamoDB's own serialisation).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from pynamodb.attributes import Attribute
from pynamodb.constants import ALL_NEW, ALL_OLD, NULL
from pynamodb.exceptions import AttributeNullError

from approvals.durations import StoredDuration
from approvals.errors import StoreError
from approvals.model import RequestModel
from approvals.request import IMMUTABLE_FIELDS, Request, RequestStatus
from approvals.times import StoredTime, parse_time

__all__ = ["REQUIRED", "UPDATED_FIELDS", "ItemConverter"]

REQUIRED = ("id", "status", "updated_at", *IMMUTABLE_FIELDS)
"""The attributes every stored request has."""
UPDATED_FIELDS = ("status", "approver", "approver_comment", "updated_at")
"""The attributes an update sets: the decision and the new lock token."""

# A value of an update: from the request written and the new token.
_Source = Callable[[Request, datetime], Any]


def _item_fields(request: Request) -> dict[str, Any]:
    """Return the model attribute values an item of ``request`` holds (``ttl`` from expires_at)."""
    return {
        "id": request.id,
        "requester": request.requester,
        "profile": request.profile,
        "justification": request.justification,
        "duration": request.duration,
        "status": request.status.value,
        "created_at": request.created_at,
        "updated_at": request.updated_at,
        "expires_at": request.expires_at,
        "ttl": request.expires_at,
        "approver": request.approver,
        "approver_comment": request.approver_comment,
    }


def _request_from_values(values: Mapping[str, Any]) -> Request:
    """Return the Request of an item's deserialized attribute values (by attribute name).

    Raises StoreError (with the item's id) when a required field is missing or the status is
    unknown.
    """
    missing = [name for name in REQUIRED if values.get(name) is None]
    if missing:
        raise StoreError(
            f"stored item lacks {', '.join(missing)}",
            request_id=values.get("id"),
            retryable=False,
        )
    try:
        status = RequestStatus(values["status"])
    except ValueError:
        raise StoreError(
            f"stored item has an unknown status {values['status']!r}",
            request_id=values["id"],
            retryable=False,
        ) from None
    return Request(
        id=values["id"],
        requester=values["requester"],
        profile=values["profile"],
        justification=values["justification"],
        duration=values["duration"],
        status=status,
        created_at=values["created_at"],
        updated_at=values["updated_at"],
        expires_at=values["expires_at"],
        approver=values.get("approver") or "",
        approver_comment=values.get("approver_comment") or "",
    )


def _plain_request(item: Mapping[str, Any]) -> Request:
    """The Request of a well-formed item, read directly: exactly what the attribute-by-attribute
    read returns for it. KeyError, TypeError or ValueError for anything else (a missing or NULL
    attribute, another type, a malformed value, an unknown status)."""
    if "ttl" in item:
        int(item["ttl"]["N"])  # a Request holds no ttl, but a malformed one is refused
    return Request(
        id=item["id"]["S"],
        requester=item["requester"]["S"],
        profile=item["profile"]["S"],
        justification=item["justification"]["S"],
        duration=StoredDuration.from_nanoseconds(int(item["duration"]["N"])),
        status=RequestStatus(item["status"]["S"]),
        created_at=parse_time(item["created_at"]["S"]),
        updated_at=parse_time(item["updated_at"]["S"]),
        expires_at=parse_time(item["expires_at"]["S"]),
        approver=item["approver"]["S"] if "approver" in item else "",
        approver_comment=item["approver_comment"]["S"] if "approver_comment" in item else "",
    )


class ItemConverter:
    """Converts Requests to and from the raw items of one bound model.

    Raises what the attributes' serializers and deserializers raise (ValueError,
    AttributeDeserializationError) and StoreError for an item that is not a request.
    """

    def __init__(self, model: type[RequestModel]) -> None:
        attributes = model.get_attributes()
        self._key = model.id
        # Reads go in PynamoDB's attribute order, writes put the key first as PynamoDB does.
        # Every attribute is stored under its own name (RequestModel declares no attr_name):
        # well-formed items take the direct read of _plain_request.
        self._plain_names = all(a.attr_name == name for name, a in attributes.items())
        self._readers = tuple(
            (name, attribute.attr_name, attribute.get_value, attribute.deserialize)
            for name, attribute in attributes.items()
        )
        writers = sorted(attributes.items(), key=lambda pair: not pair[1].is_hash_key)
        self._writers = tuple(
            (name, attribute.attr_name, attribute.attr_type, attribute.serialize, attribute.null)
            for name, attribute in writers
        )
        self._times = (model.created_at, model.updated_at, model.expires_at)
        self._duration = model.duration
        self._create_names = {"#0": model.id.attr_name}
        self._update_expressions(model)

    # -- items ---------------------------------------------------------------------------

    def to_item(self, request: Request) -> dict[str, Any]:
        """Return ``request`` as a raw item (what PynamoDB's ``serialize()`` of it returns).

        Raises AttributeNullError (a ValueError) for a required field that is None.
        """
        fields = _item_fields(request)
        item: dict[str, Any] = {}
        for name, attr_name, attr_type, serialize, nullable in self._writers:
            value = fields[name]
            serialized = None if value is None else serialize(value)
            if serialized is None:
                if not nullable:
                    raise AttributeNullError(name)
                continue
            item[attr_name] = {attr_type: serialized}
        return item

    def to_request(self, item: Mapping[str, Any]) -> Request:
        """Return the Request a raw item holds.

        Raises ValueError or AttributeDeserializationError for a malformed value, StoreError for
        a missing field or an unknown status.
        """
        if self._plain_names:
            try:
                return _plain_request(item)
            except (KeyError, TypeError, ValueError):
                pass  # not a plain item: the attribute-by-attribute read says what is wrong
        return self._checked_request(item)

    def _checked_request(self, item: Mapping[str, Any]) -> Request:
        values: dict[str, Any] = {}
        for name, attr_name, get_value, deserialize in self._readers:
            typed = item.get(attr_name)
            if typed and NULL not in typed:  # what PynamoDB's Model.from_raw_data skips too
                values[name] = deserialize(get_value(typed))
        return _request_from_values(values)

    def written(self, request: Request, item: Mapping[str, Any]) -> Request:
        """Return what reading back ``item``, just made from ``request`` by :meth:`to_item`,
        returns, without parsing what was just formatted.

        Only the values that read back as another type are rebuilt: the times as StoredTime
        tagged with the string written, the duration as the stored nanoseconds.
        """
        duration = self._duration
        created_at, updated_at, expires_at = self._times
        return Request(
            id=request.id,
            requester=request.requester,
            profile=request.profile,
            justification=request.justification,
            duration=duration.deserialize(item[duration.attr_name][duration.attr_type]),
            status=request.status,
            created_at=_read_back(created_at, request.created_at, item),
            updated_at=_read_back(updated_at, request.updated_at, item),
            expires_at=_read_back(expires_at, request.expires_at, item),
            approver=request.approver,
            approver_comment=request.approver_comment,
        )

    # -- write parameters ----------------------------------------------------------------

    def put_item_kwargs(self, table_name: str, request: Request) -> dict[str, Any]:
        """Return the PutItem parameters that store ``request`` unless its id exists."""
        return {
            "TableName": table_name,
            "Item": self.to_item(request),
            "ConditionExpression": "attribute_not_exists (#0)",
            "ReturnValuesOnConditionCheckFailure": ALL_OLD,
            "ExpressionAttributeNames": dict(self._create_names),
        }

    def update_item_kwargs(
        self, table_name: str, request: Request, token: datetime
    ) -> dict[str, Any]:
        """Return the UpdateItem parameters that write ``request``'s decision and ``token``.

        The condition is ``RequestModel.lock_condition`` for ``request`` as read, expecting a
        pending item; the actions set :data:`UPDATED_FIELDS`. Answers ALL_NEW, or ALL_OLD when
        the condition fails.
        """
        return {
            "TableName": table_name,
            "Key": {self._key.attr_name: {self._key.attr_type: self._key.serialize(request.id)}},
            "ConditionExpression": self._lock_condition,
            "ReturnValuesOnConditionCheckFailure": ALL_OLD,
            "UpdateExpression": self._update_expression,
            "ExpressionAttributeNames": dict(self._update_names),
            "ExpressionAttributeValues": {
                placeholder: {attr_type: serialize(source(request, token))}
                for placeholder, attr_type, serialize, source in self._update_values
            },
            "ReturnValues": ALL_NEW,
        }

    def _update_expressions(self, model: type[RequestModel]) -> None:
        # Placeholders numbered as PynamoDB numbers them: names by first use, values in order.
        attributes = model.get_attributes()
        names: dict[str, str] = {}
        values: list[tuple[str, str, Callable[[Any], Any], _Source]] = []

        def compare_or_set(template: str, name: str, source: _Source) -> str:
            attribute = attributes[name]
            placeholder = names.setdefault(attribute.attr_name, f"#{len(names)}")
            value = f":{len(values)}"
            values.append((value, attribute.attr_type, attribute.serialize, source))
            return template.format(placeholder, value)

        self._lock_condition = " AND ".join(
            compare_or_set("({} = {})", name, _compared(name)) for name in model.LOCK_FIELDS
        )
        self._update_expression = "SET " + ", ".join(
            compare_or_set("{} = {}", name, _set(name)) for name in UPDATED_FIELDS
        )
        self._update_names = {placeholder: name for name, placeholder in names.items()}
        self._update_values = tuple(values)


def _compared(name: str) -> _Source:
    """The value the lock condition compares attribute ``name`` with."""
    if name == "status":
        return lambda request, token: RequestStatus.PENDING.value
    return lambda request, token: getattr(request, name)


def _set(name: str) -> _Source:
    """The value an update sets attribute ``name`` to."""
    if name == "updated_at":
        return lambda request, token: token
    if name == "status":
        return lambda request, token: request.status.value
    return lambda request, token: getattr(request, name)


def _read_back(
    attribute: Attribute[datetime], value: datetime, item: Mapping[str, Any]
) -> datetime:
    wire: str = item[attribute.attr_name][attribute.attr_type]
    if isinstance(value, StoredTime) and value.wire is not None:
        parsed: datetime = attribute.deserialize(wire)  # any stored form: parse it as a get
        return parsed
    # Written canonically (UTC, exact microseconds), which parses back to this very value.
    return StoredTime.from_wire(wire, value.astimezone(timezone.utc))
