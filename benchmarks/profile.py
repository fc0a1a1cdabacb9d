"""Where the facade's client CPU goes: a sampling profile of each facade operation.

Run by :mod:`benchmarks.run` for every operation whose facade/boto3 ratio misses the target.
It samples (pyinstrument, 0.1 ms interval) the facade operation on canned responses and
attributes the time to the calls the store makes: the store's own methods in
``approvals/store/dynamodb.py`` are opened up, and every other call they make (botocore's API
call, PynamoDB's expression building and deserialization, the domain's validation, ...) is one
line with its share of the operation's time.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable
from typing import Any

# Frames opened up rather than reported as one line: the store itself and the plumbing around it.
_OPENED = (
    os.path.join("approvals", "store", "dynamodb.py"),
    "contextlib.py",
    os.path.join("benchmarks", "overhead.py"),
)


def _label(frame: Any) -> str:
    name = f"{frame.class_name}.{frame.function}" if frame.class_name else frame.function
    path = (frame.file_path or "").replace(os.sep, "/")
    for marker in ("site-packages/", "/approvals/", "/benchmarks/"):
        if marker in path:
            module = path.split(marker, 1)[1]
            if marker != "site-packages/":
                module = marker.strip("/") + "/" + module
            return f"{name} ({module.split('/')[0] if marker == 'site-packages/' else module})"
    return f"{name} ({os.path.basename(path)})"


# PynamoDB functions that only route a call to botocore: opened so botocore's share shows.
_PYNAMODB_ROUTING = {"get", "get_item", "dispatch", "_make_api_call"}


def _opened(frame: Any) -> bool:
    path = frame.file_path or ""
    if any(part in path for part in _OPENED):
        return True
    return "pynamodb" in path and frame.function in _PYNAMODB_ROUTING


def _attribute(frame: Any, inside: str, shares: dict[str, float]) -> None:
    for child in frame.children:
        if child.is_synthetic:  # "[self]" time of the opened frame
            shares[f"{inside} (own code)"] += child.time
        elif _opened(child):
            if child.function in ("<lambda>", "__enter__", "__exit__", "helper"):
                _attribute(child, inside, shares)
            elif inside.endswith(f" > {child.function}"):
                _attribute(child, inside, shares)  # PynamoDB's Model.get -> TableConnection.get
            else:
                _attribute(child, f"{inside} > {child.function}", shares)
        else:
            shares[f"{inside} -> {_label(child)}"] += child.time


def profile(call: Callable[[], Any], *, calls: int) -> list[dict[str, Any]]:
    """Sample ``calls`` runs of ``call``; return the lines of the breakdown, biggest first.

    Each line is ``{"where": "update > _conditional_update -> DynamoDB._api_call (botocore)",
    "share": 0.64}`` (``>`` opens a store method, ``->`` is the call it makes); lines
    under 1 % are merged into one "other" line. Raises ImportError without pyinstrument.
    """
    from pyinstrument import Profiler

    for _ in range(max(calls // 10, 1)):
        call()
    profiler = Profiler(interval=0.0001)
    profiler.start()
    for _ in range(calls):
        call()
    session = profiler.stop()
    shares: dict[str, float] = defaultdict(float)
    _attribute(session.root_frame(), "", shares)
    total = sum(shares.values()) or 1.0
    lines: list[dict[str, Any]] = []
    other = 0.0
    for where, seconds in sorted(shares.items(), key=lambda kv: -kv[1]):
        share = seconds / total
        if share < 0.01 or not where.startswith(" > "):
            other += share
        else:
            lines.append({"where": where[3:], "share": round(share, 4)})
    lines.append({"where": "other (< 1 % each)", "share": round(other, 4)})
    return lines
