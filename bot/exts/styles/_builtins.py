"""Built-in styles every server has from the first minute: public-domain paintings shipped in `bot/builtin_styles/`.

Each file is a ~512 px JPEG (quality 85) of a painting from jcjohnson/neural-style's examples/inputs (MIT licence);
the paintings themselves are in the public domain (see the README's "Built-in styles"). A server can hide them
(`/style builtins`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["BUILTINS", "BUILTIN_DIR", "Builtin", "builtin_named", "reserved_keys"]

BUILTIN_DIR = Path(__file__).resolve().parents[2] / "builtin_styles"
SOURCE = "jcjohnson/neural-style examples/inputs, MIT; painting public domain"


@dataclass(frozen=True)
class Builtin:
    name: str
    filename: str
    title: str
    painter: str
    year: int

    @property
    def path(self) -> Path:
        return BUILTIN_DIR / self.filename

    @property
    def credit(self) -> str:
        return f"{self.title} ({self.painter}, {self.year})"


BUILTINS: tuple[Builtin, ...] = (
    Builtin("Starry Night", "starry_night.jpg", "The Starry Night", "Vincent van Gogh", 1889),
    Builtin("The Scream", "the_scream.jpg", "The Scream", "Edvard Munch", 1893),
    Builtin("Shipwreck", "shipwreck.jpg", "The Shipwreck", "J. M. W. Turner", 1805),
    Builtin("Woman with a Hat", "woman_with_hat_matisse.jpg", "Woman with a Hat", "Henri Matisse", 1905),
)


def reserved_keys() -> frozenset[str]:
    return frozenset(b.name.casefold() for b in BUILTINS)


def builtin_named(name: str) -> Builtin | None:
    key = " ".join(name.split()).casefold()
    return next((b for b in BUILTINS if b.name.casefold() == key), None)
