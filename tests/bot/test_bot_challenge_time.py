"""Durations typed by organisers, and how they are shown back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.exts.challenge._time import discord_time, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3d", timedelta(days=3)),
        ("36h", timedelta(hours=36)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1h 30m", timedelta(hours=1, minutes=30)),
        ("2w", timedelta(weeks=2)),
        ("90s", timedelta(seconds=90)),
        ("1.5h", timedelta(minutes=90)),
        ("48", timedelta(hours=48)),
        (" 2D ", timedelta(days=2)),
    ],
)
def test_parse_duration_accepts_common_forms(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "soon", "3 days", "h", "1x", "1h-2m", "d3"])
def test_parse_duration_rejects_anything_else_with_an_example(text: str) -> None:
    with pytest.raises(ValueError, match="3d, 36h or 1h30m"):
        parse_duration(text)


@pytest.mark.parametrize("text", ["9" * 400, "9" * 400 + "h", "99999999999999d", "1" + "0" * 20 + "w", "99999h" * 1000])
def test_parse_duration_refuses_absurd_lengths_instead_of_overflowing(text: str) -> None:
    with pytest.raises(ValueError, match="far too long") as caught:
        parse_duration(text)
    assert len(str(caught.value)) < 100  # the member's 6000 characters are not quoted back


@pytest.mark.parametrize("text", ["1e999h", "-5h", "-5", "inf", "nan", "9" * 6000 + "x"])
def test_parse_duration_refuses_exponents_signs_and_specials_quoting_at_most_a_little(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration") as caught:
        parse_duration(text)
    assert len(str(caught.value)) < 100


def test_format_duration_shows_the_two_largest_units() -> None:
    assert format_duration(timedelta(days=2, hours=4, minutes=5)) == "2d 4h"
    assert format_duration(timedelta(minutes=90)) == "1h 30m"
    assert format_duration(timedelta(0)) == "0s"


def test_discord_time_is_a_timestamp_tag() -> None:
    when = datetime(2026, 1, 1, tzinfo=UTC)
    assert discord_time(when) == f"<t:{int(when.timestamp())}:F>"
    assert discord_time(when, "R").endswith(":R>")
