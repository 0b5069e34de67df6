"""The one custom-id scheme: round trips, limits, and garbage that must parse as None without raising."""

from __future__ import annotations

import re

import pytest

from delivery import custom_ids
from delivery.custom_ids import (
    MAX_LENGTH,
    SAVE_STYLE_TEMPLATE,
    TEMPLATES,
    JobAction,
    ParsedId,
    build,
    job_button_id,
    parse,
    save_style_id,
    template,
)


@pytest.mark.parametrize("action", list(JobAction))
def test_job_ids_round_trip(action: JobAction) -> None:
    text = job_button_id(42, action)
    assert text == f"sb1:job:42:{action.value}"
    assert parse(text) == ParsedId(kind="job", id=42, action=action.value)


def test_entry_vote_and_argument_round_trip() -> None:
    assert parse(build("entry", 7, "vote")) == ParsedId("entry", 7, "vote")
    text = build("entry", 7, "vote", arg="5-stars")
    assert parse(text) == ParsedId("entry", 7, "vote", arg="5-stars")
    assert str(parse(text)) == text


def test_longest_id_fits_discord_limit() -> None:
    longest = build("challenge", 2**63 - 1, "close", arg="x" * 32)
    assert len(longest) <= MAX_LENGTH
    assert parse(longest) is not None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "sb1",
        "sb1:job:42",
        "sb1:job:42:explode",
        "sb1:job:0:cancel",
        "sb1:job:-3:cancel",
        "sb1:job:042:cancel",
        "sb1:job:99999999999999999999:cancel",
        "sb1:job:9223372036854775808:cancel",
        "sb2:job:42:cancel",
        "sb1:robot:42:cancel",
        "sb1:entry:42:cancel",
        "sb1:job:42:cancel:",
        "sb1:job:42:cancel:bad arg",
        "sb1:job:42:cancel\n",
        " sb1:job:42:cancel",
        "SB1:JOB:42:CANCEL",
        "sb1:job:٤٢:cancel",
        "x" * 500,
        "sb1:job:42:cancel:" + "a" * 200,
        "persistent_view:vote:1",
    ],
)
def test_garbage_parses_as_none(text: str) -> None:
    assert parse(text) is None


@pytest.mark.parametrize("value", [None, 42, b"sb1:job:1:cancel", ["sb1:job:1:cancel"]])
def test_non_strings_parse_as_none(value: object) -> None:
    assert parse(value) is None


@pytest.mark.parametrize(
    ("kind", "id", "action"),
    [("nope", 1, "cancel"), ("job", 1, "vote"), ("job", 0, "cancel"), ("job", True, "cancel"), ("job", "1", "cancel")],
)
def test_build_rejects_what_parse_would_reject(kind: str, id: object, action: str) -> None:
    with pytest.raises(ValueError):
        build(kind, id, action)  # type: ignore[arg-type]


def test_templates_match_exactly_what_parse_accepts() -> None:
    for kind, actions in custom_ids.ACTIONS.items():
        pattern = re.compile(TEMPLATES[kind])
        for action in actions:
            text = build(kind, 123, action)
            m = pattern.fullmatch(text)
            assert m is not None and m["id"] == "123" and m["action"] == action
    assert re.fullmatch(TEMPLATES["job"], "sb1:entry:1:vote") is None


@pytest.mark.parametrize("kind", ["job", "challenge"])
def test_save_as_style_ids_round_trip(kind: str) -> None:
    text = save_style_id(kind, 42)
    assert text == f"sb1:{kind}:42:save"
    assert parse(text) == ParsedId(kind=kind, id=42, action="save")


@pytest.mark.parametrize(("kind", "id"), [("entry", 1), ("job", 0), ("nope", 1)])
def test_save_as_style_ids_refuse_what_cannot_be_saved(kind: str, id: int) -> None:
    with pytest.raises(ValueError):
        save_style_id(kind, id)


def test_the_save_template_and_the_job_buttons_template_never_both_match() -> None:
    jobs = re.compile(template("job", JobAction))
    save = re.compile(SAVE_STYLE_TEMPLATE)
    for text in ("sb1:job:7:save", "sb1:challenge:7:save"):
        m = save.fullmatch(text)
        assert m is not None and m["id"] == "7" and m["action"] == "save" and text.startswith(f"sb1:{m['kind']}:")
        assert jobs.fullmatch(text) is None
    for action in JobAction:
        assert jobs.fullmatch(job_button_id(7, action)) is not None
        assert save.fullmatch(job_button_id(7, action)) is None
    for other in ("sb1:entry:7:vote", "sb1:challenge:7:close", "sb1:entry:7:save"):
        assert save.fullmatch(other) is None


@pytest.mark.parametrize(
    ("kinds", "actions"), [("nope", None), (["job", "entry"], ["save"]), ("job", ["vote"]), ("job", [])]
)
def test_template_refuses_kinds_and_actions_that_build_would_refuse(kinds: object, actions: object) -> None:
    with pytest.raises(ValueError):
        template(kinds, actions)  # type: ignore[arg-type]
