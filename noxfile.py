"""Developer tasks: `nox -s tests lint typecheck` is what CI runs; `nox -s bench` measures."""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.reuse_existing_virtualenvs = True

TEST_EXTRAS = ".[test,otel,sns,flask,django,cli]"


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite (pass extra pytest arguments after `--`)."""
    session.install("-e", TEST_EXTRAS)
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package."""
    session.install(
        "-e", ".[otel,sns,flask,django,cli]", "mypy", "boto3-stubs[dynamodb,sns]", "django-stubs>=5"
    )
    session.run("mypy", "--strict", "approvals")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks (never in the default sessions): prints tables, writes benchmarks/results/.

    Pass options after `--`, e.g. `nox -s bench -- --quick` or `-- --parts overhead`.
    """
    import shutil
    from pathlib import Path

    session.install("-e", ".[bench]")
    if shutil.which("npm") and not Path("tests/servers/node_modules/dynalite/cli.js").is_file():
        session.run("npm", "ci", "--prefix", "tests/servers", "--ignore-scripts", external=True)
    session.run("python", "-m", "benchmarks.run", *session.posargs)
