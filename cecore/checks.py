"""Type checks of option values shared by every set of settings."""

from __future__ import annotations

import numbers


def is_real_number(value) -> bool:
    """Whether an option value is a real number (booleans are not)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def is_whole_number(value) -> bool:
    """Whether an option value is an integer (booleans are not)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)
