"""Read a policy file as the Go service does: YAML with YAML 1.2 scalars, plain data only.

The text is composed into nodes (with the YAML 1.2 core schema's implicit types: ``09:00``,
``no`` and ``on`` stay strings) and read against the policy schema; nothing is constructed, so a
tag such as ``!!python/object`` is refused, not run. A scalar where a string is wanted gives its
text, as Go fills a string field (``version: 1`` is ``"1"``); null is "absent". Every problem is
a ValidationError naming the rule, the dotted key and the line.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from approvals.duration_text import parse_duration
from approvals.errors import ValidationError
from approvals.policy.rules import (
    ApprovalRule,
    AutoApprove,
    TimeWindow,
    check_unique_names,
    within,
)

__all__ = ["SUPPORTED_VERSIONS", "load_rules"]

SUPPORTED_VERSIONS = ("1",)
"""The policy file versions this library reads."""

_MAX_DEPTH = 16  # the schema nests 5 levels; deeper text is refused before it can recurse
_MAX_NODES = 100_000  # nodes read, aliases counted each time: bounds alias fan-out

_CORE = "tag:yaml.org,2002:"
_NULL, _STR, _SEQ, _MAP = _CORE + "null", _CORE + "str", _CORE + "seq", _CORE + "map"
_TEXT_TAGS = frozenset({_STR, _CORE + "bool", _CORE + "int", _CORE + "float"})
_CLOCK = re.compile(r"([0-9]{1,2}):([0-9]{2})")

T = TypeVar("T")


class _Yaml12Loader(yaml.SafeLoader):
    """A SafeLoader whose implicit scalar types are exactly the YAML 1.2 core schema.

    Used to compose only (PyYAML's constructors read YAML 1.1 forms): the tags it resolves tell
    null from text. Nesting deeper than ``_MAX_DEPTH`` is a composer error, so deep text cannot
    exhaust the stack.
    """

    _depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        self._depth += 1
        try:
            if self._depth > _MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise yaml.composer.ComposerError(
                    None, None, f"nested deeper than {_MAX_DEPTH} levels", mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_Yaml12Loader.yaml_implicit_resolvers = {}  # none of SafeLoader's YAML 1.1 types
for _tag, _pattern, _first in (
    ("null", r"~|null|Null|NULL|", ["~", "n", "N", ""]),
    ("bool", r"true|True|TRUE|false|False|FALSE", list("tTfF")),
    ("int", r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+", list("-+0123456789")),
    (
        "float",
        r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)"
        r"|\.(?:nan|NaN|NAN)",
        list("-+0123456789."),
    ),
):
    _Yaml12Loader.add_implicit_resolver(_CORE + _tag, re.compile(rf"^(?:{_pattern})$"), _first)


class _Reader:
    """Reads nodes against the schema; knows the rule being read, for messages."""

    def __init__(self, source: str | None) -> None:
        self.source = source
        self.rule = ""  # "rule 'name'" or "rule #n" while a rule is read
        self.read = 0

    def error(self, node: Node | None, key: str | None, message: str) -> ValidationError:
        where = f"{self.source}: " if self.source else ""
        rule = f"{self.rule}: " if self.rule else ""
        text = f"{key}: {message}" if key else message
        line = f" (line {node.start_mark.line + 1})" if node is not None else ""
        return ValidationError(f"{where}{rule}{text}{line}", field=key)

    def located(self, node: Node, error: ValidationError) -> ValidationError:
        """``error`` with the source and the line of ``node`` added."""
        where = f"{self.source}: " if self.source else ""
        line = node.start_mark.line + 1
        return ValidationError(f"{where}{error} (line {line})", field=error.field)

    def visit(self, node: Node) -> Node:
        self.read += 1
        if self.read > _MAX_NODES:
            raise self.error(node, None, f"the policy has more than {_MAX_NODES} values")
        return node

    def mapping(self, node: Node, key: str | None, allowed: tuple[str, ...]) -> dict[str, Node]:
        """The entries of a mapping node, by key; unknown and repeated keys are refused."""
        self.visit(node)
        if not isinstance(node, MappingNode) or node.tag != _MAP:
            expected = f"must be a mapping with the keys {', '.join(allowed)}"
            raise self.error(node, key, expected + _tag_note(node))
        entries: dict[str, Node] = {}
        for key_node, value_node in node.value:
            name = self.text(key_node, key) if isinstance(key_node, ScalarNode) else None
            path = f"{key}.{name}" if key else name
            if name is None or name not in allowed:
                shown = repr(name) if name is not None else "a key that is not a string"
                expected = ", ".join(allowed)
                raise self.error(key_node, path or key, f"unknown key {shown}; expected {expected}")
            if name in entries:
                raise self.error(key_node, path, "appears twice")
            entries[name] = value_node
        return entries

    def text(self, node: Node, key: str | None) -> str | None:
        """The text of a scalar node (None for null); anything else is refused."""
        self.visit(node)
        if isinstance(node, ScalarNode):
            if node.tag == _NULL:
                return None
            if node.tag in _TEXT_TAGS:
                return str(node.value)
        raise self.error(node, key, "must be a string" + _tag_note(node))

    def texts(self, node: Node | None, key: str) -> tuple[str, ...]:
        """The texts of a sequence node (null or absent is empty); null items are refused."""
        if node is None or _is_null(node):
            return ()
        if not isinstance(node, SequenceNode) or node.tag != _SEQ:
            raise self.error(node, key, "must be a list of strings" + _tag_note(node))
        values = []
        for index, item in enumerate(node.value):
            value = self.text(item, f"{key}[{index}]")
            if not value:
                raise self.error(item, f"{key}[{index}]", "must be a non-empty string")
            values.append(value)
        return tuple(values)

    def parsed(
        self, entries: dict[str, Node], name: str, key: str, parse: Callable[[str], T]
    ) -> T | None:
        """``parse`` of the text at ``name`` of a mapping's ``entries`` (None: absent or null)."""
        node = entries.get(name)
        if node is None:
            return None
        text = self.text(node, f"{key}.{name}")
        if text is None:
            return None
        return self.build(node, f"{key}.{name}", lambda: parse(text))

    def build(self, node: Node, prefix: str, make: Callable[[], T]) -> T:
        """``make()``, with a ValidationError it raises re-keyed under ``prefix`` at ``node``."""
        try:
            return make()
        except ValidationError as error:
            moved = within(prefix, error) if prefix else error
            message = str(moved)
            if moved.field and message.startswith(f"{moved.field}: "):
                message = message[len(moved.field) + 2 :]
            raise self.error(node, moved.field, message) from None


def _entry(node: Node, key: str) -> Node | None:
    """The value of ``key`` in a mapping node, read before the mapping is checked (or None)."""
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.tag == _STR and key_node.value == key:
                return value_node  # type: ignore[no-any-return]
    return None


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == _NULL


def _tag_note(node: Node) -> str:
    if node.tag in _TEXT_TAGS or node.tag in (_NULL, _SEQ, _MAP):
        return ""
    return f" (the tag {node.tag!r} is not allowed: a policy holds plain data only)"


def load_rules(text: str, *, source: str | None = None) -> tuple[ApprovalRule, ...]:
    """The rules of the policy document ``text``, in order; ValidationError when malformed.

    ``source`` (a file name, an SSM parameter) starts every error message when given.
    """
    reader = _Reader(source)
    if not isinstance(text, str):
        raise reader.error(None, None, f"a policy must be text, got {type(text).__name__}")
    try:
        root = yaml.compose(text, Loader=_Yaml12Loader)
    except yaml.YAMLError as exc:
        raise reader.error(None, None, f"not valid YAML: {_yaml_problem(exc)}") from None
    if root is None:
        raise reader.error(None, None, "the policy is empty; it needs version and rules")
    top = reader.mapping(root, None, ("version", "rules"))
    version_node = top.get("version")
    version = reader.text(version_node, "version") if version_node is not None else None
    if version not in SUPPORTED_VERSIONS:
        found = "is missing" if version is None else f"{version!r} is not supported"
        raise reader.error(version_node or root, "version", f'{found}; write version: "1"')
    rules_node = top.get("rules")
    if rules_node is None or _is_null(rules_node):
        raise reader.error(rules_node or root, "rules", "the policy needs at least one rule")
    if not isinstance(rules_node, SequenceNode) or rules_node.tag != _SEQ:
        raise reader.error(rules_node, "rules", "must be a list of rules" + _tag_note(rules_node))
    if not rules_node.value:
        raise reader.error(rules_node, "rules", "the policy needs at least one rule")
    rules: list[ApprovalRule] = []
    for number, node in enumerate(rules_node.value, 1):
        rules.append(_rule(reader, node, number))
        try:
            check_unique_names(rules)
        except ValidationError as error:
            raise reader.located(node, error) from None
    return tuple(rules)


def _rule(reader: _Reader, node: Node, number: int) -> ApprovalRule:
    reader.rule = f"rule #{number}"
    name_node = _entry(node, "name")
    name = reader.text(name_node, "name") if name_node is not None else None
    if name:
        reader.rule = f"rule {name!r}"
    entries = reader.mapping(node, None, ("name", "profiles", "approvers", "auto_approve"))
    profiles = reader.texts(entries.get("profiles"), "profiles")
    approvers = reader.texts(entries.get("approvers"), "approvers")
    auto_node = entries.get("auto_approve")
    auto = _auto_approve(reader, auto_node) if auto_node is not None else None
    rule = reader.build(
        node,
        "",
        lambda: ApprovalRule(
            name=name or "", profiles=profiles, approvers=approvers, auto_approve=auto
        ),
    )
    reader.rule = ""
    return rule


def _auto_approve(reader: _Reader, node: Node) -> AutoApprove:
    key = "auto_approve"
    if _is_null(node):
        raise reader.error(node, key, "is empty; give users, max_duration or time, or remove it")
    entries = reader.mapping(node, key, ("users", "max_duration", "time"))
    cap = reader.parsed(entries, "max_duration", key, _duration)
    time_node = entries.get("time")
    window = _time_window(reader, time_node) if time_node is not None else None
    users = reader.texts(entries.get("users"), f"{key}.users")
    return reader.build(node, key, lambda: AutoApprove(users=users, max_duration=cap, time=window))


def _time_window(reader: _Reader, node: Node) -> TimeWindow:
    key = "auto_approve.time"
    if _is_null(node):
        raise reader.error(node, key, "is empty; give days or hours, or remove it")
    entries = reader.mapping(node, key, ("days", "hours", "timezone"))
    days = reader.texts(entries.get("days"), f"{key}.days")
    start = end = None
    hours_node = entries.get("hours")
    if hours_node is not None:
        hours = reader.mapping(hours_node, f"{key}.hours", ("start", "end"))
        start = _clock(reader, hours.get("start"), f"{key}.hours.start", hours_node)
        end = _clock(reader, hours.get("end"), f"{key}.hours.end", hours_node)
    zone = reader.parsed(entries, "timezone", key, _zone)
    return reader.build(
        node, key, lambda: TimeWindow(days=frozenset(days), start=start, end=end, timezone=zone)
    )


def _clock(reader: _Reader, node: Node | None, key: str, parent: Node) -> dt.time:
    text = reader.text(node, key) if node is not None else None
    if text is None:
        raise reader.error(node or parent, key, "hours need both start and end (HH:MM)")
    match = _CLOCK.fullmatch(text)
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        raise reader.error(node, key, f"{text!r} is not a time of day (HH:MM, 00:00 to 23:59)")
    return dt.time(int(match[1]), int(match[2]))


def _duration(text: str) -> dt.timedelta:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


def _zone(name: str) -> dt.tzinfo | None:
    if not name:
        return None  # an empty timezone reads the clock in the zone of the time asked about
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError, UnicodeError):
        raise ValidationError(
            f"{name!r} is not an IANA time zone (such as Europe/Berlin or UTC)"
        ) from None


def _yaml_problem(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem:
        mark = exc.problem_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        return f"{exc.problem}{where}"
    return " ".join(str(exc).split())
