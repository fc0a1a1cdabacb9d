"""The JSON Lines format of requests: stable, documented, and exact.

Format (version 1)
------------------
UTF-8 text, one request per line; each line is a JSON object followed by ``\\n``. The keys, always
written in this order and compactly (``","`` and ``":"`` separators, non-ASCII characters as
themselves):

=====================================  ===========  ==============================================
key                                    JSON type    DynamoDB attribute
=====================================  ===========  ==============================================
``id``                                 string       ``id`` (S), 16 lowercase hex characters
``requester``, ``profile``             string       S
``justification``                      string       S
``duration``                           integer      N: nanoseconds (Go ``time.Duration``)
``status``                             string       S: pending, approved, denied, expired,
                                                    cancelled
``created_at``, ``updated_at``,        string       S, exactly as stored: the canonical
``expires_at``                                      ``2026-11-28T00:25:31.123456000Z``, or any
                                                    older form the Go service wrote (trimmed
                                                    RFC 3339, an offset, Unix seconds)
``ttl`` (optional)                     integer      N: Unix seconds of ``expires_at``
``approver``, ``approver_comment``     string       S (may be ``""``)
(optional)
``extra`` (optional)                   object       any other attribute of the item, in DynamoDB
                                                    JSON: ``{"name": {"S": "value"}}``
=====================================  ===========  ==============================================

An optional key is absent exactly when the item lacks that attribute. Nothing is converted, so
an item the Go service wrote (nanosecond digits, offsets, Unix-seconds strings, no ``ttl``) is
exported, imported and exported again byte for byte. A line (wrapped here at the commas; in the
file it is one line)::

    {"id":"3f9a1c0d5e7b2a41","requester":"alice","profile":"production",
    "justification":"Deploy hotfix for incident INC-4821","duration":3600000000000,
    "status":"pending","created_at":"2026-11-20T09:15:02.120783Z",
    "updated_at":"2026-11-20T09:15:02.120783Z","expires_at":"2026-11-21T09:15:02.120783Z",
    "ttl":1795252502,"approver":"","approver_comment":""}

Readers accept the keys in any order and skip blank lines; an unknown key, a wrong type or a
line that is not a valid request is a ValidationError naming the line.

On a store other than a DynamoDBStore (a MemoryStore), items are the store's requests in the
canonical form: optional attributes are always present and ``ttl`` is derived from
``expires_at``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from approvals.errors import StoreError, ValidationError
from approvals.migrate.protocol import RawItem
from approvals.store.base import ITEM_ATTRIBUTES
from approvals.store.table import item_id

__all__ = ["EXTRA", "FIELDS", "NUMBER_FIELDS", "OPTIONAL_FIELDS", "decode_line", "encode_item"]

FIELDS = ITEM_ATTRIBUTES
"""The keys of a line, in the order they are written (``extra`` follows when present)."""
OPTIONAL_FIELDS = frozenset({"ttl", "approver", "approver_comment"})
NUMBER_FIELDS = frozenset({"duration", "ttl"})
EXTRA = "extra"

_FIELD_SET = frozenset(FIELDS)
_INTEGER = re.compile(r"-?[0-9]+")
_ATTRIBUTE_TYPES = frozenset({"S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"})


def encode_item(raw: Mapping[str, Mapping[str, Any]]) -> str:
    """Return the line (ending with ``\\n``) for a stored item.

    Raises StoreError when the item lacks a required attribute or holds one of the wrong type.
    """
    request_id = item_id(raw)
    line: dict[str, Any] = {}
    for name in FIELDS:
        value = raw.get(name)
        if value is None:
            if name not in OPTIONAL_FIELDS:
                raise _unexportable(f"stored item lacks {name}; it cannot be exported", request_id)
        elif name in NUMBER_FIELDS:
            number = value.get("N")
            if not isinstance(number, str) or not _INTEGER.fullmatch(number):
                raise _unexportable(
                    f"stored attribute {name} is not an integer number ({dict(value)!r:.60})",
                    request_id,
                )
            line[name] = int(number)
        else:
            text = value.get("S")
            if not isinstance(text, str):
                raise _unexportable(
                    f"stored attribute {name} is not a string ({dict(value)!r:.60})", request_id
                )
            line[name] = text
    extra = {name: raw[name] for name in sorted(raw) if name not in _FIELD_SET}
    if extra:
        line[EXTRA] = extra
    try:
        return json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n"
    except (TypeError, ValueError) as exc:
        raise _unexportable(f"stored item cannot be written as JSON ({exc})", request_id) from exc


def _unexportable(message: str, request_id: str | None) -> StoreError:
    return StoreError(message, request_id=request_id, retryable=False)


def decode_line(text: str, line_number: int = 0) -> RawItem | None:
    """Return the item a line describes, or None for a blank line.

    Raises ValidationError (naming ``line_number``) when the line is not in the format.
    """
    stripped = text.strip()
    if not stripped:
        return None
    where = f"line {line_number}"
    try:
        data = json.loads(stripped)
    except ValueError as exc:
        raise ValidationError(f"{where}: not valid JSON ({exc})", field="line") from None
    if not isinstance(data, dict):
        raise ValidationError(f"{where}: expected a JSON object", field="line")
    unknown = sorted(set(data) - _FIELD_SET - {EXTRA})
    if unknown:
        raise ValidationError(f"{where}: unknown keys {unknown}", field=unknown[0])
    raw: RawItem = {}
    for name in FIELDS:
        if name not in data:
            if name not in OPTIONAL_FIELDS:
                raise ValidationError(f"{where}: {name} is missing", field=name)
            continue
        value = data[name]
        if name in NUMBER_FIELDS:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValidationError(f"{where}: {name} must be an integer", field=name)
            raw[name] = {"N": str(value)}
        else:
            if not isinstance(value, str):
                raise ValidationError(f"{where}: {name} must be a string", field=name)
            raw[name] = {"S": value}
    extra = data.get(EXTRA)
    if extra is not None:
        raw.update(_decode_extra(extra, where))
    return raw


def _decode_extra(extra: object, where: str) -> RawItem:
    if not isinstance(extra, dict):
        raise ValidationError(f"{where}: extra must be an object", field=EXTRA)
    decoded: RawItem = {}
    for name, value in extra.items():
        if name in _FIELD_SET:
            raise ValidationError(
                f"{where}: extra must not repeat the attribute {name}", field=EXTRA
            )
        if not (isinstance(value, dict) and len(value) == 1 and set(value) <= _ATTRIBUTE_TYPES):
            raise ValidationError(
                f"{where}: extra attribute {name} is not in DynamoDB JSON", field=EXTRA
            )
        decoded[name] = value
    return decoded
