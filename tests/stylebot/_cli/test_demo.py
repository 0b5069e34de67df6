"""`stylebot demo`: the offline product end to end writes the finished result, never the progress preview."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from foundation import StylebotError
from standin import Message, StoredFile
from stylebot._cli.demo import instant_image, result_image

ROOT = Path(__file__).resolve().parents[3]


def _message(embed: dict[str, object], *files: str) -> Message:
    attachments = [StoredFile(i, name, "image/png", name.encode(), {}) for i, name in enumerate(files)]
    return Message(1, 2, 3, 4, embeds=[embed], attachments=attachments)


def test_the_progress_preview_is_not_the_result() -> None:
    running = _message({"title": "Stylizing…", "thumbnail": {"url": "attachment://preview.png"}}, "preview.png")
    assert result_image(running) is None
    done = _message({"title": "Done", "image": {"url": "attachment://stylebot-7.jpg"}}, "stylebot-7.jpg")
    assert result_image(done) == b"stylebot-7.jpg"
    queued = _message({"title": "Queued", "image": {"url": "attachment://instant-7.jpg"}}, "instant-7.jpg")
    assert result_image(queued) is None and instant_image(queued) == b"instant-7.jpg"
    assert instant_image(done) is None
    with pytest.raises(StylebotError, match="Failed"):
        result_image(_message({"title": "Failed", "description": "Out of memory.\n\nmore"}))


def test_demo_writes_the_result_at_the_requested_size(tmp_path: Path) -> None:
    out = tmp_path / "out.png"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "STYLEBOT_DATA_DIR": str(tmp_path), "STYLEBOT_WEIGHTS": "random"}
    cmd = [sys.executable, "-m", "stylebot", "demo", "--size", "64", "--steps", "2", "--timeout", "200", "-o", str(out)]
    done = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=280, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"wrote {out}" in done.stdout and "RANDOM weights" in done.stderr
    with Image.open(io.BytesIO(out.read_bytes())) as image:
        assert image.size == (64, 64)
