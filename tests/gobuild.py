"""Build the Go programs the tests run, offline, from Debian's Go packages.

Go 1.19 (``golang-go``) in GOPATH mode against ``/usr/share/gocode``, where Debian's
``golang-*-dev`` packages put their source: the AWS SDK for Go v2 for the conformance check
(tests/interop), gopkg.in/yaml.v3 for the policy decoder. Without them a test skips locally, naming
the install command, and fails in CI (``CI=true``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.servers.plugin import _unavailable

DEBIAN_GOPATH = Path("/usr/share/gocode")
BUILD_TIMEOUT_S = 600


def go_build(source: Path, output: Path, *, packages: Mapping[str, str] | None = None) -> Path:
    """Build ``source`` (a .go file or a package directory) into the binary ``output``.

    ``packages`` maps each Go import path the program needs to the Debian package that has it.
    Skips (fails in CI) when Go or one of them is missing; fails the test when the build fails.
    """
    needed = packages or {}
    missing = ["golang-go"] if shutil.which("go") is None else []
    missing += [deb for path, deb in needed.items() if not (DEBIAN_GOPATH / "src" / path).is_dir()]
    if missing:
        _unavailable(f"needs Go and its packages: apt-get install {' '.join(sorted(set(missing)))}")
    env = dict(
        os.environ,
        GO111MODULE="off",
        GOPROXY="off",
        GOFLAGS="",
        GOPATH=str(DEBIAN_GOPATH),
        CGO_ENABLED="0",  # pure Go: no C compiler needed
    )
    if not any(env.get(var) for var in ("GOCACHE", "HOME", "XDG_CACHE_HOME")):
        env["GOCACHE"] = str(output.parent / "gocache")
    directory, target = (source, ".") if source.is_dir() else (source.parent, source.name)
    command = ["go", "build", "-o", str(output), target]
    result = subprocess.run(
        command, cwd=directory, env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S
    )
    if result.returncode != 0:
        pytest.fail(
            f"`{' '.join(command)}` in {directory} failed ({result.returncode}):\n"
            f"{result.stdout}{result.stderr}",
            pytrace=False,
        )
    return output
