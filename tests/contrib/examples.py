"""Helpers for the example-app tests: import an example module and serve a WSGI app in a thread."""

from __future__ import annotations

import importlib.util
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

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
