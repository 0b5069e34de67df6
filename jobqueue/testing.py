"""Test doubles of the job queue: `InMemoryJobStore`, the `JobStore` contract on dicts (the challenges' fake is in
`jobqueue.challenges.testing`).

Use it for fast unit tests of the bot, delivery and the worker. It follows the same semantics as `SqlJobStore` (the
contract suite in tests/jobqueue/ runs on both). One asyncio lock stands in for the database's transactions, so
concurrent claimers in one event loop never share a job. Pass `StoreOptions(clock=...)` to move time in tests.
"""

from __future__ import annotations

from jobqueue._memory_store import InMemoryJobStore
from jobqueue._policy import StoreOptions

__all__ = ["InMemoryJobStore", "StoreOptions"]
