"""Small statistics the tools need, so that a trend or a ranking never claims more than the
counts support."""

from __future__ import annotations

import math
from typing import Literal

Direction = Literal["up", "down", "flat", "too few"]


def two_proportion_p(x1: int, n1: int, x2: int, n2: int) -> float:
    """Two-sided p-value of the z-test that x1/n1 and x2/n2 are the same proportion
    (pooled variance). 1.0 when either sample is empty or the pooled share is 0 or 1."""
    if n1 <= 0 or n2 <= 0:
        return 1.0
    pooled = (x1 + x2) / (n1 + n2)
    var = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if var <= 0:
        return 1.0
    z = (x1 / n1 - x2 / n2) / math.sqrt(var)
    return math.erfc(abs(z) / math.sqrt(2))


def share_direction(
    x1: int, n1: int, x2: int, n2: int, minimum: int
) -> tuple[float | None, Direction]:
    """Whether the share x1/n1 (this period) moved from x2/n2 (the one before): "too few"
    under `minimum` records in either period, "up" or "down" only when the two-proportion
    test gives p < 0.05, else "flat". Returns (p-value or None, direction)."""
    p = two_proportion_p(x1, n1, x2, n2) if n1 and n2 else None
    if n1 < minimum or n2 < minimum:
        return p, "too few"
    if p is not None and p < 0.05:
        return p, "up" if x1 / n1 > x2 / n2 else "down"
    return p, "flat"
