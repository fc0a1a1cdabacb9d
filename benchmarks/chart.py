"""The PNG charts of a results document (``benchmarks/results/*.png``), drawn with matplotlib."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt

COLOURS = {"facade": "#1f77b4", "pynamodb": "#ff7f0e", "boto3": "#2ca02c", "go": "#7f7f7f"}


def _machine_line(results: dict[str, Any]) -> str:
    machine = results["machine"]
    return (
        f"{machine['cores']} cores, Python {machine['python']}, {machine['date'][:10]}, "
        f"`{results['command']}`"
    )


def _save(figure: Any, results: dict[str, Any], path: Path) -> Path:
    """Sign ``figure`` with the machine and command of ``results``, write it to ``path`` and
    close it; returns ``path``."""
    figure.text(0.01, 0.01, _machine_line(results), fontsize=7, color="#555555")
    figure.tight_layout(rect=(0, 0.03, 1, 1))
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def overhead_chart(results: dict[str, Any], path: Path) -> Path:
    """Bar chart of client CPU per operation for the three contenders; returns ``path``."""
    part = results["overhead"]
    operations = list(part["operations"])
    figure, axes = plt.subplots(figsize=(8, 4.5))
    width = 0.26
    for index, name in enumerate(("facade", "pynamodb", "boto3")):
        values = [part["operations"][op]["median_us"][name] for op in operations]
        positions = [x + (index - 1) * width for x in range(len(operations))]
        axes.bar(positions, values, width, label=name, color=COLOURS[name])
    for x, op in enumerate(operations):
        row = part["operations"][op]
        top = max(row["median_us"].values())
        axes.annotate(
            f"{row['facade_vs_boto3']:.2f}x boto3",
            (x, top),
            textcoords="offset points",
            xytext=(0, 4),
            ha="center",
            fontsize=9,
        )
    axes.set_xticks(range(len(operations)), operations)
    axes.set_ylabel("client CPU per call (µs, median)")
    axes.set_title("Client CPU per operation, HTTP stubbed (lower is better)")
    axes.legend(loc="upper left")
    axes.margins(y=0.15)
    return _save(figure, results, path)


def roundtrips_chart(results: dict[str, Any], path: Path) -> Path:
    """Bar chart of round trips per operation: facade per server beside Go; returns ``path``."""
    servers = results["roundtrips"]
    operations = [row["operation"] for row in servers[0]["rows"]]
    series = [
        (server["server"], [row["round_trips"] for row in server["rows"]]) for server in servers
    ]
    series.append(("Go original", [row["go_round_trips"] for row in servers[0]["rows"]]))
    figure, axes = plt.subplots(figsize=(9, 4.5))
    width = 0.8 / len(series)
    palette = ["#1f77b4", "#9467bd", COLOURS["go"]]
    for index, (name, values) in enumerate(series):
        positions = [x + (index - (len(series) - 1) / 2) * width for x in range(len(operations))]
        axes.bar(
            positions,
            values,
            width,
            label=f"facade on {name}" if index < len(servers) else name,
            color=palette[index % len(palette)],
        )
    axes.set_xticks(
        range(len(operations)), [op.replace(" that ", "\nthat ") for op in operations], fontsize=8
    )
    axes.set_ylabel("DynamoDB round trips")
    axes.set_yticks(range(0, 4))
    axes.set_title("Round trips per operation (lower is better)")
    axes.legend(fontsize=8)
    return _save(figure, results, path)


def bulk_chart(results: dict[str, Any], path: Path) -> Path:
    """Bar chart of bulk throughput per contender and server; returns ``path``."""
    servers = results["bulk"]
    names = list(servers[0]["items_per_s"])
    figure, axes = plt.subplots(figsize=(9, 4.5))
    width = 0.8 / len(servers)
    for index, server in enumerate(servers):
        positions = [x + (index - (len(servers) - 1) / 2) * width for x in range(len(names))]
        axes.bar(
            positions,
            [server["items_per_s"][n] for n in names],
            width,
            label=f"{server['server']} ({server['items']} items)",
        )
    axes.set_xticks(range(len(names)), [n.replace(" (", "\n(") for n in names], fontsize=8)
    axes.set_ylabel("items per second (median)")
    axes.set_yscale("log")
    axes.set_title("Bulk throughput on loopback servers (higher is better)")
    axes.legend(fontsize=8)
    return _save(figure, results, path)


def scaling_chart(results: dict[str, Any], path: Path) -> Path:
    """Line chart of export/import throughput against segments/threads; returns ``path``."""
    figure, axes = plt.subplots(figsize=(8, 4.5))
    palette = ["#1f77b4", "#ff7f0e", "#2ca02c"]
    for index, server in enumerate(results["scaling"]):
        colour = palette[index % len(palette)]
        label = f"{server['server']}, {server['items']} items"
        axes.plot(
            [r["segments"] for r in server["export"]],
            [r["items_per_s"] for r in server["export"]],
            marker="o",
            color=colour,
            label=f"export_jsonl by scan segments ({label})",
        )
        axes.plot(
            [r["workers"] for r in server["import"]],
            [r["items_per_s"] for r in server["import"]],
            marker="s",
            linestyle="--",
            color=colour,
            label=f"import_jsonl create-only by writer threads ({label})",
        )
    axes.set_xscale("log", base=2)
    axes.set_xticks([1, 2, 4, 8], ["1", "2", "4", "8"])
    axes.set_yscale("log")
    axes.set_xlabel("scan segments / writer threads")
    axes.set_ylabel("items per second")
    axes.set_title("Bulk throughput against parallelism (loopback, 2 cores)")
    axes.legend(fontsize=7)
    return _save(figure, results, path)


def draw(results: dict[str, Any], directory: Path) -> list[Path]:
    """Draw every chart the results have data for into ``directory``; return the files."""
    drawn = []
    for key, draw_one in (
        ("roundtrips", roundtrips_chart),
        ("overhead", overhead_chart),
        ("bulk", bulk_chart),
        ("scaling", scaling_chart),
    ):
        if results.get(key):
            drawn.append(draw_one(results, directory / f"{key}.png"))
    return drawn
