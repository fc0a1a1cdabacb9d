"""approvals.identity: the user name the command line acts as on DynamoDB, as the Go service
derives it from the STS caller ARN."""

from __future__ import annotations

import pytest

from approvals import ValidationError
from approvals.identity import MAX_USER_NAME_LENGTH, user_from_arn

DERIVED = [
    ("arn:aws:iam::123456789012:user/alice", "alice"),
    ("arn:aws:iam::123456789012:user/admins/team1/alice", "alice"),
    ("arn:aws:sts::123456789012:assumed-role/AdminRole/bob", "bob"),
    (
        "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_abc/alice@company.com",
        "alicecompanycom",
    ),
    ("arn:aws:sts::123456789012:federated-user/carol", "carol"),
    ("arn:aws-us-gov:iam::123456789012:user/dave", "dave"),
    ("arn:aws-cn:iam::123456789012:user/eve", "eve"),
    ("arn:aws:iam::123456789012:root", "root"),
    ("arn:aws:iam::123456789012:user/Jean-Luc.Picard_1", "JeanLucPicard1"),
    ("arn:aws:iam::123456789012:user/ab" + "c" * 30, "ab" + "c" * 18),
    ("arn:aws:sts::123456789012:assumed-role/R/zoë", "zo"),
]


@pytest.mark.parametrize(("arn", "user"), DERIVED)
def test_the_user_name_is_derived_from_the_caller_arn(arn: str, user: str) -> None:
    assert user_from_arn(arn) == user
    assert len(user) <= MAX_USER_NAME_LENGTH


REFUSED = [
    "",
    "alice",
    "arn:aws:iam::123456789012",
    "arn:aws-iso:iam::123456789012:user/alice",  # a partition the Go service does not accept
    "arn:aws:iam::12345:user/alice",  # account id not 12 characters
    "arn:aws:iam::123456789012:role/Admin",
    "arn:aws:iam::123456789012:user/",
    "arn:aws:sts::123456789012:assumed-role/AdminRole",  # no session name
    "arn:aws:sts::123456789012:user/moto",  # STS has no user resource
    "arn:aws:sts::123456789012:root",
    "arn:aws:s3:::bucket/key",
    "arn:aws:iam::123456789012:user/@@@",  # nothing left after the ASCII filter
    "arn:aws:sts::123456789012:federated-user/",
]


@pytest.mark.parametrize("arn", REFUSED)
def test_an_arn_without_a_user_name_is_refused(arn: str) -> None:
    with pytest.raises(ValidationError) as refused:
        user_from_arn(arn)
    assert refused.value.field == "identity"
