"""The result blob is stored under the media type the handler's metadata names (an animation is not a PNG)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from jobqueue import open_store
from jobqueue._sql import BLOBS
from tests.jobqueue.helpers import submit


@pytest.mark.parametrize(
    ("meta", "expected"),
    [({"content_type": "image/gif", "format": "gif"}, "image/gif"), ({"format": "png"}, "image/png")],
)
async def test_a_completed_job_s_result_blob_carries_the_content_type_of_its_meta(
    tmp_path: Path, meta: dict[str, str], expected: str
) -> None:
    store = await open_store(f"sqlite+aiosqlite:///{tmp_path / 'queue.db'}")
    try:
        await submit(store)
        [job] = await store.claim("w1", lease_seconds=30)
        done = await store.complete(job, result=b"GIF89a-result", meta=meta)
        query = select(BLOBS.c.content_type).where(BLOBS.c.sha == done.result_sha)
        stored = await store.db.read(lambda tx: tx.conn.execute(query).scalar())
        assert stored == expected and await store.get_blob(done.result_sha) == b"GIF89a-result"
    finally:
        await store.close()
