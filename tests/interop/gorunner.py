"""Build and drive the Go client in ``goclient/`` (a stand-in for the Go sentinel service).

The client is built offline in GOPATH mode from Debian's packages: Go 1.19 (``golang-go``) and
the AWS SDK for Go v2 (``golang-github-aws-aws-sdk-go-v2-dev``, under ``/usr/share/gocode``).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from approvals import DynamoDBStore
from tests.servers.plugin import dynamodb_client

GO_SOURCE = Path(__file__).resolve().parent / "goclient"
#: The Go packages the client imports besides the standard library, and their Debian package.
SDK_PACKAGES = {
    path: "golang-github-aws-aws-sdk-go-v2-dev"
    for path in (
        "github.com/aws/aws-sdk-go-v2/aws",
        "github.com/aws/aws-sdk-go-v2/credentials",
        "github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue",
        "github.com/aws/aws-sdk-go-v2/service/dynamodb",
        "github.com/aws/smithy-go",
    )
}
RUN_TIMEOUT_S = 120

#: The client's exit codes (see goclient/main.go) and the error kinds it prints with them.
EXIT_CODES = {
    "other": 1,
    "usage": 2,
    "concurrent_modification": 3,
    "not_found": 4,
    "exists": 5,
    "validation": 6,
    "invalid_state": 7,
}


@dataclass(frozen=True)
class GoResult:
    """One run of the client: its exit code and the JSON object it printed last."""

    code: int
    doc: dict[str, Any]

    @property
    def error(self) -> str | None:
        """The error kind the client reported (``concurrent_modification``, ...), or None."""
        kind = self.doc.get("error")
        return str(kind) if kind is not None else None


class PausedWrite:
    """A decision the client has read for but not yet written (``--pause``).

    ``read`` is the request as the client read it. :meth:`finish` lets it write.
    """

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self._process = process
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            _, stderr = process.communicate(timeout=RUN_TIMEOUT_S)
            raise RuntimeError(f"Go client ended before its read ({process.returncode}): {stderr}")
        doc = json.loads(line)
        if "read" not in doc:
            process.communicate(timeout=RUN_TIMEOUT_S)
            raise RuntimeError(f"Go client failed to read ({process.returncode}): {doc}")
        self.read: dict[str, Any] = doc["read"]

    def finish(self) -> GoResult:
        """Let the client write, wait for it, and return its result."""
        stdout, stderr = self._process.communicate("\n", timeout=RUN_TIMEOUT_S)
        return _result(self._process.returncode, stdout, stderr)


def _result(code: int, stdout: str, stderr: str) -> GoResult:
    lines = stdout.strip().splitlines()
    if not lines:
        raise RuntimeError(f"Go client printed nothing (exit {code}); stderr: {stderr}")
    return GoResult(code, json.loads(lines[-1]))


class GoClient:
    """Runs the built client against one table on one endpoint.

    A command's ``tz`` is the client's TZ: the zone of the ``time.Now()`` it writes.
    """

    def __init__(self, binary: Path, endpoint: str, table: str) -> None:
        self.binary = binary
        self.endpoint = endpoint
        self.table = table

    def _command(self, args: tuple[str, ...]) -> list[str]:
        return [str(self.binary), *args, "--endpoint", self.endpoint, "--table", self.table]

    @staticmethod
    def _env(tz: str) -> Mapping[str, str]:
        # Nothing from the test environment: the client reads no AWS variable or file anyway.
        return {"TZ": tz}

    def run(self, *args: str, tz: str = "UTC") -> GoResult:
        """Run one command; return its exit code and JSON output whatever they are."""
        result = subprocess.run(
            self._command(args),
            env=self._env(tz),
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_S,
            check=False,
        )
        return _result(result.returncode, result.stdout, result.stderr)

    def ok(self, *args: str, tz: str = "UTC") -> dict[str, Any]:
        """Run one command that must succeed; return its JSON output."""
        result = self.run(*args, tz=tz)
        assert result.code == 0, f"goclient {' '.join(args)} failed: {result.doc}"
        return result.doc

    def get(self, request_id: str) -> dict[str, Any]:
        """``get``: the client's read (``request``) and the item it unmarshalled (``item``)."""
        return self.ok("get", request_id)

    def paused(self, command: str, request_id: str, *args: str, tz: str = "UTC") -> PausedWrite:
        """Start a decision (or ``touch``) that reads now and writes when finished."""
        process = subprocess.Popen(
            self._command((command, request_id, *args, "--pause")),
            env=self._env(tz),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            return PausedWrite(process)
        except BaseException:
            process.kill()
            process.communicate()
            raise


@dataclass(frozen=True)
class Interop:
    """One table on a DynamoDB server, seen by this library and by the Go client."""

    store: DynamoDBStore
    go: GoClient

    def raw_item(self, request_id: str) -> dict[str, str]:
        """The stored item's attributes as the strings the server holds (S and N alike)."""
        client = dynamodb_client(self.go.endpoint)
        try:
            item = client.get_item(TableName=self.store.table_name, Key={"id": {"S": request_id}})
        finally:
            client.close()
        return {name: str(next(iter(value.values()))) for name, value in item["Item"].items()}
