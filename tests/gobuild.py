"""Build the small Go programs under tests/fixtures/go offline, or skip the test that needs one.

They are built in GOPATH mode against Debian's Go packages (``/usr/share/gocode``): Go itself
(``golang-go``) and, for the policy decoder, gopkg.in/yaml.v3 (``golang-gopkg-yaml.v3-dev``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import FIXTURES

DEBIAN_GOPATH = Path("/usr/share/gocode")
BUILD_TIMEOUT_S = 600


def go_program(name: str, output_dir: Path, *, packages: dict[str, str] | None = None) -> Path:
    """Build ``tests/fixtures/go/{name}.go`` into ``output_dir`` and return the binary.

    ``packages`` maps each Go import path the program needs to the Debian package that has it;
    the test is skipped, naming the install command, when Go or one of them is missing.
    """
    needed = packages or {}
    missing = ["golang-go"] if shutil.which("go") is None else []
    missing += [deb for path, deb in needed.items() if not (DEBIAN_GOPATH / "src" / path).is_dir()]
    if missing:
        pytest.skip(f"needs Go and its packages: apt-get install {' '.join(missing)}")
    env = dict(
        os.environ,
        GO111MODULE="off",
        GOPROXY="off",
        GOFLAGS="",
        GOPATH=str(DEBIAN_GOPATH),
        CGO_ENABLED="0",
    )
    if not any(env.get(var) for var in ("GOCACHE", "HOME", "XDG_CACHE_HOME")):
        env["GOCACHE"] = str(output_dir / "gocache")
    binary = output_dir / name
    result = subprocess.run(
        ["go", "build", "-o", str(binary), str(FIXTURES / "go" / f"{name}.go")],
        env=env,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
    )
    if result.returncode != 0:
        raise RuntimeError(f"go build {name}.go failed:\n{result.stdout}{result.stderr}")
    return binary
