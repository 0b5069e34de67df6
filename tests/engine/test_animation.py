"""`engine.animation` (Pillow only): header checks, lazy decoding under the limits, and the animated encoder."""

from __future__ import annotations

import io
import struct

import pytest
from PIL import Image

from engine.animation import decode_animation, encode_animation, estimate_animation_bytes, frame_count
from engine.errors import ImageError
from engine.images import ImageLimits, decode_image
from tests.engine.animated import animated, panning_frames


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "PNG"])
def test_frames_durations_and_loop_survive_decoding(fmt: str) -> None:
    data = animated(panning_frames(5), fmt, durations=[40, 60, 80, 100, 120], loop=3)
    assert frame_count(data) == 5
    anim = decode_animation(data)
    assert len(anim.frames) == 5 and anim.size == (48, 40)
    assert anim.durations == (40, 60, 80, 100, 120) and anim.loop == 3
    assert all(f.mode == "RGB" for f in anim.frames)


def test_a_gif_without_a_loop_extension_plays_once_and_stays_so() -> None:
    anim = decode_animation(animated(panning_frames(3), "GIF", loop=None))
    assert anim.loop is None
    data, ext = encode_animation(anim.frames, anim.durations, anim.loop, max_bytes=10**7, prefer="gif")
    assert ext == "gif" and "loop" not in Image.open(io.BytesIO(data)).info


@pytest.mark.parametrize("prefer", ["gif", "webp", "auto"])
def test_the_encoder_keeps_frame_count_durations_and_loop(prefer: str) -> None:
    frames = panning_frames(6)
    data, ext = encode_animation(frames, [50, 70, 90, 110, 130, 150], 0, max_bytes=10**7, prefer=prefer)
    out = decode_animation(data)
    assert ext in ("gif", "webp") and (prefer == "auto" or ext == prefer)
    assert len(out.frames) == 6 and out.durations == (50, 70, 90, 110, 130, 150) and out.loop == 0


def test_the_gif_palette_and_dither_do_not_crawl_where_the_picture_stands_still() -> None:
    still = panning_frames(1, size=(64, 48))[0]
    frames = []
    for t in range(4):  # only a small square moves; everything else is the same in every frame
        f = still.copy()
        f.paste((250, 250, 250), (4 + 6 * t, 4, 12 + 6 * t, 12))
        frames.append(f)
    data, _ = encode_animation(frames, [80] * 4, 0, max_bytes=10**7, prefer="gif")
    out = decode_animation(data).frames
    box = (0, 20, 64, 48)  # below the moving square
    assert all(o.crop(box).tobytes() == out[0].crop(box).tobytes() for o in out[1:])


def test_a_result_over_the_limit_is_re_encoded_smaller_and_stays_animated() -> None:
    frames = [f.resize((96, 80)) for f in panning_frames(6)]
    full, _ = encode_animation(frames, [80] * 6, 0, max_bytes=10**7)
    data, _ = encode_animation(frames, [80] * 6, 0, max_bytes=len(full) // 2)
    assert len(data) <= len(full) // 2 and len(decode_animation(data).frames) == 6
    with pytest.raises(ImageError, match="cannot be made smaller"):
        encode_animation(frames, [80] * 6, 0, max_bytes=200)


def test_a_one_frame_gif_decodes_as_a_still() -> None:
    data = animated(panning_frames(1), "GIF")
    anim = decode_animation(data)
    assert frame_count(data) == 1 and len(anim.frames) == 1
    assert anim.frames[0].tobytes() == decode_image(data).tobytes()


def test_a_gif_over_the_frame_limit_is_refused_clearly() -> None:
    data = animated(panning_frames(6), "GIF")
    with pytest.raises(ImageError, match="6 frames, above the 5-frame limit"):
        decode_animation(data, limits=ImageLimits(max_frames=5))


def test_an_animation_over_the_duration_limit_is_refused() -> None:
    data = animated(panning_frames(4), "GIF", durations=[500] * 4)
    with pytest.raises(ImageError, match=r"longer than 1\.5 s"):
        decode_animation(data, limits=ImageLimits(max_duration=1.5))


def test_a_gif_bomb_of_many_large_frames_is_refused_from_its_headers() -> None:
    # 40 frames of 1000x1000 (flat colour: a few KB of LZW) = 40 MP in all, over a 20 MP animation budget
    frames = [Image.new("P", (1000, 1000), i % 2) for i in range(40)]
    for f in frames:
        f.putpalette([0, 0, 0, 255, 255, 255] + [0] * 762)
    data = animated(frames, "GIF")  # type: ignore[arg-type]
    assert len(data) < 200_000
    with pytest.raises(ImageError, match=r"40 frames of 1000x1000 \(40 MP in all\), above the 20 MP limit"):
        decode_animation(data, limits=ImageLimits(max_animation_pixels=20_000_000))


def test_a_gif_declaring_a_huge_logical_screen_is_refused_before_decoding() -> None:
    data = bytearray(animated(panning_frames(3), "GIF"))
    data[6:10] = struct.pack("<HH", 65535, 65535)  # the logical screen: 4.3 GP
    with pytest.raises(ImageError, match=r"MP limit|decompression bomb"):
        decode_animation(bytes(data))


def test_the_size_estimate_grows_with_frames_and_pixels() -> None:
    assert estimate_animation_bytes(64, 64, 10) < estimate_animation_bytes(128, 128, 10)
    assert estimate_animation_bytes(64, 64, 10) < estimate_animation_bytes(64, 64, 40)
