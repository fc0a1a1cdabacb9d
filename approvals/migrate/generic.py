"""The backend of any other Store (MemoryStore, an app's wrapper): its public methods only."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

from approvals.errors import RequestExists, RequestNotFound
from approvals.migrate.options import BulkOptions
from approvals.migrate.protocol import Page, PutOutcome, RawItem, ScanRequest
from approvals.request import Request, RequestStatus
from approvals.store import DynamoDBStore, Store
from approvals.store.table import DynamoDBTable
from approvals.times import stored_form

__all__ = ["StoreBackend", "item_codec"]


@functools.lru_cache(maxsize=1)
def item_codec() -> DynamoDBTable:
    """The conversion between Requests and raw items in the table's format (``to_item``,
    ``to_request``); it never connects to anything."""
    return DynamoDBStore().dynamodb_table()


class StoreBackend:
    """Bulk access through the public Store methods (MemoryStore and app-defined stores).

    Scans iterate by status (a segment per status), ordered by id so that a position is simply
    the last id done. Items are requests in the canonical wire form. ``replace`` and
    ``put_many`` are a delete then a create: not atomic against other threads using the store.
    A request whose status changes during a scan of every status may be read again in its new
    status (a transform should return None for a request it already rewrote).
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.target = f"store:{type(store).__name__}"
        self.codec = item_codec()

    def segment_names(self, options: BulkOptions, status: RequestStatus | None) -> list[str]:
        statuses = list(RequestStatus) if status is None else [status]
        return [s.value for s in statuses]

    def pages(self, scan: ScanRequest) -> Iterator[Page]:
        segment, start = scan.segment, scan.start
        ids = sorted(
            r.id
            for r in self.store.iter_by_status(RequestStatus(segment))
            if (start is None or r.id > start) and scan.options.owns(r.id)
        )
        if not ids:
            yield Page(segment, [], None)
            return
        page_size = scan.options.page_size
        for offset in range(0, len(ids), page_size):
            chunk = ids[offset : offset + page_size]
            items = []
            for request_id in chunk:
                raw = self.get_raw(request_id)
                if raw is not None:
                    items.append(raw)
            done = offset + page_size >= len(ids)
            yield Page(segment, items, None if done else chunk[-1])

    def get_raw(self, request_id: str) -> RawItem | None:
        try:
            return self.codec.to_item(self.store.get(request_id))
        except RequestNotFound:
            return None

    def put_new(self, raw: RawItem) -> PutOutcome:
        """Create the request ``raw`` holds unless its id is stored (then compare)."""
        request = self.codec.to_request(raw)
        for _ in range(3):
            try:
                self.store.create(request)
                return PutOutcome.CREATED
            except RequestExists:
                stored = self.get_raw(request.id)
            if stored is not None:
                same = self.identical(stored, raw)
                return PutOutcome.IDENTICAL if same else PutOutcome.CONFLICT
        return PutOutcome.CONFLICT

    def put_new_many(self, raws: list[RawItem], workers: int) -> tuple[list[PutOutcome], float]:
        # A store that creates a batch at once (SQLiteStore: one transaction) is asked to.
        create_many = getattr(self.store, "create_many", None)
        if create_many is not None:
            created = create_many([self.codec.to_request(raw) for raw in raws])
            outcomes = [
                PutOutcome.CREATED if new is not None else self.put_new(raw)
                for raw, new in zip(raws, created, strict=True)
            ]
            return outcomes, 0.0
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="approvals-put") as pool:
            return list(pool.map(self.put_new, raws)), 0.0

    def identical(self, stored: RawItem, raw: RawItem) -> bool:
        # The store keeps requests, not items: compare the canonical forms.
        return stored == self.codec.to_item(self.codec.to_request(raw))

    def put_many(self, raws: list[RawItem]) -> float:
        for raw in raws:
            request = self.codec.to_request(raw)
            self.store.delete(request.id)
            self.store.create(request)
        return 0.0

    def replace(self, raw: RawItem, expected: Request) -> tuple[bool, float]:
        try:
            stored = self.store.get(expected.id)
        except RequestNotFound:
            return False, 0.0
        same_token = stored_form(stored.updated_at) == stored_form(expected.updated_at)
        if not same_token or stored.status is not expected.status:
            return False, 0.0
        self.store.delete(expected.id)
        self.store.create(self.codec.to_request(raw))
        return True, 0.0
