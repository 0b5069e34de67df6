"""What `/forget` does to a member's challenge rows (`forget_member`), run by the job store's `forget_user` in its own
transaction (`KeptRefs.forget`, wired by `challenge_kept_refs`), before it decides which jobs and blobs to delete.

A challenge is *live* while it is open or its winners are not announced yet; afterwards it is *finished*.

- entries: withdrawn ones are deleted everywhere, and every entry in a finished challenge (with the votes on them);
  active entries of live challenges stay (they are in the running: the member withdraws them first). Deleting an
  entry releases its job and picture, which `forget_user` then deletes like any other of the member's jobs;
- votes the member cast: taken back in live challenges, anonymised in finished ones (the voter id becomes a random
  negative number, never a Discord id), so a finished leaderboard keeps its counts;
- finished challenges the member organised or ended: organiser 0, ended by nobody.
"""

from __future__ import annotations

from sqlalchemy import Select, delete, or_, select, update

from jobqueue._db import Tx
from jobqueue.challenges._rows import CHALLENGES, ENTRIES, VOTES
from jobqueue.challenges._types import ChallengeState, EntryState
from jobqueue.challenges.rules import anonymous_voter

__all__ = ["forget_member"]


def _live_challenges() -> Select[tuple[int]]:
    live = or_(CHALLENGES.c.state == ChallengeState.OPEN.value, CHALLENGES.c.announced_at.is_(None))
    return select(CHALLENGES.c.id).where(live)


def forget_member(tx: Tx, user_id: int) -> int:
    """Delete or anonymise the member's challenge rows (see the module docstring); returns the entries deleted."""
    conn, live = tx.conn, _live_challenges()
    doomed = (ENTRIES.c.user_id == user_id) & (
        (ENTRIES.c.state == EntryState.WITHDRAWN.value) | ENTRIES.c.challenge_id.not_in(live)
    )
    conn.execute(delete(VOTES).where(VOTES.c.entry_id.in_(select(ENTRIES.c.id).where(doomed))))
    deleted = len(conn.execute(delete(ENTRIES).where(doomed).returning(ENTRIES.c.id)).all())
    in_live = VOTES.c.entry_id.in_(select(ENTRIES.c.id).where(ENTRIES.c.challenge_id.in_(live)))
    conn.execute(delete(VOTES).where(VOTES.c.voter_id == user_id, in_live))
    for entry_id in conn.execute(select(VOTES.c.entry_id).where(VOTES.c.voter_id == user_id)).scalars().all():
        mine = (VOTES.c.entry_id == entry_id) & (VOTES.c.voter_id == user_id)
        conn.execute(update(VOTES).where(mine).values(voter_id=anonymous_voter()))
    finished = CHALLENGES.c.id.not_in(live)
    conn.execute(update(CHALLENGES).where(finished, CHALLENGES.c.organiser_id == user_id).values(organiser_id=0))
    conn.execute(update(CHALLENGES).where(finished, CHALLENGES.c.ended_by == user_id).values(ended_by=None))
    return deleted
