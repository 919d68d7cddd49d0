"""Counts in words for messages and notes: ``1 row``, ``2 rows``, ``was`` / ``were``."""

from __future__ import annotations


def count_of(n: int, noun: str) -> str:
    """``1 row``, ``2 rows``: a count with its noun in the singular or the plural."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def were(n: int) -> str:
    """The verb for a count: "was" for one, "were" otherwise."""
    return "was" if n == 1 else "were"
