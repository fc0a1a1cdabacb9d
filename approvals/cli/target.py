"""Which store a command runs on: DynamoDB when botocore resolves a region (or an endpoint is
given), else the local SQLite store; ``--local`` forces it. On DynamoDB the acting identity is
the STS caller."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import botocore.session
from botocore.exceptions import BotoCoreError, ClientError
from botocore.utils import validate_region_name

from approvals.errors import StoreError
from approvals.identity import user_from_arn

__all__ = [
    "DUMMY_CREDENTIALS",
    "ENDPOINT_ONLY_REGION",
    "ConfigurationError",
    "Target",
    "is_loopback",
    "resolve_target",
]

ENDPOINT_ONLY_REGION = "us-east-1"
"""The region signed with when only an endpoint is given (local servers ignore it)."""
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
"""Set for a loopback endpoint when no credentials are configured (never for another one)."""


class ConfigurationError(Exception):
    """The AWS configuration cannot be read (a missing profile, a malformed config file)."""


@dataclass(frozen=True)
class Target:
    """The store a command runs on: a DynamoDB table, or the local SQLite file ``path``."""

    table: str
    region: str | None = None
    endpoint_url: str | None = None
    profile: str | None = None
    path: Path | None = None

    @property
    def on_dynamodb(self) -> bool:
        """True for a DynamoDB table (AWS or an endpoint), False for the local store."""
        return self.path is None

    def describe(self) -> str:
        """Name the store, e.g. ``table sentinel-requests in eu-west-1``."""
        if self.path is not None:
            return f"local store {self.path}"
        if self.endpoint_url is not None:
            return f"table {self.table} at {self.endpoint_url}"
        return f"table {self.table} in {self.region}"

    def caller(self) -> str:
        """Return the user name of the AWS caller (STS GetCallerIdentity), as the Go service
        derives it. On a loopback endpoint STS is asked at that endpoint (moto answers it).

        Raises StoreError when STS cannot be asked, ValidationError when the ARN names no user.
        """
        loopback = self.endpoint_url is not None and is_loopback(self.endpoint_url)
        try:
            client: Any = _session(self.profile).create_client(
                "sts",
                region_name=self.region,
                endpoint_url=self.endpoint_url if loopback else None,
            )
            arn = str(client.get_caller_identity()["Arn"])
        except (BotoCoreError, ClientError) as exc:
            raise StoreError(
                f"cannot tell who you are: STS GetCallerIdentity failed: {exc}", retryable=False
            ) from exc
        return user_from_arn(arn)


def is_loopback(url: str) -> bool:
    """True when ``url``'s host is ``localhost`` or a loopback address (127.0.0.0/8, ::1)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _session(profile: str | None) -> botocore.session.Session:
    return botocore.session.Session(profile=profile)


def _has_credentials(session: botocore.session.Session) -> bool:
    """Whether credentials are configured, without asking instance or container metadata."""
    resolver: Any = session.get_component("credential_provider")
    for method in ("iam-role", "container-role"):
        if resolver.get_provider(method) is not None:
            resolver.remove(method)
    return session.get_credentials() is not None


def resolve_target(
    *,
    table: str,
    region: str | None,
    endpoint_url: str | None,
    profile: str | None,
    local: bool,
    local_path: Path,
) -> Target:
    """Choose the store from the settings given (``--local`` wins over configured ones).

    A loopback ``endpoint_url`` gets dummy credentials in the environment when none are
    configured. Raises ConfigurationError when botocore cannot read the configuration.
    """
    if local:
        return Target(table=table, path=local_path)
    if endpoint_url:
        parts = urlsplit(endpoint_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigurationError(
                f"--endpoint-url {endpoint_url!r} is not an http:// or https:// URL"
            )
    session = _session(profile)
    try:
        region = region or session.get_config_variable("region") or None
        if region is not None:
            validate_region_name(region)
        if endpoint_url and is_loopback(endpoint_url) and not _has_credentials(session):
            for name, value in DUMMY_CREDENTIALS.items():
                os.environ[name] = value
    except BotoCoreError as exc:
        raise ConfigurationError(str(exc)) from exc
    if endpoint_url:
        return Target(table, region or ENDPOINT_ONLY_REGION, endpoint_url, profile)
    if region:
        return Target(table, region, None, profile)
    return Target(table=table, path=local_path)
