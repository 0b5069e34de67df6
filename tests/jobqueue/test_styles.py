"""The `StyleStore` contract, run on InMemoryStyleStore and on SqlStyleStore over SQLite and PostgreSQL (where its
binaries exist): names, the cap, renames, built-ins setting, blob retention and forgetting a picture's owner."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from jobqueue import (
    BlobNotFound,
    JobNotFound,
    JobState,
    NewJob,
    NewStyle,
    SqlStyleStore,
    StyleLimitReached,
    StyleNameTaken,
    StyleNotFound,
    StyleStore,
    challenge_kept_refs,
    style_kept_refs,
)
from jobqueue.styles.testing import in_memory_style_stores
from tests.jobqueue.helpers import PNG, FakeClock, store_options
from tests.jobqueue.sqlstores import room_stores

GUILD, ORGANISER, MEMBER, OTHER = 10, 30, 40, 50


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def stores(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[tuple[Any, StyleStore]]:
    kept = style_kept_refs(challenge_kept_refs())
    opts = store_options(clock)
    async with room_stores(request, tmp_path, opts, memory=in_memory_style_stores, kept=kept, room=SqlStyleStore) as s:
        yield s


async def _add(jobs: Any, styles: StyleStore, name: str, *, owner: int = ORGANISER, data: bytes = b"s", **kw: Any):
    sha = await jobs.put_blob(PNG + data)
    new = NewStyle(guild_id=GUILD, name=name, sha=sha, added_by=ORGANISER, owner_id=owner)
    return await styles.add(new, max_styles=kw.get("max_styles", 10))


async def _job(jobs: Any, user_id: int, content: str, style: str) -> Any:
    new = NewJob(user_id=user_id, content_sha=content, style_shas=(style,), params={"preset": "fast"}, guild_id=GUILD)
    return await jobs.enqueue(new)


async def test_names_are_unique_per_server_case_insensitively(stores: tuple[Any, StyleStore]) -> None:
    jobs, styles = stores
    added = await _add(jobs, styles, "Blue Period")
    with pytest.raises(StyleNameTaken):
        await _add(jobs, styles, "blue   PERIOD", data=b"other")
    assert (await styles.get(GUILD, "BLUE period")).id == added.id
    other_guild = NewStyle(guild_id=GUILD + 1, name="Blue Period", sha=added.sha, added_by=1, owner_id=1)
    assert (await styles.add(other_guild, max_styles=1)).guild_id == GUILD + 1
    assert [s.name for s in await styles.list_styles(GUILD)] == ["Blue Period"]


async def test_the_cap_refuses_one_more_style(stores: tuple[Any, StyleStore]) -> None:
    jobs, styles = stores
    await _add(jobs, styles, "a", max_styles=2)
    await _add(jobs, styles, "b", data=b"b", max_styles=2)
    with pytest.raises(StyleLimitReached) as info:
        await _add(jobs, styles, "c", data=b"c", max_styles=2)
    assert info.value.limit == 2


async def test_an_unknown_picture_is_refused(stores: tuple[Any, StyleStore]) -> None:
    _, styles = stores
    with pytest.raises(BlobNotFound):
        await styles.add(NewStyle(GUILD, "x", "0" * 64, ORGANISER, ORGANISER), max_styles=5)


async def test_rename_and_remove(stores: tuple[Any, StyleStore]) -> None:
    jobs, styles = stores
    await _add(jobs, styles, "Old")
    await _add(jobs, styles, "Taken", data=b"t")
    with pytest.raises(StyleNameTaken):
        await styles.rename(GUILD, "old", "TAKEN")
    renamed = await styles.rename(GUILD, "old", "New Name")
    assert renamed.name == "New Name"
    assert (await styles.rename(GUILD, "new name", "NEW NAME")).name == "NEW NAME"  # only the case changes
    removed = await styles.remove(GUILD, "new name")
    assert removed.id == renamed.id
    with pytest.raises(StyleNotFound):
        await styles.get(GUILD, "New Name")
    with pytest.raises(StyleNotFound):
        await styles.remove(GUILD, "New Name")


async def test_builtins_hidden_is_a_per_server_setting(stores: tuple[Any, StyleStore]) -> None:
    _, styles = stores
    assert not await styles.builtins_hidden(GUILD)
    await styles.set_builtins_hidden(GUILD, True)
    assert await styles.builtins_hidden(GUILD) and not await styles.builtins_hidden(GUILD + 1)
    await styles.set_builtins_hidden(GUILD, False)
    assert not await styles.builtins_hidden(GUILD)


async def test_gc_keeps_a_style_picture_while_the_style_exists(stores: tuple[Any, StyleStore], clock: Any) -> None:
    jobs, styles = stores
    style = await _add(jobs, styles, "Kept")
    clock.advance(3600)
    await jobs.gc(retention_seconds=60)
    assert await jobs.get_blob(style.sha)
    await styles.remove(GUILD, "Kept")
    await jobs.gc(retention_seconds=60)
    with pytest.raises(BlobNotFound):
        await jobs.get_blob(style.sha)


async def test_removing_a_style_keeps_its_picture_for_queued_jobs(stores: tuple[Any, StyleStore], clock: Any) -> None:
    jobs, styles = stores
    style = await _add(jobs, styles, "Busy")
    content = await jobs.put_blob(PNG + b"content")
    job = await _job(jobs, MEMBER, content, style.sha)
    await styles.remove(GUILD, "Busy")
    clock.advance(3600)
    await jobs.gc(retention_seconds=60)
    [claimed] = await jobs.claim("w1", lease_seconds=30)
    assert claimed.id == job.id and await jobs.get_blob(style.sha)


async def test_forget_owner_deletes_their_pictures_styles_and_jobs_made_from_them(
    stores: tuple[Any, StyleStore],
) -> None:
    jobs, styles = stores
    saved = await _add(jobs, styles, "From Bob", owner=OTHER, data=b"bob")  # saved from OTHER's upload
    mine = await _add(jobs, styles, "Organiser's", data=b"org")
    picture = await jobs.put_blob(PNG + b"bob's photo")  # MEMBER right-clicked OTHER's message
    await styles.record_owner(picture, OTHER)
    right_click = await _job(jobs, MEMBER, picture, mine.sha)
    with_style = await _job(jobs, MEMBER, await jobs.put_blob(PNG + b"alice"), saved.sha)
    unrelated = await _job(jobs, MEMBER, await jobs.put_blob(PNG + b"alice2"), mine.sha)

    forgotten = await styles.forget_owner(OTHER)

    assert (forgotten.styles, forgotten.jobs) == (1, 2)
    assert [s.name for s in await styles.list_styles(GUILD)] == ["Organiser's"]
    for gone in (right_click, with_style):
        with pytest.raises(JobNotFound):
            await jobs.get(gone.id)
    for sha in (picture, saved.sha):
        with pytest.raises(BlobNotFound):
            await jobs.get_blob(sha)
    assert (await jobs.get(unrelated.id)).state is JobState.QUEUED and await jobs.get_blob(mine.sha)
    assert (await styles.forget_owner(OTHER)).jobs == 0


async def test_owners_of_lists_who_a_picture_belongs_to(stores: tuple[Any, StyleStore]) -> None:
    jobs, styles = stores
    style = await _add(jobs, styles, "Owned", owner=OTHER)
    assert await styles.owners_of(style.sha) == [OTHER]
    await styles.record_owner(style.sha, MEMBER)
    await styles.record_owner(style.sha, MEMBER)  # once is enough
    assert await styles.owners_of(style.sha) == sorted([OTHER, MEMBER])
    assert await styles.owners_of(await jobs.put_blob(PNG + b"nobody's")) == []


async def test_forget_owner_keeps_a_running_job_and_its_picture_until_asked_again(
    stores: tuple[Any, StyleStore],
) -> None:
    jobs, styles = stores
    picture = await jobs.put_blob(PNG + b"bob's photo")
    await styles.record_owner(picture, OTHER)
    style = await _add(jobs, styles, "S")
    job = await _job(jobs, MEMBER, picture, style.sha)
    [running] = await jobs.claim("w1", lease_seconds=30)
    assert (await styles.forget_owner(OTHER)).jobs == 0
    assert await jobs.get_blob(picture)
    await jobs.complete(running, result=PNG + b"result", meta={})
    assert (await styles.forget_owner(OTHER)).jobs == 1
    with pytest.raises(JobNotFound):
        await jobs.get(job.id)
    with pytest.raises(BlobNotFound):
        await jobs.get_blob(picture)
