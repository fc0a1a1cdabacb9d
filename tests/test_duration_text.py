"""Go duration text: the policy's max_duration and the CLI's --duration read as Go reads them."""

from __future__ import annotations

import json
import random
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from approvals.duration_text import MAX_NANOSECONDS, parse_duration, parse_duration_ns
from tests.gobuild import go_build
from tests.helpers import FIXTURES

ACCEPTED = [
    ("0", 0),
    ("+0", 0),
    ("-0", 0),
    ("1h", 3_600_000_000_000),
    ("90m", 5_400_000_000_000),
    ("1h30m", 5_400_000_000_000),
    ("1h30m0s", 5_400_000_000_000),
    ("30m1h", 5_400_000_000_000),
    ("1.5h", 5_400_000_000_000),
    ("45s", 45_000_000_000),
    ("1.5s", 1_500_000_000),
    (".5s", 500_000_000),
    ("5.s", 5_000_000_000),
    ("100ms", 100_000_000),
    ("1us", 1_000),
    ("1\u00b5s", 1_000),  # MICRO SIGN
    ("1\u03bcs", 1_000),  # GREEK SMALL LETTER MU
    ("1ns", 1),
    ("0.3333333333h", 1_199_999_999_880),
    ("-1.5h", -5_400_000_000_000),
    ("+8h", 28_800_000_000_000),
    ("0000001s", 1_000_000_000),
    ("1.00000000000000000000000000001s", 1_000_000_000),
    ("9223372036854775807ns", MAX_NANOSECONDS),
    ("-9223372036854775808ns", -MAX_NANOSECONDS - 1),
    ("2562047h47m16.854775807s", MAX_NANOSECONDS),
]

REFUSED = [
    ("", "empty"),
    ("+", "empty"),
    ("5", "missing unit"),
    ("1h30", "missing unit"),
    ("1h 30m", "unknown unit 'h '"),
    (" 1h", "unexpected ' '"),
    ("1d", "unknown unit 'd'"),
    ("1H", "unknown unit 'H'"),
    ("1sec", "unknown unit 'sec'"),
    ("h", "unexpected 'h'"),
    (".s", "a number needs digits"),
    ("-.h", "a number needs digits"),
    ("1..5s", "missing unit"),
    ("--1h", "unexpected '-'"),
    ("1h-30m", "unknown unit 'h-'"),
    ("9223372036854775808ns", "out of range"),
    ("2562048h", "out of range"),
    ("99999999999999999999h", "out of range"),
]


@pytest.mark.parametrize(("text", "nanoseconds"), ACCEPTED)
def test_go_duration_text_is_read_to_the_nanosecond(text: str, nanoseconds: int) -> None:
    assert parse_duration_ns(text) == nanoseconds


@pytest.mark.parametrize(("text", "reason"), REFUSED)
def test_text_go_refuses_is_a_value_error_naming_text_and_reason(text: str, reason: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_duration_ns(text)

    assert str(caught.value).startswith(f"{text!r} is not a duration ({reason}")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1h30m", timedelta(minutes=90)),
        ("1.5us", timedelta(microseconds=1)),
        ("999ns", timedelta(0)),
        ("-1.5us", -timedelta(microseconds=1)),
    ],
)
def test_parse_duration_keeps_whole_microseconds_truncated_toward_zero(
    text: str, expected: timedelta
) -> None:
    assert parse_duration(text) == expected


def test_a_non_string_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="must be a string"):
        parse_duration_ns(90)  # type: ignore[arg-type]


def generated_texts(count: int) -> list[str]:
    """Texts near the grammar (signed runs of number and unit, some broken) and random strings
    over its alphabet; the same on every run."""
    chooser = random.Random(20261202)
    units = ["ns", "us", "\u00b5s", "\u03bcs", "ms", "s", "m", "h", "", "d", "H", " h", "hs"]

    def digits() -> str:
        return "".join(chooser.choices("0123456789", k=chooser.choice([0, 1, 2, 3, 9, 19, 21])))

    def component() -> str:
        fraction = "." + digits() if chooser.random() < 0.4 else ""
        return digits() + fraction + chooser.choice(units)

    near = [
        chooser.choice(["", "", "+", "-"])
        + "".join(component() for _ in range(chooser.randint(1, 4)))
        for _ in range(count)
    ]
    alphabet = [*"0123456789.+-hmsun \u00b5\u03bc"]
    random_texts = [
        "".join(chooser.choices(alphabet, k=chooser.randint(0, 16))) for _ in range(count)
    ]
    return near + random_texts


def go_parse(texts: list[str], tmp_path: Path) -> list[dict[str, object]]:
    """What Go's time.ParseDuration makes of each text (tests/fixtures/go/parseduration.go)."""
    binary = go_build(FIXTURES / "go" / "parseduration.go", tmp_path / "parseduration")
    result = subprocess.run(
        [str(binary)],
        input="".join(f"{text}\n" for text in texts),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return [json.loads(line) for line in result.stdout.splitlines()]


def python_parse(text: str) -> dict[str, object]:
    try:
        return {"ns": parse_duration_ns(text)}
    except ValueError:
        return {"error": True}


def test_every_text_gets_the_same_answer_as_go(tmp_path: Path) -> None:
    texts = [text for text, _ in ACCEPTED] + [text for text, _ in REFUSED] + generated_texts(2500)

    answers = go_parse(texts, tmp_path)

    assert len(answers) == len(texts)
    differences = [
        (text, go, mine)
        for text, go, mine in zip(texts, answers, map(python_parse, texts), strict=True)
        if ("error" in go, go.get("ns")) != ("error" in mine, mine.get("ns"))
    ]
    assert differences == []
