"""Community style challenges: /challenge start|end|cancel|extend|organisers|submit|withdraw|info|leaderboard.

Challenges live in the queue's SQL database (`jobqueue.ChallengeStore`). A bot built without a store (the command
payload) or on the in-memory store (unit tests of other features) still registers the commands, but runs no
deadlines and answers them with an error; `Stylebot.challenge_store`, when set before start, is used as is (tests
hand in one with a movable clock).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot._bot import Stylebot
from bot.exts.challenge._cog import Challenges

__all__ = ["Challenges", "setup"]

logger = logging.getLogger(__name__)


async def setup(bot: Stylebot) -> None:
    from jobqueue import ChallengeStore

    store = getattr(bot, "challenge_store", None)
    if store is None:
        try:
            jobs = bot.store
        except RuntimeError:  # built for the command payload only
            jobs = None
        store = ChallengeStore.for_job_store(jobs) if jobs is not None else None
        if jobs is not None and store is None:
            logger.warning("challenges are off: the job store has no SQL database behind it")
    config = bot.config
    voting = timedelta(hours=config.challenge_voting_hours)
    await bot.add_cog(Challenges(bot, store, voting_period=voting, tick=config.challenge_tick_seconds))
