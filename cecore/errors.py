"""DataError, the one exception a user's data raises, and the guard that keeps it so."""

from __future__ import annotations

import functools
from collections.abc import Callable

UNEXPECTED = "Unexpected problem while"


class DataError(ValueError):
    """A problem with a user's data, worded so that a non-programmer can act on it."""


def data_errors_only(activity: str) -> Callable:
    """Decorate a public entry point so that every failure leaves it as a DataError.

    Known problems already raise DataError with a specific message; anything else (a
    MemoryError, or an exception from pandas, pyarrow or sklearn that no check foresaw)
    becomes a DataError that names the activity and keeps the original as its cause.
    """

    def decorate(function: Callable) -> Callable:
        @functools.wraps(function)
        def guarded(*args, **kwargs):
            try:
                return function(*args, **kwargs)
            except DataError:
                raise
            except MemoryError as exc:
                raise DataError(f"There is not enough memory for {activity}.") from exc
            except Exception as exc:  # the contract: nothing but DataError leaves this call
                raise DataError(f"{UNEXPECTED} {activity}: {type(exc).__name__}: {exc}") from exc

        return guarded

    return decorate
