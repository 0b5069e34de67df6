"""argparse `type`s shared by the sub-commands: numbers with a lower bound and a one-line reason when refused."""

from __future__ import annotations

import argparse
from collections.abc import Callable

__all__ = ["bounded_float"]


def bounded_float(minimum: float, *, inclusive: bool, unit: str = "") -> Callable[[str], float]:
    """A float greater than `minimum` (or equal to it when `inclusive`); NaN is refused. `unit` words the messages."""
    of_unit = f" of {unit}" if unit else ""
    in_unit = f" {unit}" if unit else ""
    bound = f"{minimum:g} or more{in_unit}" if inclusive else f"greater than {minimum:g}{in_unit}"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number{of_unit}") from None
        if not (value >= minimum if inclusive else value > minimum):
            raise argparse.ArgumentTypeError(f"{text!r} must be {bound}")
        return value

    return parse
