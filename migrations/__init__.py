"""Alembic migrations of the stylebot database (`jobqueue.open_store` and `stylebot db upgrade` apply them).

New tables come as new revisions in `versions/` (never edit a merged revision); import their models in `env.py`.
By hand from a checkout: `alembic -c migrations/alembic.ini -x url=sqlite+aiosqlite:///data/stylebot.db upgrade head`
or `... revision --autogenerate -m "add challenges"`.
"""

from pathlib import Path

__all__ = ["MIGRATIONS_DIR"]

MIGRATIONS_DIR = Path(__file__).resolve().parent
