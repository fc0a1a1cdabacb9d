"""DynamoDBStore: the facade over RequestModel that speaks only the library's errors."""

from __future__ import annotations

import dataclasses
import itertools
import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.constants import PAY_PER_REQUEST_BILLING_MODE
from pynamodb.exceptions import AttributeDeserializationError, PynamoDBException
from pynamodb.indexes import GlobalSecondaryIndex

from approvals.errors import (
    ApprovalsError,
    ConcurrentModification,
    RequestExists,
    RequestNotFound,
    StoreError,
    ValidationError,
)
from approvals.model import DEFAULT_TABLE_NAME, RequestModel, bind_model
from approvals.observe import OperationObserver
from approvals.request import DEFAULT_QUERY_LIMIT, Request, RequestStatus
from approvals.store._wire import (
    IMMUTABLE,
    REQUIRED,
    RequestCodec,
    item_fields,
    request_from_values,
)
from approvals.store.base import (
    check_request_id,
    check_status,
    check_until,
    check_update_input,
    effective_limit,
    index_bound,
    newest_first,
    refusal,
)
from approvals.store.settings import check_table_name, connection_settings
from approvals.store.translate import CONDITION_FAILED, error_code, translate
from approvals.times import StoredTime, next_token, stored_form

__all__ = ["DynamoDBStore"]

logger = logging.getLogger("approvals")

_OPTIONAL = ("approver", "approver_comment")
_TTL_UNSUPPORTED = {"UnknownOperationException", "NotImplemented", "UnsupportedOperation"}


class DynamoDBStore:
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
        self._model = bind_model(table_name, region=region, host=host, **settings)
        # Builds the calls and reads the answers of the hot paths (get, create, update) without
        # model instances or per-call expression building: see approvals.store._wire for why.
        self._codec = RequestCodec(self._model)
        self._observer = OperationObserver(table_name, region=region)

    def __repr__(self) -> str:
        return f"DynamoDBStore({self.table_name!r}, region={self.region!r}, host={self.host!r})"

    @property
    def model(self) -> type[RequestModel]:
        """The RequestModel subclass bound to this store's table, for direct PynamoDB use."""
        return self._model

    # -- single-request operations -------------------------------------------------------

    def create(self, request: Request) -> Request:
        """Store a new request and return it as stored.

        ValidationError (before any call) for an invalid request; RequestExists if the id is
        taken; StoreError for backend failures.
        """
        check_request_id(request.id)
        request.validate()
        kwargs = self._codec.put_item_kwargs(self.table_name, request)
        with self._operation("create", request.id):
            try:
                self._client.put_item(**kwargs)
            except ClientError as exc:
                if error_code(exc) != CONDITION_FAILED:
                    raise
                # An SDK retry of a put whose first attempt landed (its response lost) meets
                # its own item: that is this call's success, not someone else's request.
                if not _retried(exc) or (
                    (exc.response.get("Item") or self._raw_get(request.id)) != kwargs["Item"]
                ):
                    raise RequestExists(request.id) from None
            # Stored as sent: return it as a get would, without parsing back what was just built.
            return self._codec.written(request, kwargs["Item"])

    def get(self, request_id: str) -> Request:
        """Return the stored request (a strongly consistent read).

        ValidationError (before any call) for a malformed id; RequestNotFound if absent.
        """
        check_request_id(request_id)
        with self._operation("get", request_id):
            item = self._raw_get(request_id)
            if not item:
                raise RequestNotFound(request_id)
            return self._codec.request(item)

    def update(self, request: Request) -> Request:
        """Write the transition of a request read earlier and return it as stored.

        One conditional UpdateItem: the stored item must still have the ``updated_at`` the caller
        read, be pending, and keep every immutable field. Refusals, first that applies:
        RequestNotFound, ConcurrentModification, InvalidStateTransition, ValidationError.
        """
        check_update_input(request)
        with self._operation("update", request.id):
            if request.status is RequestStatus.PENDING:
                # pending -> pending is never a transition; read only to report the right refusal.
                error = refusal(self._read(request.id), request)
                assert error is not None
                raise error
            attempt = request
            for _ in range(2):
                token = next_token(attempt.updated_at)
                written, stored = self._conditional_update(attempt, token)
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
                    **{name: getattr(stored, name) for name in IMMUTABLE},
                )
            raise ConcurrentModification(request.id)

    def delete(self, request_id: str) -> None:
        """Remove the request if it exists (idempotent); ValidationError for a malformed id."""
        check_request_id(request_id)
        with self._operation("delete", request_id):
            self._model(request_id).delete()

    # -- queries -------------------------------------------------------------------------

    def iter_by_requester(
        self, requester: str, *, until: datetime | None = None
    ) -> Iterator[Request]:
        """Yield every request of ``requester``, newest first, page by page.

        With ``until``, the query starts at ``created_at <= until`` in the GSI (a value read from
        the table compares as its stored string, exactly as the index orders it).
        """
        _check_key("requester", requester)
        return self._query("iter_by_requester", self._model.requester_index, requester, until=until)

    def iter_by_status(
        self, status: RequestStatus, *, until: datetime | None = None
    ) -> Iterator[Request]:
        """Yield every request in ``status`` (from ``until``), newest first, page by page."""
        wanted = check_status(status)
        return self._query("iter_by_status", self._model.status_index, wanted.value, until=until)

    def iter_by_profile(self, profile: str, *, until: datetime | None = None) -> Iterator[Request]:
        """Yield every request for ``profile`` (from ``until``), newest first, page by page."""
        _check_key("profile", profile)
        return self._query("iter_by_profile", self._model.profile_index, profile, until=until)

    def list_by_requester(self, requester: str, limit: int = DEFAULT_QUERY_LIMIT) -> list[Request]:
        """Return up to ``limit`` requests of ``requester``, newest first."""
        _check_key("requester", requester)
        return self._list("list_by_requester", self._model.requester_index, requester, limit)

    def list_by_status(
        self, status: RequestStatus, limit: int = DEFAULT_QUERY_LIMIT
    ) -> list[Request]:
        """Return up to ``limit`` requests in ``status``, newest first."""
        wanted = check_status(status)
        return self._list("list_by_status", self._model.status_index, wanted.value, limit)

    def list_by_profile(self, profile: str, limit: int = DEFAULT_QUERY_LIMIT) -> list[Request]:
        """Return up to ``limit`` requests for ``profile``, newest first."""
        _check_key("profile", profile)
        return self._list("list_by_profile", self._model.profile_index, profile, limit)

    # -- table management ----------------------------------------------------------------

    def create_table(self, wait: bool = True) -> None:
        """Create the table in the Go service's schema unless it exists, and enable TTL on ``ttl``.

        On a server without the TTL API (dynalite) the table is still created and a warning is
        logged. StoreError for backend failures.
        """
        with self._operation("create_table"):
            self._model.create_table(
                wait=wait,
                billing_mode=PAY_PER_REQUEST_BILLING_MODE,
                ignore_update_ttl_errors=True,
            )
            self._ensure_ttl()

    def delete_table(self) -> None:
        """Delete the table if it exists; StoreError for backend failures."""
        with self._operation("delete_table"):
            if self._model.exists():
                self._model.delete_table()

    # -- internals -----------------------------------------------------------------------

    @property
    def _client(self) -> Any:
        # The botocore client PynamoDB built (same retries, timeouts and pool). get, create and
        # update call it directly: PynamoDB 6 does not expose ReturnValuesOnConditionCheckFailure,
        # and its Model layer costs more CPU than the call's own parameters (see _wire).
        return self._model._get_connection().connection.client

    def operation(self, name: str, request_id: str | None = None) -> AbstractContextManager[None]:
        """Return a context for code that calls ``self.model`` directly (``approvals.migrate``).

        Inside it, a botocore or PynamoDB exception leaves as the library's StoreError family
        (``__cause__`` chained) and the calls are logged as one operation ``name``, exactly as
        the store's own methods are.
        """
        return self._operation(name, request_id)

    @contextmanager
    def _operation(self, name: str, request_id: str | None = None) -> Iterator[None]:
        # One log record / span per operation (approvals.observe); nested ones join the outer.
        with self._observer.observe(name, request_id) as outermost:
            try:
                if outermost:
                    self._observer.instrument(self._client)
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

    def _conditional_update(
        self, request: Request, token: datetime
    ) -> tuple[Request | None, Request | None]:
        """Return (the request as written, None), or (None, the stored request or None) when
        the condition failed for another writer's reason."""
        # The lock condition and the SET actions of RequestModel, from a template built once.
        kwargs = self._codec.update_item_kwargs(self.table_name, request, token)
        try:
            response = self._client.update_item(**kwargs)
        except ClientError as exc:
            if error_code(exc) != CONDITION_FAILED:
                raise
            old: dict[str, Any] | None = exc.response.get("Item")  # type: ignore[assignment]
            stored = self._read(request.id) if old is None else self._codec.request(old)
            if stored is not None and _retried(exc) and _is_own_write(stored, request, token):
                return stored, None  # the first attempt landed; only its response was lost
            return None, stored
        return self._codec.request(response["Attributes"]), None

    def _raw_get(self, request_id: str) -> dict[str, Any] | None:
        # get's one call, and the read that servers ignoring ReturnValuesOnConditionCheckFailure
        # (dynalite) need after a failed condition. Consistent, so it sees every acknowledged write.
        response = self._client.get_item(
            TableName=self.table_name, Key={"id": {"S": request_id}}, ConsistentRead=True
        )
        item: dict[str, Any] | None = response.get("Item")
        return item

    def _read(self, request_id: str) -> Request | None:
        item = self._raw_get(request_id)
        return None if item is None else self._codec.request(item)

    def _query(
        self,
        operation: str,
        index: GlobalSecondaryIndex[Any],
        key: str,
        page_size: int | None = None,
        *,
        until: datetime | None = None,
    ) -> Iterator[Request]:
        check_until(until)
        # Every item of until's own group is read (the index does not order within a second);
        # newest_first drops those after until.
        condition = None
        if until is not None:
            bound = StoredTime.from_wire(index_bound(until), until)
            condition = self._model.created_at <= bound
        results = index.query(
            key, range_key_condition=condition, scan_index_forward=False, page_size=page_size
        )
        yield from newest_first(self._decoded(operation, results), until)

    def _decoded(self, operation: str, results: Iterator[RequestModel]) -> Iterator[Request]:
        while True:
            with self._operation(operation):
                try:
                    item = next(results)
                except StopIteration:
                    return
                request = self.to_request(item)
            yield request

    def _list(
        self, operation: str, index: GlobalSecondaryIndex[Any], key: str, limit: int
    ) -> list[Request]:
        wanted = effective_limit(limit)
        with self._operation(operation):  # one record for the whole list, not one per item
            # One item past the limit shows where the last item's second ends, most often
            # without a second page.
            return list(itertools.islice(self._query(operation, index, key, wanted + 1), wanted))

    def _ensure_ttl(self) -> None:
        try:
            described = self._client.describe_time_to_live(TableName=self.table_name)
            ttl = described.get("TimeToLiveDescription", {})
            if ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"):
                return
            self._client.update_time_to_live(
                TableName=self.table_name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"},
            )
        except ClientError as exc:
            code = error_code(exc)
            if code not in _TTL_UNSUPPORTED and not _looks_unsupported(exc):
                raise
            logger.warning(
                "table %s created, but this server does not support TTL (%s): expired requests "
                "will not be deleted automatically",
                self.table_name,
                code,
            )

    def to_item(self, request: Request) -> RequestModel:
        """Return ``request`` as an item of this store's model (``ttl`` derived from expires_at)."""
        return self._model(**item_fields(request))

    def to_request(self, item: RequestModel) -> Request:
        """Return the Request an item holds; StoreError when the item is malformed."""
        return request_from_values({name: getattr(item, name) for name in REQUIRED + _OPTIONAL})


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
    message = str(exc.response.get("Error", {}).get("Message") or "").lower()
    return "not supported" in message or "unknown operation" in message


def _check_key(field: str, value: object) -> None:
    if not isinstance(value, str) or not value:
        raise ValidationError(f"{field} must be a non-empty string", field=field)
