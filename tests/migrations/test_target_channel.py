"""Revision 0005_target_channel: the delivery target's channel gets its own column; existing rows keep their one
channel as the delivery channel, and a downgrade folds the two back into one without losing either."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text

import jobqueue
from jobqueue import DeliveryTarget, TargetKind
from jobqueue._migrate import migrations_dir
from tests.jobqueue.helpers import submit


def _alembic(url: str, fn: str, target: str) -> None:
    engine = create_engine(url)
    try:
        cfg = Config()
        cfg.set_main_option("script_location", str(migrations_dir()))
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            getattr(command, fn)(cfg, target)
    finally:
        engine.dispose()


async def test_down_folds_the_channels_into_one_and_up_copies_it_to_the_target(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    store = await jobqueue.open_store(url)
    try:
        both = await submit(store, channel_id=10, target=DeliveryTarget(kind=TargetKind.CHANNEL, channel_id=20))
        target_only = await submit(store, 2, target=DeliveryTarget(kind=TargetKind.CHANNEL, channel_id=30))
    finally:
        await store.close()
    sync_url = f"sqlite:///{tmp_path / 'm.db'}"
    _alembic(sync_url, "downgrade", "0004_claim_order_index")
    engine = create_engine(sync_url)
    with engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT id, channel_id FROM jobs")).all())
    engine.dispose()
    assert rows == {both.id: 10, target_only.id: 30}  # what the old single column held
    _alembic(sync_url, "upgrade", "head")
    store = await jobqueue.open_store(url, migrate=False)
    try:
        for job_id, channel in rows.items():
            job = await store.get(job_id)
            assert (job.channel_id, job.target.channel_id) == (channel, channel)
    finally:
        await store.close()
