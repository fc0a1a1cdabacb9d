"""Fetch a policy document from an SSM parameter, where the Go service keeps it (needs boto3)."""

from __future__ import annotations

from typing import Any

from approvals.errors import StoreError, ValidationError

__all__ = ["read_parameter"]

_NOT_FOUND = {"ParameterNotFound", "ParameterVersionNotFound"}


def read_parameter(name: str, *, region: str | None = None, client: Any = None) -> str:
    """Return the (decrypted) value of the SSM parameter ``name``.

    ``client`` is a boto3 SSM client (default: a new one for ``region``). A missing parameter or
    a name SSM refuses is a ValidationError (field ``name``); every other failure is a
    StoreError from :func:`approvals.store.translate.translate`, the botocore error chained.
    """
    if not isinstance(name, str) or not name.strip():
        raise ValidationError("the SSM parameter name must be a non-empty string", field="name")
    from botocore.exceptions import BotoCoreError, ClientError

    from approvals.store.translate import error_code

    where = f"SSM parameter {name!r}"
    try:
        if client is None:
            client = _new_client(region)
        region = region or getattr(getattr(client, "meta", None), "region_name", None)
        response = client.get_parameter(Name=name, WithDecryption=True)
    except ClientError as exc:
        code = error_code(exc)
        if code in _NOT_FOUND:
            raise ValidationError(
                f"{where} does not exist in region {region or 'default'}", field="name"
            ) from exc
        if code == "ValidationException":
            reason = exc.response.get("Error", {}).get("Message") or code
            raise ValidationError(f"{where} is refused by SSM: {reason}", field="name") from exc
        raise _translated(exc, where, region) from exc
    except BotoCoreError as exc:
        raise _translated(exc, where, region) from exc
    return str(response["Parameter"]["Value"])


def _translated(exc: Exception, where: str, region: str | None) -> StoreError:
    from approvals.store.translate import translate

    return translate(
        exc, operation="GetParameter", table="", region=region, resource=where, service="SSM"
    )


def _new_client(region: str | None) -> Any:
    try:
        import boto3
    except ImportError as exc:
        raise ImportError(
            "ApprovalPolicy.from_ssm needs boto3: pip install 'sentinel-approvals[ssm]'"
        ) from exc
    return boto3.client("ssm", region_name=region)
