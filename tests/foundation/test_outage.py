"""`Outage`: delays double from `base` up to `cap`, jittered within their upper half; one line per outage each way."""

from __future__ import annotations

import logging

import pytest

from foundation import Outage


def test_delays_grow_exponentially_are_bounded_and_jittered() -> None:
    highest = Outage("db", logging.getLogger("t"), base=0.5, cap=4.0, rng=lambda: 1.0)
    lowest = Outage("db", logging.getLogger("t"), base=0.5, cap=4.0, rng=lambda: 0.0)
    err = ConnectionRefusedError("refused")
    assert [highest.failed(err) for _ in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert [lowest.failed(err) for _ in range(5)] == [0.25, 0.5, 1.0, 2.0, 2.0]


def test_an_outage_is_logged_once_when_it_starts_and_once_when_it_ends(caplog: pytest.LogCaptureFixture) -> None:
    now = [100.0]
    outage = Outage("the job store", logging.getLogger("t"), clock=lambda: now[0])
    caplog.set_level(logging.DEBUG)
    outage.recovered()  # up all along: nothing to say
    for _ in range(50):
        outage.failed(ConnectionRefusedError("refused"))
        now[0] += 1
    assert outage.down
    outage.recovered()
    outage.recovered()
    loud = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert loud == [
        "the job store is unavailable; retrying with backoff until it is back: refused",
        "the job store is back after 50.0 s (50 failed tries)",
    ]
    assert not outage.down
