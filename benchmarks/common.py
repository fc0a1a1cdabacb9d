"""What every benchmark shares: a dummy AWS environment, loopback servers, tables, requests, stats.

The servers are real DynamoDB-compatible servers on 127.0.0.1, each in its own process so that
the client's CPU and the server's do not share one GIL:

* moto's server (``python -m moto.server``), which returns the old item on a failed condition;
* dynalite (node), which ignores ``ReturnValuesOnConditionCheckFailure``. It is installed by
  ``npm ci --prefix tests/servers --ignore-scripts``; without node or that install the
  measurements that need it are skipped and say so.
"""

from __future__ import annotations

import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from approvals import DynamoDBStore, Request
from tests.servers.dynalite import DYNALITE_CLI, dynalite_command

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"
DYNALITE_INSTALL = "npm ci --prefix tests/servers --ignore-scripts"
REGION = "us-east-1"
LOOPBACK = "127.0.0.1"
UTC = timezone.utc
# Seconds to wait for a server to answer ListTables (node starts slowly on a busy machine).
READY_TIMEOUT_S = 60.0
BATCH_WRITE_MAX = 25


def use_dummy_aws_environment() -> None:
    """Point every AWS client of this process (and its children) at dummy credentials.

    Overrides, not defaults: a benchmark must never reach a real account whatever the
    developer's environment holds. Returns None.
    """
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "NO_PROXY": LOOPBACK,
            "no_proxy": LOOPBACK,
        }
    )
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(name, None)


# -- servers ----------------------------------------------------------------------------------


@dataclass
class Server:
    """A DynamoDB-compatible server running in a child process on loopback."""

    name: str
    endpoint: str
    process: subprocess.Popen[bytes]
    returns_old_item: bool

    def stop(self) -> None:
        """Terminate the process (kill it after 10 s). Returns None."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def connection(endpoint: str) -> dict[str, str]:
    """Return the arguments of ``boto3.client``/``boto3.resource`` for ``endpoint`` with dummy
    credentials."""
    return {
        "region_name": REGION,
        "endpoint_url": endpoint,
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
    }


def client(endpoint: str, **config: Any) -> Any:
    """Return a plain boto3 DynamoDB client for ``endpoint`` with dummy credentials."""
    return boto3.client(
        "dynamodb", config=Config(**config) if config else None, **connection(endpoint)
    )


def _wait_until_answering(server: Server) -> None:
    probe = client(
        server.endpoint,
        retries={"total_max_attempts": 1},
        connect_timeout=1,
        read_timeout=5,
    )
    deadline = time.monotonic() + READY_TIMEOUT_S
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited with code {server.process.returncode}")
        try:
            probe.list_tables(Limit=1)
            return
        except Exception as exc:
            if time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(
                    f"{server.name} did not answer within {READY_TIMEOUT_S}s"
                ) from exc
            time.sleep(0.1)


def _start(name: str, command: list[str], port: int, *, returns_old_item: bool) -> Server:
    """Run the server ``command`` (listening on ``port``) in its own session with its output
    discarded, and wait until it answers."""
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    server = Server(name, f"http://{LOOPBACK}:{port}", process, returns_old_item)
    _wait_until_answering(server)
    return server


def start_moto_server() -> Server:
    """Start moto's server (werkzeug, threaded) in a child Python process and wait for it."""
    port = free_port()
    command = [sys.executable, "-m", "moto.server", "-H", LOOPBACK, "-p", str(port)]
    return _start("moto-server", command, port, returns_old_item=True)


def dynalite_missing() -> str | None:
    """Why dynalite cannot start here, or None when it can."""
    if shutil.which("node") is None:
        return "node is not on PATH"
    if not DYNALITE_CLI.is_file():
        return f"dynalite is not installed (run `{DYNALITE_INSTALL}`)"
    return None


def start_dynalite() -> Server:
    """Start dynalite in memory in a child node process and wait for it.

    Raises RuntimeError when :func:`dynalite_missing` has a reason.
    """
    reason = dynalite_missing()
    if reason is not None:
        raise RuntimeError(reason)
    port = free_port()
    return _start(
        "dynalite", dynalite_command("node", LOOPBACK, port), port, returns_old_item=False
    )


@contextmanager
def running(*starters: Any) -> Iterator[list[Server]]:
    """Start the servers ``starters`` make and stop them all on the way out."""
    servers: list[Server] = []
    try:
        for start in starters:
            servers.append(start())
        yield servers
    finally:
        for server in servers:
            server.stop()


# -- tables and requests ------------------------------------------------------------------------


def new_store(endpoint: str, purpose: str) -> DynamoDBStore:
    """Return a DynamoDBStore on a new table (the production schema) at ``endpoint``."""
    store = DynamoDBStore(f"bench-{purpose}-{uuid.uuid4().hex[:8]}", region=REGION, host=endpoint)
    store.create_table(wait=True)
    return store


def drop_table(store: DynamoDBStore) -> None:
    """Delete the store's table without waiting (frees the server's memory). Returns None."""
    client(store.host or "").delete_table(TableName=store.table_name)


def sample_request(
    number: int,
    *,
    requester: str = "alice",
    profile: str = "production",
    now: datetime | None = None,
) -> Request:
    """Return a valid pending request, created ``number`` seconds before ``now``."""
    moment = (now or datetime.now(UTC)) - timedelta(seconds=number)
    return Request.new(
        requester=requester,
        profile=profile,
        justification=f"Deploy hotfix for incident INC-{number:06d}",
        duration=timedelta(hours=1),
        now=moment,
    )


def sample_requests(count: int, *, now: datetime | None = None) -> list[Request]:
    """Return ``count`` requests spread over 50 requesters, 8 profiles and every status."""
    moment = now or datetime.now(UTC)
    requests = []
    for number in range(count):
        request = sample_request(
            number,
            requester=f"user-{number % 50:02d}",
            profile=f"profile-{number % 8}",
            now=moment,
        )
        kind = number % 4
        if kind == 1:
            request = request.approve("approver-1", "ok", now=moment)
        elif kind == 2:
            request = request.deny("approver-2", "no ticket", now=moment)
        elif kind == 3:
            request = request.cancel(now=moment)
        requests.append(request)
    return requests


def seed(store: DynamoDBStore, requests: Iterable[Request]) -> int:
    """Write ``requests`` into the store's table with BatchWriteItem; return how many.

    Setup only (not measured): unprocessed items are resent until none is left.
    """
    raw = client(store.host or "")
    written = 0
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        pending = {store.table_name: batch}
        while pending:
            answer = raw.batch_write_item(RequestItems=pending)
            pending = answer.get("UnprocessedItems") or {}

    for request in requests:
        batch.append({"PutRequest": {"Item": store.dynamodb_table().to_item(request)}})
        written += 1
        if len(batch) == BATCH_WRITE_MAX:
            flush()
            batch = []
    if batch:
        flush()
    return written


# -- statistics and the machine -----------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    """Return the median of ``values`` (ValueError when empty)."""
    return float(statistics.median(values))


def machine() -> dict[str, Any]:
    """Return what the numbers depend on: cores, CPU, Python, OS, versions, date (UTC)."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for package in ("approvals", "pynamodb", "boto3", "botocore", "moto"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "os": f"{platform.system()} {platform.release()}",
        "packages": versions,
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
