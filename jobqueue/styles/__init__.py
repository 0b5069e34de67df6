"""A server's style library, a room of its own inside the queue: tables, the store and its errors.

    jobs = await jobqueue.open_store(url, kept=style_kept_refs(challenge_kept_refs()))  # gc keeps styles' pictures
    styles = SqlStyleStore(jobs)                                                        # on the job store's database
    style = await styles.add(NewStyle(guild_id=..., name="Starry", sha=..., added_by=..., owner_id=...), max_styles=50)

- `StyleStore` (`_protocol`): the interface; `SqlStyleStore` (`_store`) implements it on the job store's database,
  `testing.InMemoryStyleStore` on dicts (one contract suite runs on both);
- `errors`: `StyleError` and its subclasses (under `jobqueue.JobQueueError`);
- `_types`: the frozen value objects and `name_key`; `_models` the tables; `_rows` statements and `style_kept_refs`.

Importing this package pulls in no SQLAlchemy: the SQL store is loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from foundation import lazy_exports

from jobqueue.styles._protocol import StyleStore
from jobqueue.styles._types import NewStyle, OwnerForgotten, Style, name_key
from jobqueue.styles.errors import StyleError, StyleLimitReached, StyleNameTaken, StyleNotFound

if TYPE_CHECKING:
    from jobqueue.styles._rows import style_kept_refs
    from jobqueue.styles._store import SqlStyleStore

_LAZY = {"SqlStyleStore": "jobqueue.styles._store", "style_kept_refs": "jobqueue.styles._rows"}

__all__ = [
    "NewStyle",
    "OwnerForgotten",
    "SqlStyleStore",
    "Style",
    "StyleError",
    "StyleLimitReached",
    "StyleNameTaken",
    "StyleNotFound",
    "StyleStore",
    "name_key",
    "style_kept_refs",
]

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals(), __all__)
