"""Who people are: when two names are the same person, and the name an AWS caller acts as.

Identities are compared after NFKC normalisation and casefolding (``Alice`` is ``alice``); stored
values keep their spelling. The command line asks STS GetCallerIdentity for the caller's ARN and
records the name :func:`user_from_arn` derives, exactly as the Go service does. Pure Python.
"""

from __future__ import annotations

import unicodedata

from approvals.errors import ValidationError

__all__ = ["MAX_USER_NAME_LENGTH", "identity_key", "same_identity", "user_from_arn"]

MAX_USER_NAME_LENGTH = 20
"""The Go service cuts a derived user name to this many characters."""


def identity_key(name: str) -> str:
    """Return the form in which two identities are compared: NFKC-normalised and casefolded.

    ``identity_key("Alice") == identity_key("alice")``; stored values keep their own spelling.
    """
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


def same_identity(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` name the same person (compared by :func:`identity_key`)."""
    return identity_key(a) == identity_key(b)


_PARTITIONS = frozenset({"aws", "aws-cn", "aws-us-gov"})
_ACCOUNT_ID_LENGTH = 12


def _raw_name(service: str, resource: str) -> str:
    """The unsanitised name in ``resource``, or "" when the Go service does not accept it."""
    kind, _, rest = resource.partition("/")
    if service == "iam":
        if resource == "root":
            return "root"
        return rest.split("/")[-1] if kind == "user" else ""  # user/path/to/alice -> alice
    if service == "sts":
        if kind == "assumed-role":
            _role, _, session = rest.partition("/")
            return session
        return rest if kind == "federated-user" else ""
    return ""


def user_from_arn(arn: str) -> str:
    """Return the user name of the caller whose ARN is ``arn``, as the Go service derives it.

    * ``arn:aws:iam::123456789012:user/admins/alice`` -> ``alice`` (last part of the path)
    * ``arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin/alice@corp.com`` ->
      ``alicecorpcom`` (the session name)
    * ``arn:aws:sts::123456789012:federated-user/carol`` -> ``carol``
    * ``arn:aws:iam::123456789012:root`` -> ``root``

    Partitions ``aws``, ``aws-cn`` and ``aws-us-gov``; the account id is 12 characters. Only
    ASCII letters and digits are kept, cut to :data:`MAX_USER_NAME_LENGTH` characters. Raises
    ValidationError (field ``identity``) for any other ARN or when no character is left.
    """
    parts = arn.split(":", 5)
    if (
        len(parts) != 6
        or parts[0] != "arn"
        or parts[1] not in _PARTITIONS
        or len(parts[4]) != _ACCOUNT_ID_LENGTH
    ):
        raise ValidationError(f"{arn!r} is not the ARN of an AWS caller", field="identity")
    raw = _raw_name(parts[2], parts[5])
    name = "".join(c for c in raw if c.isascii() and c.isalnum())[:MAX_USER_NAME_LENGTH]
    if not name:
        raise ValidationError(
            f"no user name can be derived from the caller ARN {arn!r} (the Go service accepts "
            "IAM users, assumed-role sessions, federated users and root)",
            field="identity",
        )
    return name
