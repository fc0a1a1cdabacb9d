"""How dynalite is started, for the test plugin (``plugin.py``) and the benchmarks alike.

Plain Python without pytest, so that ``benchmarks/`` can import it too.
"""

from __future__ import annotations

from pathlib import Path

DYNALITE_CLI = Path(__file__).resolve().parent / "node_modules" / "dynalite" / "cli.js"


def dynalite_command(node: str, host: str, port: int) -> list[str]:
    """The command line of an in-memory dynalite on ``host``:``port`` whose tables are ACTIVE
    by the next request instead of after 500 ms (``--createTableMs 0`` and the like)."""
    command = [node, str(DYNALITE_CLI), "--host", host, "--port", str(port)]
    for option in ("--createTableMs", "--deleteTableMs", "--updateTableMs"):
        command += [option, "0"]
    return command
