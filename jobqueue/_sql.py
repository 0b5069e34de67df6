"""Every hot statement of the store, built once with SQLAlchemy Core (compiled once per dialect by `Tx.fast`).

Naming: `bindparam` names are the keys callers pass. State literals are rendered inline (not bound) so that SQLite's
planner can match the partial indexes `ix_jobs_claim_order` (state = 'queued') and `ix_jobs_user_active`.
"""

from __future__ import annotations

from sqlalchemy import (
    Double,
    Update,
    and_,
    bindparam,
    exists,
    func,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import ColumnElement

from jobqueue._models import Blob, GuildSettingsRow, Meta, QueueControl, Worker
from jobqueue._models import Job as JobRow
from jobqueue._rows import NEW_JOB_COLUMNS

__all__ = [
    "COMPLETE",
    "COMPLETE_PROGRESS",
    "HEARTBEAT",
    "HEARTBEAT_PROGRESS",
    "INSERT_JOB",
    "JOBS",
    "JOB_BY_ID",
    "JOB_BY_KEY",
    "claim_for",
    "claim_statement",
    "insert_blob",
    "order_key",
    "state_is",
]

JOBS = JobRow.__table__
BLOBS = Blob.__table__
GUILDS = GuildSettingsRow.__table__
CONTROL = QueueControl.__table__
WORKERS = Worker.__table__
META = Meta.__table__
c = JOBS.c


def state_is(*states: str) -> ColumnElement[bool]:
    """`state = 'x'` / `state IN ('x', 'y')` with inline literals (partial-index friendly)."""
    lits = [literal_column(f"'{s}'") for s in states]
    return c.state == lits[0] if len(lits) == 1 else c.state.in_(lits)


def order_key() -> tuple[ColumnElement[object], ...]:
    return (c.fair_rank, c.priority.desc(), c.id)


JOB_BY_ID = select(JOBS).where(c.id == bindparam("job_id"))
JOB_BY_KEY = select(JOBS).where(c.idempotency_key == bindparam("key"))

ONE = literal_column("1")  # literal LIMIT 1 (a bound LIMIT gets a bad generic plan on PostgreSQL)

# The queue head and a user's last round are O(log n) lookups in the partial indexes ix_jobs_claim_order and
# ix_jobs_user_active. (No other index leads with `state`, or SQLite's planner, without ANALYZE statistics, would
# rather scan the `state = ?` rows of that index and sort them.)
_head = func.coalesce(
    select(c.fair_rank).where(state_is("queued")).order_by(c.fair_rank).limit(ONE).scalar_subquery(),
    0,
)
_mine = (
    func.coalesce(
        select(c.fair_rank)
        .where(c.user_id == bindparam("rank_user"), state_is("queued", "running"))
        .order_by(c.fair_rank.desc())
        .limit(ONE)
        .scalar_subquery(),
        0,
    )
    + 1
)
FAIR_RANK = {"sqlite": func.max(_head, _mine), "postgresql": func.greatest(_head, _mine)}
_INSERT = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
# A retried enqueue (same idempotency key) inserts nothing and returns no row; the caller then reads the first one.
INSERT_JOB = {
    dialect: _INSERT[dialect](JOBS)
    .values({**{name: bindparam(name, type_=JOBS.c[name].type) for name in NEW_JOB_COLUMNS}, "fair_rank": rank})
    .on_conflict_do_nothing(index_elements=["idempotency_key"])
    .returning(c.id)
    for dialect, rank in FAIR_RANK.items()
}


def _claimable(batch: bool) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = [
        state_is("queued"),
        or_(c.not_before.is_(None), c.not_before <= bindparam("now", type_=Double)),
        or_(c.guild_id.is_(None), c.guild_id.not_in(select(GUILDS.c.guild_id).where(GUILDS.c.paused.is_(True)))),
        ~exists().where(CONTROL.c.name == "global", CONTROL.c.paused.is_(True)),
    ]
    if batch:  # batch-mates: the same key, and never a job that already lost an attempt to a crash (it runs alone)
        conds += [c.batch_key == bindparam("want_batch"), c.crashes == literal_column("0")]
    return conds


def claim_statement(dialect: str, *, batch: bool, limit: int) -> Update:
    """One statement: pick the fair head of the queue and lease it (RETURNING the leased rows).

    `limit` is rendered as a literal: PostgreSQL plans a prepared `LIMIT $n` for an unknown row count (a sort of
    the whole queue, ten times slower) where `LIMIT 1` is an index range scan."""
    pick = select(c.id).where(*_claimable(batch)).order_by(*order_key()).limit(literal_column(str(int(limit))))
    if dialect == "postgresql":
        # A materialized CTE runs once: as an IN (subquery) the planner may re-run it per outer row, and with SKIP
        # LOCKED every run locks a further row (the UPDATE then leases more than `limit` jobs).
        picked = pick.with_for_update(skip_locked=True).cte("picked").prefix_with("MATERIALIZED")
        target = update(JOBS).where(c.id == picked.c.id, state_is("queued"))
    else:
        target = update(JOBS).where(c.id.in_(pick.scalar_subquery()), state_is("queued"))
    now = bindparam("now", type_=Double)
    return target.values(
        state="running",
        attempts=c.attempts + 1,
        lease_owner=bindparam("worker"),
        lease_token=bindparam("new_lease"),
        lease_expires_at=bindparam("expires", type_=Double),
        heartbeat_at=now,
        started_at=now,
        finished_at=None,
        # the job's own limit, else the claiming worker's default; NULL (no limit) when neither is set
        deadline_at=now + func.coalesce(c.time_limit_seconds, bindparam("default_limit", type_=Double)),
        progress_step=None,
        progress_total=None,
        progress_loss=None,
        progress_preview_sha=None,
        progress_updated_at=None,
    ).returning(*JOBS.c)


_CLAIMS: dict[tuple[str, bool, int], Update] = {}


def claim_for(dialect: str, *, batch: bool, limit: int) -> Update:
    """The claim statement for this dialect, batch filter and limit (built once per combination)."""
    key = (dialect, batch, limit)
    stmt = _CLAIMS.get(key)
    if stmt is None:
        stmt = _CLAIMS[key] = claim_statement(dialect, batch=batch, limit=limit)
    return stmt


_leased = and_(c.id == bindparam("job_id"), c.lease_token == bindparam("lease"), state_is("running"))
HEARTBEAT = (
    update(JOBS)
    .where(_leased)
    .values(lease_expires_at=bindparam("expires", type_=Double), heartbeat_at=bindparam("now", type_=Double))
    .returning(c.cancel_requested)
)
HEARTBEAT_PROGRESS = (
    update(JOBS)
    .where(_leased)
    .values(
        lease_expires_at=bindparam("expires", type_=Double),
        heartbeat_at=bindparam("now", type_=Double),
        progress_step=bindparam("step"),
        progress_total=bindparam("total"),
        progress_loss=bindparam("loss", type_=Double),
        progress_preview_sha=bindparam("preview_sha"),  # `SqlLeases.heartbeat` deletes the one it supersedes
        progress_updated_at=bindparam("now", type_=Double),
    )
    .returning(c.cancel_requested)
)
_DONE = {
    "state": "succeeded",
    "result_sha": bindparam("b_result_sha"),
    "result_meta": bindparam("b_result_meta"),
    "finished_at": bindparam("now", type_=Double),
    "error": None,
    "lease_token": None,
    "lease_expires_at": None,
    "deadline_at": None,
}
COMPLETE = update(JOBS).where(_leased).values(**_DONE).returning(*JOBS.c)
# completion with the handler's last progress report (the final step may never have reached a heartbeat); the
# preview stays the last one stored
COMPLETE_PROGRESS = (
    update(JOBS)
    .where(_leased)
    .values(
        **_DONE,
        progress_step=bindparam("step"),
        progress_total=bindparam("total"),
        progress_loss=bindparam("loss", type_=Double),
        progress_updated_at=bindparam("now", type_=Double),
    )
    .returning(*JOBS.c)
)


def insert_blob(dialect: str):  # type: ignore[no-untyped-def]
    ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(BLOBS)
    return ins.values(
        sha=bindparam("sha"),
        data=bindparam("data"),
        size=bindparam("size"),
        content_type=bindparam("content_type"),
        created_at=bindparam("now", type_=Double),
    ).on_conflict_do_nothing(index_elements=["sha"])


INSERT_BLOB = {d: insert_blob(d) for d in ("sqlite", "postgresql")}
