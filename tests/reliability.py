"""Figures for docs/reliability.md, recorded by the race and fault tests during a run.

Tests call :func:`record`; the terminal summary (tests/conftest.py) prints what was recorded, so
the figures in the document come from a run, not from expectation.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

_FIGURES: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)


def record(section: str, name: str, **figures: Any) -> None:
    """Record (or replace) the figures of one named check in a section."""
    _FIGURES[section][name] = figures


def summary_lines() -> list[str]:
    """The recorded figures as lines of text, one per check, grouped by section."""
    lines: list[str] = []
    for section in sorted(_FIGURES):
        lines.append(f"[{section}]")
        for name, figures in sorted(_FIGURES[section].items()):
            shown = ", ".join(f"{key}={value}" for key, value in figures.items())
            lines.append(f"  {name}: {shown}")
    return lines
