"""`SqlJobStore`: the `JobStore` on SQLite or PostgreSQL, composed of one mixin per concern, each in its own module
beside its in-memory twin (`jobqueue._memory_<concern>`):

- `jobqueue._sql_core`: the shared state (database, options, kept references) and statement helpers;
- `jobqueue._sql_jobs`: enqueue, read, cancel, retry, purge and delivery bookkeeping (`SqlJobs`);
- `jobqueue._sql_leases`: claims, lease-guarded worker writes, reaping, the worker registry (`SqlLeases`);
- `jobqueue._sql_blobs`: blobs and their retention, `gc` and `forget_user` (`SqlBlobs`);
- `jobqueue._sql_settings`: guild settings, pausing, meta values (`SqlSettings`);
- `jobqueue._sql_stats`: position, ETA and queue statistics (`SqlStats`);
- `jobqueue._sql_advisory`: advisory leases, named roles one process holds at a time (`SqlAdvisory`);
- `jobqueue._sql_previews`: instant previews, made once per job and shown once (`SqlPreviews`).

Other features (challenges) reach the same database through `store.db` with their own tables and Alembic revisions,
run the job units `get_job`/`enqueue_job`/`cancel_job` inside their own transactions, and name what they keep alive
in the `KeptRefs` handed to the store where it is opened.
"""

from __future__ import annotations

from jobqueue._sql_advisory import SqlAdvisory
from jobqueue._sql_blobs import SqlBlobs
from jobqueue._sql_jobs import SqlJobs
from jobqueue._sql_leases import SqlLeases
from jobqueue._sql_previews import SqlPreviews
from jobqueue._sql_settings import SqlSettings
from jobqueue._sql_stats import SqlStats

__all__ = ["SqlJobStore"]


class SqlJobStore(SqlJobs, SqlLeases, SqlBlobs, SqlSettings, SqlStats, SqlAdvisory, SqlPreviews):
    """The durable `JobStore` (see `jobqueue.open_store`)."""
