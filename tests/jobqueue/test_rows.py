"""`jobqueue._rows`: the fast frozen-dataclass builder behind `job_from_row` gives what the constructor gives."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from jobqueue._rows import _frozen_maker
from jobqueue._types import DeliveryTarget, Job, JobState


def _values() -> dict[str, object]:
    job = Job(
        id=3,
        state=JobState.RUNNING,
        user_id=7,
        guild_id=None,
        channel_id=9,
        kind="stylize",
        params={"size": 64},
        content_sha="c",
        style_shas=("s",),
        target=DeliveryTarget(),
        lease_token="t",
        created_at=datetime(2026, 1, 2, tzinfo=UTC),
    )
    return {f.name: getattr(job, f.name) for f in dataclasses.fields(Job)}


def test_frozen_maker_builds_the_same_frozen_object_as_the_constructor() -> None:
    values = _values()
    made = _frozen_maker(Job)(dict(values))
    assert made == Job(**values)  # type: ignore[arg-type]
    assert repr(made) == repr(Job(**values))  # type: ignore[arg-type]
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.id = 4  # type: ignore[misc]
    assert dataclasses.replace(made, id=4).id == 4


def test_frozen_maker_refuses_missing_or_unknown_fields() -> None:
    make = _frozen_maker(Job)
    values = _values()
    del values["error"]
    with pytest.raises(TypeError, match="error"):
        make(values)
    with pytest.raises(TypeError, match="bogus"):
        make({**_values(), "bogus": 1})


def test_frozen_maker_refuses_a_class_with_post_init() -> None:
    @dataclasses.dataclass(frozen=True)
    class Checked:
        x: int

        def __post_init__(self) -> None:
            if self.x < 0:
                raise ValueError("negative")

    with pytest.raises(TypeError, match="Checked"):
        _frozen_maker(Checked)
