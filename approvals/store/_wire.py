"""DynamoDBStore's hot paths: a Request to and from the wire format of one bound RequestModel.

Why this exists: going through PynamoDB's Model layer cost about a quarter of an update's client
CPU, a fifth of a create's and a tenth of a get's (``python -m benchmarks.run --parts overhead``):
a model instance per item, and the 8-term lock condition and 4 SET actions rebuilt and
re-serialized on every update. Most of that is avoidable without leaving PynamoDB's expression
API or the model's attributes:

* The *structure* of an update (expression text, attribute names, which value goes where)
  depends only on the bound model, never on the request. :class:`RequestCodec` builds it ONCE,
  with ``RequestModel.lock_condition`` and ``Attribute.set`` exactly as the store did per call,
  serialized with a distinct marker value in each slot; the markers tell which placeholder holds
  which slot, so nothing assumes PynamoDB's placeholder numbering. Each call then serializes only
  its own values, with the attribute that compares or sets them (the ``serialize`` PynamoDB
  would call), so a :class:`~approvals.attributes.StoredTime` still compares as the exact string
  the Go service stored and a :class:`~approvals.attributes.StoredDuration` as its exact
  nanoseconds. The structure is value-independent because the store only builds updates for
  validated requests: every value is a string, an aware datetime or a timedelta, and none
  serializes to None (which would turn a SET into a REMOVE).
* An item is read straight into a Request with the attributes' own ``get_value``/``deserialize``,
  attribute by attribute in PynamoDB's order (so the same malformed value is reported first),
  then checked as ``DynamoDBStore.to_request`` always did.
* create knows what it stored: it returns the Request a get would, without parsing the item back.

tests/test_store_wire.py holds all three to the PynamoDB path they replace.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from pynamodb.attributes import Attribute, UnicodeAttribute
from pynamodb.constants import ALL_NEW, ALL_OLD, NULL
from pynamodb.exceptions import AttributeNullError
from pynamodb.expressions.update import Update

from approvals.attributes import (
    GoDurationAttribute,
    RFC3339TimeAttribute,
    StoredDuration,
    StoredTime,
)
from approvals.errors import StoreError
from approvals.model import RequestModel
from approvals.request import Request, RequestStatus

__all__ = ["IMMUTABLE", "REQUIRED", "RequestCodec", "item_fields", "request_from_values"]

IMMUTABLE = ("requester", "profile", "justification", "duration", "created_at", "expires_at")
REQUIRED = ("id", "status", "updated_at", *IMMUTABLE)
_PENDING = RequestStatus.PENDING.value
# The values an update compares or writes, in the order update_item_kwargs gathers them, and
# the model attribute each is compared with or written to.
_UPDATE_SLOTS = (
    ("updated_at", "updated_at"),  # the lock token the caller read
    *((name, name) for name in IMMUTABLE),
    ("expected_status", "status"),
    ("status", "status"),
    ("approver", "approver"),
    ("approver_comment", "approver_comment"),
    ("token", "updated_at"),  # the lock token this update writes
)
_MARKER_TIME = datetime(2000, 1, 1, tzinfo=timezone.utc)


def item_fields(request: Request) -> dict[str, Any]:
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


def request_from_values(values: Mapping[str, Any]) -> Request:
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


class RequestCodec:
    """Builds the DynamoDB calls of one bound model and reads their answers into Requests.

    Raises only what the attributes' serializers and deserializers raise (ValueError,
    AttributeDeserializationError) and StoreError for an item that is not a request.
    """

    def __init__(self, model: type[RequestModel]) -> None:
        attributes = model.get_attributes()
        self._key = model.id
        # Reads go in PynamoDB's attribute order, writes put the key first as PynamoDB does.
        self._readers = tuple(
            (name, attribute.attr_name, attribute.get_value, attribute.deserialize)
            for name, attribute in attributes.items()
        )
        writers = sorted(attributes.items(), key=lambda pair: not pair[1].is_hash_key)
        self._writers = tuple(
            (name, attribute.attr_name, attribute.attr_type, attribute.serialize, attribute.null)
            for name, attribute in writers
        )
        self._created_at = model.created_at
        self._updated_at = model.updated_at
        self._expires_at = model.expires_at
        self._duration = model.duration
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        self._create_condition = model.id.does_not_exist().serialize(names, values)
        self._create_names = {placeholder: name for name, placeholder in names.items()}
        self._update_template(model)

    # -- writes ------------------------------------------------------------------------

    def item(self, request: Request) -> dict[str, Any]:
        """Return ``request`` serialized as an item (what ``to_item(request).serialize()`` is).

        Raises AttributeNullError (a ValueError) for a required field that is None.
        """
        fields = item_fields(request)
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

    def put_item_kwargs(self, table_name: str, request: Request) -> dict[str, Any]:
        """Return the PutItem parameters that store ``request`` unless its id exists."""
        return {
            "TableName": table_name,
            "Item": self.item(request),
            "ConditionExpression": self._create_condition,
            "ReturnValuesOnConditionCheckFailure": ALL_OLD,
            "ExpressionAttributeNames": dict(self._create_names),
        }

    def update_item_kwargs(
        self, table_name: str, request: Request, token: datetime
    ) -> dict[str, Any]:
        """Return the UpdateItem parameters that write ``request``'s decision and ``token``.

        The condition holds when the stored item still has the ``updated_at`` and the immutable
        fields of ``request`` as stored, and is pending. Answers ALL_NEW, or ALL_OLD on failure.
        """
        slots = (
            request.updated_at,
            request.requester,
            request.profile,
            request.justification,
            request.duration,
            request.created_at,
            request.expires_at,
            _PENDING,
            request.status.value,
            request.approver,
            request.approver_comment,
            token,
        )
        return {
            "TableName": table_name,
            "Key": {self._key.attr_name: {self._key.attr_type: self._key.serialize(request.id)}},
            "ConditionExpression": self._lock_condition,
            "ReturnValuesOnConditionCheckFailure": ALL_OLD,
            "UpdateExpression": self._update_expression,
            "ExpressionAttributeNames": dict(self._update_names),
            "ExpressionAttributeValues": {
                placeholder: {attr_type: serialize(slots[slot])}
                for placeholder, slot, attr_type, serialize in self._update_values
            },
            "ReturnValues": ALL_NEW,
        }

    # -- reads ---------------------------------------------------------------------------

    def request(self, item: Mapping[str, Any]) -> Request:
        """Return the Request a raw DynamoDB item holds.

        Raises ValueError or AttributeDeserializationError for a malformed value, StoreError for
        a missing field or an unknown status.
        """
        values: dict[str, Any] = {}
        for name, attr_name, get_value, deserialize in self._readers:
            typed = item.get(attr_name)
            if typed and NULL not in typed:  # what PynamoDB's Model.from_raw_data skips too
                values[name] = deserialize(get_value(typed))
        return request_from_values(values)

    def written(self, request: Request, item: Mapping[str, Any]) -> Request:
        """Return what reading back ``item``, just written from ``request``, returns.

        Only the values that read back as another type are rebuilt: the times as StoredTime
        tagged with the string written, the duration as StoredDuration. Raises nothing for an
        item made by :meth:`item`.
        """
        duration = self._duration
        return Request(
            id=request.id,
            requester=request.requester,
            profile=request.profile,
            justification=request.justification,
            duration=duration.deserialize(item[duration.attr_name][duration.attr_type]),
            status=request.status,
            created_at=self._read_back(self._created_at, request.created_at, item),
            updated_at=self._read_back(self._updated_at, request.updated_at, item),
            expires_at=self._read_back(self._expires_at, request.expires_at, item),
            approver=request.approver,
            approver_comment=request.approver_comment,
        )

    @staticmethod
    def _read_back(
        attribute: Attribute[datetime], value: datetime, item: Mapping[str, Any]
    ) -> datetime:
        wire: str = item[attribute.attr_name][attribute.attr_type]
        if isinstance(value, StoredTime) and value.wire is not None:
            parsed: datetime = attribute.deserialize(wire)  # any stored form: parse it as a get
            return parsed
        # Written canonically (UTC, exact microseconds), which parses back to this very value.
        return StoredTime.from_wire(wire, value.astimezone(timezone.utc))

    # -- the update template -------------------------------------------------------------

    def _update_template(self, model: type[RequestModel]) -> None:
        # Serialize the real condition and actions once, each slot holding a marker that no
        # other slot serializes to; map every value placeholder back to its slot by its marker.
        attributes = model.get_attributes()
        slot_attributes = [attributes[attribute] for _, attribute in _UPDATE_SLOTS]
        markers = [_marker(attribute, n) for n, attribute in enumerate(slot_attributes)]
        by_slot = {slot: markers[n] for n, (slot, _) in enumerate(_UPDATE_SLOTS)}
        read = model(
            "0" * 16,
            **{name: by_slot[name] for name in ("updated_at", *IMMUTABLE)},
        )
        condition = model.lock_condition(read, expected_status=by_slot["expected_status"])
        actions = [
            model.status.set(by_slot["status"]),
            model.approver.set(by_slot["approver"]),
            model.approver_comment.set(by_slot["approver_comment"]),
            model.updated_at.set(by_slot["token"]),
        ]
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        # The order PynamoDB's get_operation_kwargs serializes them in.
        self._lock_condition = condition.serialize(names, values)
        self._update_expression = Update(*actions).serialize(names, values)
        self._update_names = {placeholder: name for name, placeholder in names.items()}
        slot_of = {
            (attribute.attr_type, attribute.serialize(markers[n])): n
            for n, attribute in enumerate(slot_attributes)
        }
        update_values: list[tuple[str, int, str, Callable[[Any], Any]]] = []
        for placeholder, typed in values.items():
            ((attr_type, serialized),) = typed.items()
            slot = slot_of[(attr_type, serialized)]
            update_values.append((placeholder, slot, attr_type, slot_attributes[slot].serialize))
        if sorted(slot for _, slot, _, _ in update_values) != list(range(len(_UPDATE_SLOTS))):
            raise RuntimeError(f"the update template lost a value: {values}")
        self._update_values = tuple(update_values)


def _marker(attribute: Attribute[Any], number: int) -> Any:
    """Return a value ``attribute`` serializes to a string no other slot's marker gives."""
    text = f"\x00slot-{number}"
    if isinstance(attribute, RFC3339TimeAttribute):
        return StoredTime.from_wire(text, _MARKER_TIME)  # serializes to its wire
    if isinstance(attribute, GoDurationAttribute):
        return StoredDuration.from_nanoseconds(-1 - number)  # serializes to "-<number + 1>"
    if isinstance(attribute, UnicodeAttribute):
        return text
    raise TypeError(f"no update template marker for {type(attribute).__name__}")
