"""DynamoDBStore: the Store protocol on a DynamoDB table in the Go service's format."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.constants import PAY_PER_REQUEST_BILLING_MODE

from approvals.errors import ConcurrentModification, RequestExists, RequestNotFound
from approvals.model import DEFAULT_TABLE_NAME, RequestModel, bind_model
from approvals.request import IMMUTABLE_FIELDS, Request, RequestStatus
from approvals.store.base import (
    IndexedQueries,
    check_request,
    check_request_id,
    refusal,
)
from approvals.store.settings import check_table_name, connection_settings
from approvals.store.table import DynamoDBTable
from approvals.store.translate import CONDITION_FAILED, UNSUPPORTED_OPERATION, error_code
from approvals.times import next_token, stored_form

__all__ = ["DynamoDBStore"]

logger = logging.getLogger("approvals")


class DynamoDBStore(IndexedQueries):
    """A :class:`~approvals.store.Store` on a DynamoDB table in the Go service's format.

    Usage::

        store = DynamoDBStore("sentinel-requests", region="eu-west-1")
        store.create(Request.new(requester="alice", profile="production",
                                 justification="Deploy hotfix INC-4821",
                                 duration=timedelta(hours=1)))

    ``host`` is an endpoint URL (DynamoDB Local, moto, dynalite). ``connect_timeout`` and
    ``read_timeout`` (seconds), ``max_retries`` (SDK retries after the first attempt) and
    ``max_pool_connections`` default to the environment variables ``APPROVALS_CONNECT_TIMEOUT``,
    ``APPROVALS_READ_TIMEOUT``, ``APPROVALS_MAX_RETRIES`` and ``APPROVALS_MAX_POOL_CONNECTIONS``,
    then to PynamoDB's defaults. Every method raises only :class:`~approvals.ApprovalsError`.
    """

    def __init__(
        self,
        table_name: str = DEFAULT_TABLE_NAME,
        *,
        region: str | None = None,
        host: str | None = None,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        max_retries: int | None = None,
        max_pool_connections: int | None = None,
    ) -> None:
        check_table_name(table_name)
        settings = connection_settings(
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_retries=max_retries,
            max_pool_connections=max_pool_connections,
        )
        self.table_name = table_name
        self.region = region
        self.host = host
        self._table = DynamoDBTable(
            bind_model(table_name, region=region, host=host, **settings), region=region
        )
        self._converter = self._table.converter

    def __repr__(self) -> str:
        return f"DynamoDBStore({self.table_name!r}, region={self.region!r}, host={self.host!r})"

    def dynamodb_table(self) -> DynamoDBTable:
        """Return the table this store works on: its client, bound model, item conversion and
        operation context, for code that calls DynamoDB directly (bulk import and export)."""
        return self._table

    @property
    def model(self) -> type[RequestModel]:
        """The RequestModel subclass bound to this store's table, for direct PynamoDB use."""
        return self._table.model

    # -- single-request operations -------------------------------------------------------

    def create(self, request: Request) -> Request:
        """Store a new request and return it as stored.

        ValidationError (before any call) for an invalid request; RequestExists if the id is
        taken; StoreError for backend failures.
        """
        check_request(request)
        kwargs = self._converter.put_item_kwargs(self.table_name, request)
        with self._table.operation("create", request.id):
            try:
                self._table.client.put_item(**kwargs)
            except ClientError as exc:
                if error_code(exc) != CONDITION_FAILED:
                    raise
                # An SDK retry of a put whose first attempt landed (its response lost) meets
                # its own item: that is this call's success, not someone else's request.
                if not _retried(exc) or (
                    (exc.response.get("Item") or self._raw_get(request.id)) != kwargs["Item"]
                ):
                    raise RequestExists(request.id) from None
            return self._converter.written(request, kwargs["Item"])

    def get(self, request_id: str) -> Request:
        """Return the stored request (a strongly consistent read).

        ValidationError (before any call) for a malformed id; RequestNotFound if absent.
        """
        check_request_id(request_id)
        with self._table.operation("get", request_id):
            item = self._raw_get(request_id)
            if not item:
                raise RequestNotFound(request_id)
            return self._table.to_request(item)

    def update(self, request: Request) -> Request:
        """Write the transition of a request read earlier and return it as stored.

        One conditional UpdateItem: the stored item must still have the ``updated_at`` the caller
        read, be pending, and keep every immutable field. Refusals, first that applies:
        RequestNotFound, ConcurrentModification, InvalidStateTransition, ValidationError.
        """
        check_request(request)
        with self._table.operation("update", request.id):
            if request.status is RequestStatus.PENDING:
                # pending -> pending is never a transition; read only to report the right refusal.
                error = refusal(self._read(request.id), request)
                assert error is not None
                raise error
            attempt = request
            for _ in range(2):
                written, stored = self._conditional_update(attempt)
                if written is not None:
                    return written
                error = refusal(stored, request)
                if error is not None:
                    raise error
                assert stored is not None
                # Equal values stored in another representation (a hand-made Request for an item
                # the Go service wrote): lock on the stored representation instead.
                attempt = dataclasses.replace(
                    request,
                    updated_at=stored.updated_at,
                    **{name: getattr(stored, name) for name in IMMUTABLE_FIELDS},
                )
            raise ConcurrentModification(request.id)

    def delete(self, request_id: str) -> None:
        """Remove the request if it exists (idempotent); ValidationError for a malformed id."""
        check_request_id(request_id)
        with self._table.operation("delete", request_id):
            self._table.client.delete_item(TableName=self.table_name, Key=_key(request_id))

    # -- table management ----------------------------------------------------------------

    def create_table(self, wait: bool = True) -> None:
        """Create the table in the Go service's schema unless it exists, and enable TTL on ``ttl``.

        On a server without the TTL API (dynalite) the table is still created and a warning is
        logged. StoreError for backend failures.
        """
        with self._table.operation("create_table"):
            self.model.create_table(
                wait=wait,
                billing_mode=PAY_PER_REQUEST_BILLING_MODE,
                ignore_update_ttl_errors=True,
            )
            self._ensure_ttl()

    def delete_table(self) -> None:
        """Delete the table if it exists; StoreError for backend failures."""
        with self._table.operation("delete_table"):
            if self.model.exists():
                self.model.delete_table()

    # -- internals -----------------------------------------------------------------------

    def _conditional_update(self, request: Request) -> tuple[Request | None, Request | None]:
        """Return (the request as written, None), or (None, the stored request or None) when
        the condition failed for another writer's reason."""
        token = next_token(request.updated_at)
        kwargs = self._converter.update_item_kwargs(self.table_name, request, token)
        try:
            response = self._table.client.update_item(**kwargs)
        except ClientError as exc:
            if error_code(exc) != CONDITION_FAILED:
                raise
            old: dict[str, Any] | None = exc.response.get("Item")  # type: ignore[assignment]
            stored = self._read(request.id) if old is None else self._table.to_request(old)
            if stored is not None and _retried(exc) and _is_own_write(stored, request, token):
                return stored, None  # the first attempt landed; only its response was lost
            return None, stored
        return self._table.to_request(response["Attributes"]), None

    def _raw_get(self, request_id: str) -> dict[str, Any] | None:
        # get's one call, and the read that servers ignoring ReturnValuesOnConditionCheckFailure
        # (dynalite) need after a failed condition. Consistent, so it sees every acknowledged write.
        response = self._table.client.get_item(
            TableName=self.table_name, Key=_key(request_id), ConsistentRead=True
        )
        item: dict[str, Any] | None = response.get("Item")
        return item

    def _read(self, request_id: str) -> Request | None:
        item = self._raw_get(request_id)
        return None if item is None else self._table.to_request(item)

    def _index(
        self, operation: str, name: str, value: str, bound: str | None, page_size: int | None
    ) -> Iterator[Request]:
        """Query the GSI of ``name`` for ``value`` (from ``bound``), newest created_at first."""
        model = self.model
        index = getattr(model, f"{name}_index")
        hash_key, range_key = getattr(model, name), model.created_at
        params: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": index.Meta.index_name,
            "KeyConditionExpression": "#0 = :0",
            "ExpressionAttributeNames": {"#0": hash_key.attr_name},
            "ExpressionAttributeValues": {":0": {hash_key.attr_type: hash_key.serialize(value)}},
            "ScanIndexForward": False,
        }
        if bound is not None:
            params["KeyConditionExpression"] = "#0 = :0 AND #1 <= :1"
            params["ExpressionAttributeNames"]["#1"] = range_key.attr_name
            params["ExpressionAttributeValues"][":1"] = {range_key.attr_type: bound}
        if page_size is not None:
            params["Limit"] = page_size
        return self._pages(operation, params)

    def _one_operation(self, operation: str) -> AbstractContextManager[object]:
        return self._table.operation(operation)  # one record for a whole list, not one per page

    def _pages(self, operation: str, params: dict[str, Any]) -> Iterator[Request]:
        """Yield the requests of every page of the Query ``params``, one operation per page."""
        table = self._table
        while True:
            with table.operation(operation):
                page = table.client.query(**params)
                requests = [table.to_request(item) for item in page.get("Items", ())]
            yield from requests
            last = page.get("LastEvaluatedKey")
            if not last:
                return
            params = {**params, "ExclusiveStartKey": last}

    def _ensure_ttl(self) -> None:
        client = self._table.client
        try:
            described = client.describe_time_to_live(TableName=self.table_name)
            ttl = described.get("TimeToLiveDescription", {})
            if ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"):
                return
            client.update_time_to_live(
                TableName=self.table_name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"},
            )
        except ClientError as exc:
            code = error_code(exc)
            if code not in UNSUPPORTED_OPERATION and not _looks_unsupported(exc):
                raise
            logger.warning(
                "table %s created, but this server does not support TTL (%s): expired requests "
                "will not be deleted automatically",
                self.table_name,
                code,
            )


def _key(request_id: str) -> dict[str, Any]:
    return {"id": {"S": request_id}}


def _is_own_write(stored: Request, request: Request, token: datetime) -> bool:
    """True when ``stored`` is exactly what this update wrote (its response was lost)."""
    return (
        getattr(stored.updated_at, "wire", None) == stored_form(token)
        and stored.status is request.status
        and stored.approver == request.approver
        and stored.approver_comment == request.approver_comment
    )


def _retried(exc: ClientError) -> bool:
    """True when the SDK sent the call more than once before this answer."""
    return int(exc.response.get("ResponseMetadata", {}).get("RetryAttempts") or 0) > 0


def _looks_unsupported(exc: ClientError) -> bool:
    message = str(exc.response.get("Error", {}).get("Message") or "")
    return "not supported" in message.lower() or "unknown operation" in message.lower()
