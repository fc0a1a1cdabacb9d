"""``python -m approvals`` and the ``approvals`` console script.

The command line needs the ``cli`` extra (click and rich); the library itself needs only
pynamodb. Without the extra this says what to install instead of printing a traceback.
"""

from __future__ import annotations

import sys

# What the cli extra brings; anything else missing is a real bug and keeps its traceback.
_CLI_EXTRA_MODULES = {"click", "rich"}


def main() -> None:
    """Run the ``approvals`` command line; exit 2 with one line when the cli extra is missing."""
    try:
        from approvals.cli import main as cli_main
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in _CLI_EXTRA_MODULES:
            raise
        sys.stderr.write(
            f"approvals: the command line needs the cli extra ({exc.name} is not installed): "
            "pip install 'sentinel-approvals[cli]'\n"
        )
        raise SystemExit(2) from None
    cli_main()


if __name__ == "__main__":
    main()
