"""How a number is written for a reader (facts messages, the HTML report): one way everywhere,
below every stage that prints one.
"""

from __future__ import annotations

import math


def sci(value: float | None) -> str:
    """A number for a message: ``7.06×10^10``, ``0.5``; ``unknown`` when absent."""
    if value is None or not math.isfinite(value):
        return "unknown"
    if value == 0:
        return "0"
    exp = math.floor(math.log10(abs(value)))
    if -2 <= exp < 4:
        digits = max(0, 2 - exp)
        return (
            f"{round(value, digits):.{digits}f}".rstrip("0").rstrip(".")
            if digits
            else (str(round(value)))
        )
    mantissa = round(value / 10**exp, 2)
    if abs(mantissa) >= 10:  # 9.996 rounds up to 10.0
        mantissa, exp = mantissa / 10, exp + 1
    return f"{mantissa:g}×10^{exp}"
