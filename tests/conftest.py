"""Shared fixtures. Tests run on CPU with random VGG weights and synthesized images; nothing is downloaded."""

from __future__ import annotations

import os

import pytest

# Engine tests use seeded random weights; the engine still logs a loud warning when it uses them.
os.environ.setdefault("STYLEBOT_WEIGHTS", "random")
os.environ.setdefault("STYLEBOT_DEVICE", "cpu")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
