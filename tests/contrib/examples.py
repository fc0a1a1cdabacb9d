"""Helpers for the example-app tests: import an example module, serve a WSGI app in a thread, run
an example's documented command."""

from __future__ import annotations

import importlib.util
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import IO, Any

from werkzeug.serving import make_server

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load_flask_example() -> ModuleType:
    """examples/flask_app/app.py as a module (examples are scripts, not a package)."""
    name = "approvals_flask_example"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, EXAMPLES / "flask_app" / "app.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 (a free port) in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="example-app", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def example_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of an example's process: no APPROVALS_ or DJANGO_ settings of the
    caller's, the local store in ``data_dir``, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("APPROVALS_", "DJANGO_"))}
    env.update(APPROVALS_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1", **extra)
    return env


@contextmanager
def running(
    command: list[str], *, data_dir: Path, ready: str, env: dict[str, str] | None = None
) -> Iterator[None]:
    """Run an example's documented command with its local store in ``data_dir`` (and ``env``);
    returns once a line of its output contains ``ready`` (AssertionError with the output if it
    exits)."""
    env = example_env(data_dir, **(env or {}))
    process = subprocess.Popen(
        [sys.executable, *command],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True)
    reader.start()
    try:
        output: list[str] = []
        while True:  # until the server says it is serving, or its output ends
            line = lines.get(timeout=60)
            output.append(line)
            if ready in line or line == "":
                break
        assert process.poll() is None, "".join(output)
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)
        reader.join(timeout=30)


def _read_lines(stream: IO[str], lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)
    lines.put("")  # end of output


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
