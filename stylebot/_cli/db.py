"""`stylebot db upgrade|backup|prune`: schema migrations, an online SQLite backup and retention by hand.

`upgrade` applies the Alembic migrations in `migrations/` under the same cross-process lock that `stylebot bot` and
`stylebot engine` take at start-up. `backup` copies a live SQLite database with SQLite's online backup API (safe
while the bot and engines run) into an owner-only (0600) file whatever the umask, since it holds interaction tokens
and members' images; for PostgreSQL it points at `pg_dump`. `prune` deletes stored images and results
older than `--older-than` days (default STYLEBOT_RETENTION_DAYS), as every engine does hourly (stylebot.retention),
and drops interaction tokens older than 15 minutes, as every engine does every 5 minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
from pathlib import Path
from typing import Any

from foundation import private_file
from stylebot._cli._args import bounded_float
from stylebot.errors import UsageError
from stylebot.settings import Settings

__all__ = ["add_db_argument", "database_url", "register"]


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        default=None,
        metavar="URL",
        help="database URL (default STYLEBOT_DATABASE_URL or the data dir's SQLite)",
    )


_days = bounded_float(0, inclusive=True, unit="days")


def register(subparsers: Any) -> None:
    db = subparsers.add_parser("db", help="database schema and backups")
    sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True, parser_class=type(db))
    up = sub.add_parser("upgrade", help="apply the schema migrations (safe while other processes start)")
    add_db_argument(up)
    up.set_defaults(func=run_upgrade)
    backup = sub.add_parser("backup", help="copy a live SQLite database to FILE (PostgreSQL: use pg_dump)")
    backup.add_argument("file", type=Path, help="backup file to create")
    backup.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    add_db_argument(backup)
    backup.set_defaults(func=run_backup)
    prune = sub.add_parser(
        "prune", help="delete images and results older than the retention age, and expired interaction tokens, now"
    )
    prune.add_argument(
        "--older-than",
        type=_days,
        default=None,
        metavar="DAYS",
        help="age in days (default STYLEBOT_RETENTION_DAYS; 0 = everything no queued, recent or undelivered job needs)",
    )
    add_db_argument(prune)
    prune.set_defaults(func=run_prune)


def database_url(args: argparse.Namespace, settings: Settings) -> str:
    """The database a command with `add_db_argument` works on: its --db, else the settings' URL."""
    return args.db or settings.resolved_database_url


def run_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from jobqueue import check_schema, expected_revision, upgrade_schema

    url = database_url(args, settings)

    async def go() -> None:
        await upgrade_schema(url)
        await check_schema(url)

    asyncio.run(go())
    sys.stdout.write(f"database is at revision {expected_revision()}\n")
    return 0


def run_backup(args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy.engine import make_url

    url = make_url(database_url(args, settings))
    if url.get_backend_name() != "sqlite":
        safe = url.set(drivername="postgresql").render_as_string(hide_password=True)
        raise UsageError(f"backup works on SQLite only; for PostgreSQL run: pg_dump --format=custom '{safe}' > FILE")
    source = Path(url.database or "")
    if not source.is_file():
        raise UsageError(f"no SQLite database at {source}")
    target: Path = args.file
    if target.exists() and not args.force:
        raise UsageError(f"{target} exists (use --force to overwrite)")
    if target.resolve() == source.resolve():
        raise UsageError("the backup file must not be the database itself")
    try:
        private_file(target)  # before SQLite creates it with the umask's mode (an existing one is tightened)
        src = sqlite3.connect(source, timeout=30)
        try:
            dst = sqlite3.connect(target)
            try:
                src.backup(dst, pages=1024)
            finally:
                dst.close()
        finally:
            src.close()
    except (sqlite3.Error, OSError) as exc:
        raise UsageError(f"backup of {source} to {target} failed: {exc}") from exc
    sys.stdout.write(f"backed up {source} to {target} ({target.stat().st_size} bytes)\n")
    return 0


def run_prune(args: argparse.Namespace, settings: Settings) -> int:
    import jobqueue
    from stylebot.retention import expire_tokens_once, prune_once

    days = settings.retention_days if args.older_than is None else args.older_than
    if days < 0:
        raise UsageError(f"STYLEBOT_RETENTION_DAYS={days:g} must be 0 or more")

    async def go() -> tuple[int, int]:
        url = database_url(args, settings)
        kept = jobqueue.style_kept_refs(jobqueue.challenge_kept_refs())  # keep what challenges and styles use
        store = await jobqueue.open_store(url, migrate=False, kept=kept)
        try:
            return await prune_once(store, retention_days=days), await expire_tokens_once(store)
        finally:
            await store.close()

    removed, tokens = asyncio.run(go())
    sys.stdout.write(f"pruned {removed} stored images/results older than {days:g} days\n")
    sys.stdout.write(f"dropped {tokens} interaction tokens older than 15 minutes\n")
    return 0
