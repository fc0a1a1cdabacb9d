"""Real DynamoDB-compatible servers on loopback for the test suite (a pytest plugin).

Register it from ``tests/conftest.py`` with ``pytest_plugins = ["tests.servers.plugin"]`` (or run
pytest with ``-p tests.servers.plugin``). It provides two session-scoped fixtures, each a URL to
pass as ``endpoint_url`` (boto3) or ``Meta.host`` (PynamoDB):

``dynalite_endpoint``
    dynalite 4.0.0 (node), in memory, started as
    ``node tests/servers/node_modules/dynalite/cli.js --host 127.0.0.1 --port PORT``. Install it
    with ``npm ci --prefix tests/servers``. Without node or that install the fixture skips the
    test locally and fails it when ``CI`` is set (``CI=true``), so CI cannot silently lose
    coverage.
``moto_server_endpoint``
    ``moto.server.ThreadedMotoServer`` on 127.0.0.1, in a thread of the pytest process.

Both live for the whole session and are shared by all tests: use unique table names
(:func:`unique_table_name`) or delete what you create. Build clients with
:func:`dynamodb_client`, which sets dummy credentials and region ``us-east-1`` on the client
itself and reads no AWS config file, profile or credentials of the developer. For PynamoDB
models, set ``Meta.aws_access_key_id = DUMMY_ACCESS_KEY_ID``,
``Meta.aws_secret_access_key = DUMMY_SECRET_ACCESS_KEY`` and ``Meta.region = DUMMY_REGION``, or
request the opt-in ``dummy_aws_env`` fixture, which sets the ``AWS_*`` variables for the session
and restores them afterwards.

What these servers do (checked against dynalite 4.0.0 and moto 5.2.1; the tests in
``tests/servers/test_servers.py`` assert the points marked [t], so an upgrade that changes one of
them fails there first):

dynalite
    * It implements only BatchGetItem, BatchWriteItem, CreateTable, DeleteItem, DeleteTable,
      DescribeTable, DescribeTimeToLive, GetItem, ListTables, ListTagsOfResource, PutItem, Query,
      Scan, TagResource, UntagResource, UpdateItem and UpdateTable. Every other operation answers
      HTTP 400 with error code ``UnknownOperationException`` and an empty message. [t]
    * So ``UpdateTimeToLive`` fails with ``UnknownOperationException``. [t] PynamoDB's
      ``Model.create_table`` calls it when the model has a ``TTLAttribute``: pass
      ``ignore_update_ttl_errors=True`` there, or it raises ``pynamodb.exceptions.TableError``.
    * ``DescribeTimeToLive`` is implemented as a stub: it always answers
      ``{"TimeToLiveStatus": "DISABLED"}`` for an existing table and ``ResourceNotFoundException``
      for a missing one. [t] Items never expire.
    * No transactions: ``TransactWriteItems`` and ``TransactGetItems`` fail with
      ``UnknownOperationException``. [t] (PartiQL ``ExecuteStatement`` too.)
    * ``ReturnValuesOnConditionCheckFailure`` is accepted and ignored: a failed conditional write
      raises ``ConditionalCheckFailedException`` with no ``Item`` in the error response. [t]
    * Validation follows AWS closely and is stricter than moto: table names need at least 3
      characters [t], unused ``ExpressionAttributeValues`` are rejected [t], numbers with more
      than 38 significant digits are rejected [t], ``BatchWriteItem`` takes at most 25 requests
      [t]. It is laxer than AWS in one place found so far: it stores an empty string as a GSI key
      value [t] (AWS and moto reject it).
    * Tables stay ``CREATING``/``DELETING`` for ``--createTableMs``/``--deleteTableMs``/
      ``--updateTableMs`` (500 ms by default), and item operations on a ``CREATING`` table fail
      with ``ResourceNotFoundException``. This plugin starts it with all three at 0, so a new
      table is ``ACTIVE`` by the next request and PynamoDB's ``create_table(wait=True)`` does not
      sleep its 2 s (still wait for a new table before use). A deleted table is gone a moment
      after ``DeleteTable`` answers, but often not by the next request, so PynamoDB's
      ``delete_table(wait=True)`` usually sleeps 2 s: call ``delete_table()`` without ``wait``
      (names from :func:`unique_table_name` are never reused).
    * Region and credentials are ignored: every client sees one namespace of tables. [t]
    * Start-up to the first answered ListTables takes 0.25-0.6 s here (2 cores, also with both
      busy); a request takes about 1 ms, some 2-3 times faster than the moto server.

moto server
    * Implements ``UpdateTimeToLive``/``DescribeTimeToLive`` [t] and transactions [t], and
      returns the old item as ``Item`` in a ``ConditionalCheckFailedException`` when
      ``ReturnValuesOnConditionCheckFailure="ALL_OLD"`` is set. [t]
    * Tables are ``ACTIVE`` at once (``DeleteTable`` even answers with status ``ACTIVE``).
      Tables are kept per region [t]: use ``us-east-1`` everywhere (:data:`DUMMY_REGION`).
    * Laxer than AWS: it accepts unused ``ExpressionAttributeValues``, numbers over 38 digits and
      ``BatchWriteItem`` with more than 25 requests. A test that must see AWS's validation
      errors belongs on dynalite.
    * It runs in a thread of the pytest process and shares moto's backend with ``moto.mock_aws``:
      entering or leaving ``mock_aws()`` anywhere in the same process wipes every table on this
      server, and tables made under ``mock_aws`` show up on it. Do not rely on tables surviving
      across tests if any test uses ``mock_aws``. Being in-process, it also builds boto3 sessions
      from the environment: an ``AWS_PROFILE`` naming a profile that does not exist makes it
      answer HTTP 500.
    * Start-up takes about 0.3 s (about 1 s with both cores busy).
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn

import boto3
import botocore.session
import pytest
from botocore.config import Config
from botocore.configprovider import ConstantProvider

from tests.servers.dynalite import DYNALITE_CLI, dynalite_command

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

__all__ = [
    "DUMMY_ACCESS_KEY_ID",
    "DUMMY_REGION",
    "DUMMY_SECRET_ACCESS_KEY",
    "DYNALITE_CLI",
    "NPM_INSTALL_COMMAND",
    "dummy_aws_env",
    "dynalite_endpoint",
    "dynamodb_client",
    "moto_server_endpoint",
    "unique_table_name",
]

DUMMY_ACCESS_KEY_ID = "testing"
DUMMY_SECRET_ACCESS_KEY = "testing"
DUMMY_REGION = "us-east-1"

SERVERS_DIR = Path(__file__).resolve().parent
NPM_INSTALL_COMMAND = "npm ci --prefix tests/servers"

#: Seconds to wait for a server to answer ListTables. Generous: on a busy 2-core machine node
#: can take several seconds to start.
READY_TIMEOUT_S = 30.0
#: Seconds to wait for a server process to exit after SIGTERM before it is killed.
STOP_TIMEOUT_S = 10.0
#: How many free ports to try if another process takes the chosen port before dynalite binds it.
_PORT_ATTEMPTS = 3

_LOOPBACK = "127.0.0.1"
#: What dynalite's cli.js prints to stdout once it listens.
_DYNALITE_BANNER = "Dynalite listening at"


def dynamodb_client(
    endpoint_url: str, *, region_name: str = DUMMY_REGION, **config: Any
) -> DynamoDBClient:
    """Return a boto3 DynamoDB client for ``endpoint_url`` with dummy credentials.

    The client uses ``region_name`` (``us-east-1`` unless told otherwise: moto keeps one set of
    tables per region) and the ``DUMMY_*`` credentials, and its botocore session reads
    no AWS config or credentials file and no ``AWS_PROFILE``, so neither a developer's real AWS
    setup nor its absence changes anything. Retries are capped at 2 attempts and timeouts are
    short; ``config`` overrides any of the :class:`botocore.config.Config` options.
    """
    session = botocore.session.Session()
    # Constant providers take precedence over AWS_* environment variables and files.
    config_store = session.get_component("config_store")
    config_store.set_config_provider("profile", ConstantProvider(None))
    config_store.set_config_provider("config_file", ConstantProvider(os.devnull))
    config_store.set_config_provider("credentials_file", ConstantProvider(os.devnull))
    options: dict[str, Any] = {
        "retries": {"total_max_attempts": 2, "mode": "standard"},
        "connect_timeout": 5,
        "read_timeout": 30,
        # A loopback endpoint must never go through an HTTP(S)_PROXY from the environment.
        "proxies": {},
    }
    options.update(config)
    client: DynamoDBClient = boto3.session.Session(botocore_session=session).client(
        "dynamodb",
        endpoint_url=endpoint_url,
        region_name=region_name,
        aws_access_key_id=DUMMY_ACCESS_KEY_ID,
        aws_secret_access_key=DUMMY_SECRET_ACCESS_KEY,
        aws_session_token=None,
        config=Config(**options),
    )
    return client


def unique_table_name(prefix: str = "test") -> str:
    """Return a fresh table name (the servers are shared by the whole session)."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def _in_ci() -> bool:
    """Whether we run in CI: ``CI`` is set to anything but empty, ``0``, ``false`` or ``no``."""
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def _unavailable(reason: str) -> NoReturn:
    """Skip the requesting test, or fail it in CI where a missing server is a setup bug."""
    if _in_ci():
        pytest.fail(f"{reason} (CI is set, so this is an error, not a skip)", pytrace=False)
    pytest.skip(reason)


def _free_loopback_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((_LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def _probe_client(endpoint_url: str) -> DynamoDBClient:
    """A client for readiness probes: one attempt, short timeouts."""
    return dynamodb_client(
        endpoint_url, retries={"total_max_attempts": 1}, connect_timeout=1, read_timeout=2
    )


def _answers(probe: DynamoDBClient) -> bool:
    """Whether the DynamoDB API behind ``probe`` answers ListTables right now."""
    try:
        probe.list_tables(Limit=1)
    except Exception:
        return False
    return True


def _wait_for_moto(endpoint_url: str) -> None:
    """Wait until the moto server answers; fail the test on time-out."""
    probe = _probe_client(endpoint_url)
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not _answers(probe):
            if time.monotonic() >= deadline:
                pytest.fail(
                    f"moto server did not answer ListTables at {endpoint_url} within "
                    f"{READY_TIMEOUT_S:.0f}s",
                    pytrace=False,
                )
            time.sleep(0.1)
    finally:
        probe.close()


def _parent_death_prefix() -> list[str]:
    """Command prefix that makes the child get SIGTERM if pytest dies without cleaning up.

    Uses util-linux ``setpriv --pdeathsig`` where it exists (Linux); elsewhere the finalizer alone
    stops the server, which covers normal ends, failures and Ctrl-C but not SIGKILL.
    """
    if not sys.platform.startswith("linux"):
        return []
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "TERM", "--"] if setpriv else []


@dataclass
class _DynaliteProcess:
    """A running dynalite child process and where its output goes."""

    process: subprocess.Popen[bytes]
    endpoint_url: str
    output: IO[bytes]
    stopped: bool = field(default=False)

    def captured_output(self) -> str:
        """Everything the process printed so far (stdout and stderr interleaved)."""
        # pread leaves the file offset alone: the child writes through the same open file.
        fd = self.output.fileno()
        data = os.pread(fd, os.fstat(fd).st_size, 0)
        return data.decode(errors="replace").strip()

    def stop(self) -> None:
        """Terminate the process (kill it if it does not exit) and close its output file."""
        if self.stopped:
            return
        self.stopped = True
        try:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(timeout=STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
        finally:
            self.output.close()


def _start_dynalite(node: str, port: int) -> _DynaliteProcess:
    """Start dynalite in memory on 127.0.0.1:``port`` without waiting for it."""
    command = [*_parent_death_prefix(), *dynalite_command(node, _LOOPBACK, port)]
    # Outlives this function: _DynaliteProcess.stop() closes it.
    output = tempfile.TemporaryFile(prefix="dynalite-")  # noqa: SIM115
    try:
        process = subprocess.Popen(
            command,
            cwd=SERVERS_DIR,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            # Own process group: a terminal Ctrl-C reaches pytest, which then stops the server.
            start_new_session=True,
        )
    except BaseException:
        output.close()
        raise
    return _DynaliteProcess(process, f"http://{_LOOPBACK}:{port}", output)


def _wait_until_ready(server: _DynaliteProcess) -> bool:
    """Wait until ``server`` answers; False if it exited first. Fails the test on time-out."""
    probe = _probe_client(server.endpoint_url)
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        delay = 0.05
        while True:
            if server.process.poll() is not None:
                return False
            # The banner proves that *our* process bound the port, not another server on it.
            if _DYNALITE_BANNER in server.captured_output() and _answers(probe):
                return True
            if time.monotonic() >= deadline:
                pytest.fail(
                    f"dynalite did not answer ListTables at {server.endpoint_url} within "
                    f"{READY_TIMEOUT_S:.0f}s. Its output:\n"
                    f"{server.captured_output() or '(none)'}",
                    pytrace=False,
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
    finally:
        probe.close()


@pytest.fixture(scope="session")
def dynalite_endpoint(request: pytest.FixtureRequest) -> str:
    """URL (``http://127.0.0.1:PORT``) of an in-memory dynalite shared by the session."""
    node = shutil.which("node")
    if node is None:
        _unavailable(f"node is not on PATH; dynalite needs it (then run `{NPM_INSTALL_COMMAND}`)")
    if not DYNALITE_CLI.is_file():
        _unavailable(f"dynalite not installed: run `{NPM_INSTALL_COMMAND}`")

    for attempt in range(1, _PORT_ATTEMPTS + 1):
        server = _start_dynalite(node, _free_loopback_port())
        # Registered before waiting so that a failed or interrupted start-up is cleaned up too.
        request.addfinalizer(server.stop)
        if _wait_until_ready(server):
            return server.endpoint_url
        output = server.captured_output()
        server.stop()
        if "EADDRINUSE" in output and attempt < _PORT_ATTEMPTS:
            continue  # another process took the port between our probe and dynalite's bind
        pytest.fail(
            f"dynalite exited with code {server.process.returncode} before answering at "
            f"{server.endpoint_url}. Its output:\n{output or '(none)'}",
            pytrace=False,
        )
    raise AssertionError("unreachable")


@pytest.fixture(scope="session")
def moto_server_endpoint(request: pytest.FixtureRequest) -> str:
    """URL (``http://127.0.0.1:PORT``) of a moto server thread shared by the session.

    See the module docstring: ``moto.mock_aws`` in the same process resets this server's state.
    """
    from moto.server import ThreadedMotoServer

    # werkzeug logs every request at INFO; keep that out of failure reports while we run.
    werkzeug_logger = logging.getLogger("werkzeug")
    previous_level = werkzeug_logger.level
    werkzeug_logger.setLevel(logging.WARNING)
    request.addfinalizer(lambda: werkzeug_logger.setLevel(previous_level))

    # Port 0: the OS picks a free port at bind time, so there is no race with other processes.
    server = ThreadedMotoServer(ip_address=_LOOPBACK, port=0, verbose=False)
    server.start()
    request.addfinalizer(server.stop)
    host, port = server.get_host_and_port()
    endpoint_url = f"http://{host}:{port}"

    _wait_for_moto(endpoint_url)
    return endpoint_url


@pytest.fixture(scope="session")
def dummy_aws_env() -> Iterator[None]:
    """Opt-in: set dummy ``AWS_*`` variables for the session, restoring them afterwards.

    For code that builds its own botocore session (PynamoDB models without credentials in
    ``Meta``). It also unsets ``AWS_PROFILE`` and points the config files at ``/dev/null``.
    """
    patch = pytest.MonkeyPatch()
    try:
        patch.setenv("AWS_ACCESS_KEY_ID", DUMMY_ACCESS_KEY_ID)
        patch.setenv("AWS_SECRET_ACCESS_KEY", DUMMY_SECRET_ACCESS_KEY)
        patch.setenv("AWS_DEFAULT_REGION", DUMMY_REGION)
        patch.setenv("AWS_REGION", DUMMY_REGION)
        patch.setenv("AWS_CONFIG_FILE", os.devnull)
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
        for name in (
            "AWS_PROFILE",
            "AWS_DEFAULT_PROFILE",
            "AWS_SESSION_TOKEN",
            "AWS_SECURITY_TOKEN",
        ):
            patch.delenv(name, raising=False)
        yield
    finally:
        patch.undo()
