"""Run every benchmark, print the tables, write ``benchmarks/results/latest.json`` and charts.

Usage (``nox -s bench`` runs the first)::

    python -m benchmarks.run                 # full run, about 5 minutes on 2 cores
    python -m benchmarks.run --quick         # small sizes, results in a temporary directory
    python -m benchmarks.run --parts overhead,roundtrips --output /tmp/bench

Servers: moto's server runs in its own Python process and dynalite in a node process, so client
and server CPU never share a GIL. Without node or dynalite (``npm ci --prefix tests/servers
--ignore-scripts``) the dynalite measurements are skipped and the results say why.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.common import (
    RESULTS,
    dynalite_missing,
    machine,
    running,
    sample_request,
    sample_requests,
    start_dynalite,
    start_moto_server,
    use_dummy_aws_environment,
)

PARTS = ("overhead", "roundtrips", "bulk", "peers", "scaling", "memory", "sqlite")
COMMAND = "nox -s bench"


@dataclass(frozen=True)
class Sizes:
    """How much each part does; the full sizes keep ``nox -s bench`` under 10 minutes."""

    overhead_rounds: int = 15
    overhead_batch: int = 200
    profile_calls: int = 3000
    bulk_items: int = 20_000
    # moto's Scan pages cost O(table) each, so its one 20k-item round takes about a minute
    # (each export ~20 s). On dynalite an import round takes ~11 s plus ~26 s for create-only
    # (single conditional puts: dynalite has no transactions) and an export round ~2 s.
    bulk_rounds_moto: tuple[int, int] = (1, 1)
    # moto copies its whole table for each TransactWriteItems: create-only there imports these.
    create_only_items_moto: int = 1_000
    bulk_rounds_dynalite: tuple[int, int] = (3, 7)
    peers_rounds: int = 7
    peers_calls: int = 100
    peers_bulk_items: int = 5_000
    peers_bulk_rounds: int = 3
    scaling_items: int = 2_500
    memory_sizes: tuple[int, ...] = (10_000, 50_000)
    sqlite_calls: int = 3_000
    sqlite_gets: int = 20_000
    sqlite_startup_rows: int = 100_000


QUICK = Sizes(
    overhead_rounds=3,
    overhead_batch=30,
    profile_calls=200,
    bulk_items=300,
    bulk_rounds_moto=(1, 1),
    create_only_items_moto=200,
    bulk_rounds_dynalite=(2, 3),
    peers_rounds=2,
    peers_calls=20,
    peers_bulk_items=500,
    peers_bulk_rounds=2,
    scaling_items=200,
    memory_sizes=(500, 2_000),
    sqlite_calls=300,
    sqlite_gets=2_000,
    sqlite_startup_rows=5_000,
)


def _print_overhead(part: dict[str, Any]) -> None:
    print(
        f"\nClient CPU per call, HTTP stubbed (median of {part['rounds']} rounds "
        f"x {part['batch']} calls, µs)"
    )
    print(
        f"{'operation':<10}{'facade':>10}{'pynamodb':>10}{'boto3':>10}"
        f"{'facade/boto3':>14}{'facade/pynamodb':>17}  target"
    )
    for op, row in part["operations"].items():
        us = row["median_us"]
        verdict = "met" if row["met"] else "MISSED"
        print(
            f"{op:<10}{us['facade']:>10.1f}{us['pynamodb']:>10.1f}{us['boto3']:>10.1f}"
            f"{row['facade_vs_boto3']:>13.2f}x{row['facade_vs_pynamodb']:>16.2f}x  "
            f"<= {row['target']}x {verdict}"
        )
    for op, lines in part.get("profile", {}).items():
        print(f"  where the facade's {op} time goes:")
        for line in lines[:8]:
            print(f"    {line['share'] * 100:5.1f}%  {line['where']}")


def _print_roundtrips(servers: list[dict[str, Any]]) -> None:
    print("\nRound trips per operation (facade; Go original from its code)")
    names = [s["server"] for s in servers]
    print(f"{'operation':<28}" + "".join(f"{n:>14}" for n in names) + f"{'Go':>6}  calls")
    for index, row in enumerate(servers[0]["rows"]):
        counts = [s["rows"][index]["round_trips"] for s in servers]
        calls = " | ".join(",".join(s["rows"][index]["calls"]) for s in servers)
        print(
            f"{row['operation']:<28}"
            + "".join(f"{c:>14}" for c in counts)
            + f"{row['go_round_trips']:>6}  {calls}"
        )


def _print_bulk(servers: list[dict[str, Any]]) -> None:
    for server in servers:
        print(
            f"\nBulk throughput on {server['server']}, {server['items']} items "
            f"(median of {server['import_rounds']}/{server['export_rounds']} import/export "
            "rounds, items/s)"
        )
        for name, value in server["items_per_s"].items():
            print(f"  {name:<32}{value:>10.0f}")
        for name, ratio in server["ratios"].items():
            verdict = "met" if ratio >= server["target"] else "MISSED"
            print(f"  {name:<48}{ratio:>7.3f}x  (>= {server['target']}x {verdict})")
        trips = server["create_only_round_trips_per_1000"]
        verdict = "met" if trips <= 10 else "MISSED"
        if not server["create_only_transactional"]:
            verdict = "n/a: no transactions on this server, single conditional puts"
        print(
            f"  create-only round trips per 1,000 items {trips:>9.1f}  (<= 10 {verdict}; "
            f"create-only imported {server['create_only_items']} items)"
        )


def _print_scaling(servers: list[dict[str, Any]]) -> None:
    for server in servers:
        print(f"\nScaling on {server['server']}, {server['items']} items (items/s)")
        print(
            "  export by segments: "
            + ", ".join(f"{r['segments']}: {r['items_per_s']:.0f}" for r in server["export"])
        )
        if server["import"]:
            print(
                "  import by workers:  "
                + ", ".join(f"{r['workers']}: {r['items_per_s']:.0f}" for r in server["import"])
            )


def _print_memory(part: dict[str, Any]) -> None:
    print(f"\nPeak RSS of export_jsonl (child process per size, {part['server']})")
    for row in part["rows"]:
        print(
            f"  {row['size']:>7} items: peak {row['peak_mb_after']:.1f} MB "
            f"(after start-up {row['peak_mb_before']:.1f} MB)"
        )
    verdict = "met" if part["met"] else "MISSED"
    print(f"  growth {part['growth_mb']:.1f} MB (< {part['limit_mb']} MB {verdict})")


def run(parts: list[str], sizes: Sizes, output: Path) -> dict[str, Any]:
    """Run ``parts`` at ``sizes``; write latest.json and the charts to ``output``; return them."""
    from benchmarks import (
        bulk,
        chart,
        memory,
        overhead,
        peers,
        profile,
        roundtrips,
        scaling,
        sqlite,
    )

    started = time.monotonic()
    results: dict[str, Any] = {
        "command": COMMAND,
        "machine": machine(),
        "sizes": sizes.__dict__,
        "servers": "moto server: `python -m moto.server` in its own process; dynalite: node "
        "process; both on 127.0.0.1",
        "skipped": {},
    }
    from approvals.observe import TRACING_AVAILABLE

    results["machine"]["opentelemetry_installed"] = TRACING_AVAILABLE
    if "overhead" in parts:
        part = overhead.measure(
            rounds=sizes.overhead_rounds, batch=sizes.overhead_batch, request=sample_request(7)
        )
        missed = [op for op, row in part["operations"].items() if not row["met"]]
        if missed:
            contenders = overhead.build(sample_request(7))
            try:
                part["profile"] = {
                    op: profile.profile(contenders.calls["facade"][op], calls=sizes.profile_calls)
                    for op in missed
                }
            except ImportError:
                results["skipped"]["profile"] = "pyinstrument is not installed"
        results["overhead"] = part
        _print_overhead(part)

    if "sqlite" in parts:
        with tempfile.TemporaryDirectory() as scratch:
            results["sqlite"] = sqlite.measure(
                Path(scratch),
                calls=sizes.sqlite_calls,
                gets=sizes.sqlite_gets,
                startup_rows=sizes.sqlite_startup_rows,
            )
        sqlite.report(results["sqlite"])

    starters = [start_moto_server]
    missing = dynalite_missing()
    if missing is None:
        starters.append(start_dynalite)
    elif any(p in parts for p in ("roundtrips", "bulk", "peers", "scaling", "memory")):
        results["skipped"]["dynalite"] = missing
        print(f"\ndynalite skipped: {missing}", file=sys.stderr)
    with running(*starters) as servers, tempfile.TemporaryDirectory() as scratch:
        workdir = Path(scratch)
        if "roundtrips" in parts:
            results["roundtrips"] = [roundtrips.measure(server) for server in servers]
            _print_roundtrips(results["roundtrips"])
        if "bulk" in parts:
            requests = sample_requests(sizes.bulk_items)
            source = bulk.write_jsonl_for(requests, workdir / "bulk.jsonl")
            rounds_for = {"moto-server": sizes.bulk_rounds_moto}
            results["bulk"] = [
                bulk.measure(
                    server,
                    source,
                    len(requests),
                    workdir,
                    import_rounds=rounds[0],
                    export_rounds=rounds[1],
                    create_only_items=sizes.create_only_items_moto
                    if server.name == "moto-server"
                    else None,
                )
                for server in servers
                for rounds in [rounds_for.get(server.name, sizes.bulk_rounds_dynalite)]
            ]
            _print_bulk(results["bulk"])
        if "peers" in parts:
            # One server, the fastest: dynalite when installed (moto's Scan is O(table) a page).
            server = servers[-1]
            results["peers"] = {
                "single": peers.single_ops(
                    server, rounds=sizes.peers_rounds, calls=sizes.peers_calls
                ),
                "bulk": peers.bulk(
                    server,
                    sample_requests(sizes.peers_bulk_items),
                    rounds=sizes.peers_bulk_rounds,
                ),
            }
            peers.report(results["peers"])
        if "scaling" in parts:
            requests = sample_requests(sizes.scaling_items)
            source = bulk.write_jsonl_for(requests, workdir / "scaling-source.jsonl")
            results["scaling"] = [
                scaling.measure(
                    server,
                    source,
                    requests,
                    workdir,
                    export_repeats=1 if server.name == "moto-server" else 5,
                    import_curve=server.name == "dynalite",  # the one without transactions
                )
                for server in servers
            ]
            _print_scaling(results["scaling"])
        if "memory" in parts:
            # dynalite seeds 50k items in seconds; moto's Scan pages cost O(table) each.
            fastest = servers[-1]
            results["memory"] = memory.measure(fastest, sizes.memory_sizes, workdir)
            _print_memory(results["memory"])

    results["elapsed_s"] = round(time.monotonic() - started, 1)
    output.mkdir(parents=True, exist_ok=True)
    (output / "latest.json").write_text(json.dumps(results, indent=1, sort_keys=False) + "\n")
    drawn = chart.draw(results, output)
    print(
        f"\nwrote {', '.join(str(p) for p in [output / 'latest.json', *drawn])} "
        f"({results['elapsed_s']} s)"
    )
    return results


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument(
        "--parts", default=",".join(PARTS), help=f"comma-separated subset of {','.join(PARTS)}"
    )
    parser.add_argument("--output", type=Path, default=None, help="where to write the results")
    args = parser.parse_args(argv)
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        parser.error(f"unknown parts: {', '.join(unknown)}")
    use_dummy_aws_environment()
    # The TTL warning dynalite causes on every new table is expected here.
    logging.getLogger("approvals").setLevel(logging.ERROR)
    output = args.output
    if output is None:
        output = Path(tempfile.mkdtemp(prefix="bench-")) if args.quick else RESULTS
    run(parts, QUICK if args.quick else Sizes(), output)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
