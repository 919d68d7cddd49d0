"""Checks of setting values, shared by every set of settings (data options, hyperparameters)."""

from __future__ import annotations

import math
import numbers


def is_real_number(value) -> bool:
    """Whether a value is a real number (booleans are not)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def is_whole_number(value) -> bool:
    """Whether a value is an integer (booleans are not)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_nonnegative_number(value, *, positive=False) -> bool:
    """A finite real number (not a bool) that is >= 0, or > 0 when ``positive``."""
    if not is_real_number(value):
        return False
    return math.isfinite(value) and (value > 0 if positive else value >= 0)


def check_fields(settings, checks, error=ValueError) -> None:
    """Raise ``error`` for the first field whose check failed: ``{name: (ok, wanted)}``,
    with the message ``"<name> must be <wanted>, not <value>."``."""
    for name, (ok, wanted) in checks.items():
        if not ok:
            raise error(f"{name} must be {wanted}, not {getattr(settings, name)!r}.")
