"""Community style challenges: /challenge start|end|cancel|extend|organisers|submit|withdraw|info|leaderboard.

Challenges live in the queue's database, behind the `jobqueue.ChallengeStore` the entry point hands to `Stylebot`
(`challenges=`; tests hand in one with a movable clock). A bot built without one (the command payload, unit tests of
other features) still registers the commands, but runs no deadlines and answers them with an error.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot._bot import Stylebot
from bot.exts.challenge._cog import Challenges

__all__ = ["Challenges", "setup"]

logger = logging.getLogger(__name__)


async def setup(bot: Stylebot) -> None:
    store = bot.challenge_store
    if store is None:
        logger.info("challenges are off: this bot was given no challenge store")
    config = bot.config
    voting = timedelta(hours=config.challenge_voting_hours)
    await bot.add_cog(Challenges(bot, store, voting_period=voting, tick=config.challenge_tick_seconds))
